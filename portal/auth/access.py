"""Who may see what. A page for another role, or another person's record, answers 404: it does not exist for you."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user


def borrower_required(view):
    """Only a signed-in borrower; anyone else is sent to sign in (anonymous) or gets 404 (staff)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            if kwargs:
                abort(404)  # a page about a particular record does not exist for an anonymous visitor
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        if current_user.kind != "borrower":
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def staff_required(*roles: str):
    """Only signed-in staff with one of `roles` (any staff role when none are named)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                if kwargs:
                    abort(404)
                return redirect(url_for("auth.staff_sign_in", next=request.full_path.rstrip("?")))
            if current_user.kind != "staff" or (roles and current_user.role not in roles):
                abort(404)
            return view(*args, **kwargs)

        return wrapper

    return decorate
