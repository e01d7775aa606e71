"""Sign-in, sign-out and the language switcher."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import db
from portal.auth import codes, passwords, throttle
from portal.auth.forms import (
    CodeRequestForm,
    CodeSignInForm,
    LanguageForm,
    PasswordSignInForm,
    StaffSignInForm,
)
from portal.auth.sessions import BorrowerUser, StaffPrincipal, end_all_sessions, safe_next, start_session
from portal.i18n import LANGUAGES
from portal.loans import audit, outbox
from portal.loans.models import Borrower, StaffUser

bp = Blueprint("auth", __name__)


def _too_many(retry_after: int, template: str, form):
    minutes = max(1, (retry_after + 59) // 60)
    message = _("Too many attempts. For your safety, try again in %(minutes)d minutes.", minutes=minutes)
    response = current_app.make_response((render_template(template, form=form, locked=message), 429))
    response.headers["Retry-After"] = str(retry_after)
    return response


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Borrower sign-in with phone number and password."""
    if current_user.is_authenticated and current_user.kind == "borrower":
        return redirect(url_for("borrower.dashboard"))
    form = PasswordSignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        key = f"borrower:{form.phone.data}"
        ticket = throttle.reserve(db.session, key)
        if not ticket.allowed:
            audit.record(db.session, actor=key, action="sign_in.locked", subject=key)
            db.session.commit()
            return _too_many(ticket.retry_after, "auth/sign_in.html", form)
        borrower = db.session.scalar(select(Borrower).where(Borrower.phone == form.phone.data))
        ok, new_hash = passwords.verify_password(
            borrower.password_hash if borrower else None, form.password.data
        )
        if ok and borrower is not None:
            if new_hash:
                borrower.password_hash = new_hash
            throttle.succeeded(db.session, key)
            audit.record(
                db.session, actor=f"borrower:{borrower.id}", action="sign_in", data={"method": "password"}
            )
            db.session.commit()
            start_session(BorrowerUser(borrower))
            return redirect(safe_next(form.next.data, url_for("borrower.dashboard")))
        form.password.errors.append(_("The phone number or password is not right. Check them and try again."))
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-in/code", methods=["GET", "POST"])
def request_code():
    """Step 1 of signing in by SMS: ask for a code."""
    form = CodeRequestForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        borrower = db.session.scalar(select(Borrower).where(Borrower.phone == form.phone.data))
        if borrower is not None:
            code = codes.issue(db.session, borrower, "sign_in")
            if code is not None:
                with force_locale(borrower.locale):
                    body = _(
                        "Your sign-in code is %(code)s. It is valid for 5 minutes. Never tell anyone this code.",
                        code=code,
                    )
                outbox.queue(db.session, borrower, kind="sign_in_code", body=body, urgent=True)
                db.session.commit()
                outbox.deliver_due(db.session, urgent_only=True)
            db.session.commit()
        # The same answer whether or not the number is ours: the page must not reveal who is a customer.
        session["otp_phone"] = form.phone.data
        return redirect(url_for("auth.enter_code", next=form.next.data or None))
    return render_template("auth/request_code.html", form=form)


@bp.route("/sign-in/code/enter", methods=["GET", "POST"])
def enter_code():
    """Step 2 of signing in by SMS: enter the code."""
    phone = session.get("otp_phone")
    if not phone:
        return redirect(url_for("auth.request_code"))
    form = CodeSignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        key = f"borrower:{phone}"
        ticket = throttle.reserve(db.session, key)
        if not ticket.allowed:
            return _too_many(ticket.retry_after, "auth/enter_code.html", form)
        borrower = db.session.scalar(select(Borrower).where(Borrower.phone == phone))
        if borrower is not None and codes.check(db.session, borrower, "sign_in", form.code.data):
            throttle.succeeded(db.session, key)
            audit.record(
                db.session, actor=f"borrower:{borrower.id}", action="sign_in", data={"method": "sms_code"}
            )
            db.session.commit()
            session.pop("otp_phone", None)
            start_session(BorrowerUser(borrower))
            return redirect(safe_next(form.next.data, url_for("borrower.dashboard")))
        db.session.commit()
        form.code.errors.append(_("That code is not right or has expired. Check it, or ask for a new code."))
    return render_template("auth/enter_code.html", form=form, masked_phone=_mask(phone))


def _mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else phone


@bp.route("/staff/sign-in", methods=["GET", "POST"])
def staff_sign_in():
    """Staff sign-in."""
    if current_user.is_authenticated and current_user.kind == "staff":
        return redirect(url_for("staff.home"))
    form = StaffSignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        key = f"staff:{form.username.data.lower()}"
        ticket = throttle.reserve(db.session, key)
        if not ticket.allowed:
            return _too_many(ticket.retry_after, "auth/staff_sign_in.html", form)
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == form.username.data.lower()))
        ok, new_hash = passwords.verify_password(staff.password_hash if staff else None, form.password.data)
        if ok and staff is not None and staff.active:
            if new_hash:
                staff.password_hash = new_hash
            throttle.succeeded(db.session, key)
            audit.record(db.session, actor=f"staff:{staff.id}", action="sign_in", channel="branch")
            db.session.commit()
            start_session(StaffPrincipal(staff))
            return redirect(safe_next(form.next.data, url_for("staff.home")))
        form.password.errors.append(_("The user name or password is not right."))
    return render_template("auth/staff_sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    """Sign out everywhere: every session of this user ends, on every device."""
    was_staff = current_user.is_authenticated and current_user.kind == "staff"
    if current_user.is_authenticated:
        audit.record(db.session, actor=current_user.actor, action="sign_out")
        end_all_sessions(current_user)
        db.session.commit()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.staff_sign_in" if was_staff else "auth.sign_in"))


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch language; a signed-in person's choice is saved as their preference."""
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.row.locale = form.lang.data
            db.session.commit()
    return redirect(safe_next(form.next.data, url_for("borrower.dashboard")), code=303)
