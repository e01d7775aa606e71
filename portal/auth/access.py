"""Who may see what. A page for another role, or another person's record, answers 404: it does not exist for you.

`acting()` is the one place that says whom a borrower page is about and who is acting: a signed-in borrower for
themselves (channel web), or a phone agent for the borrower of their live assisted session (actor the agent, on
behalf of the borrower, channel phone). Borrower pages use it instead of the signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from portal.people.models import Borrower, StaffUser
from portal.support.models import AssistedSession


def client_address() -> str:
    """The address the request came from: the client the sign-in and text-message limits count per. Only the
    characters an IPv4 or IPv6 address has are kept (it is written to the log when a limit trips)."""
    address = request.remote_addr or ""
    return "".join(c for c in address[:64] if c.isalnum() or c in ".:%-_") or "unknown"


@dataclass(frozen=True)
class Acting:
    """The borrower this request is about, who acts, for whom, and through which channel."""

    borrower: Borrower
    actor: str
    on_behalf_of: str | None
    channel: str
    agent: StaffUser | None = None
    assisted: AssistedSession | None = None

    @property
    def by_agent(self) -> bool:
        """An agent acting for the borrower on a call."""
        return self.assisted is not None

    @property
    def fields(self) -> dict:
        """The audit fields of an action taken on this request (actor, on_behalf_of, channel)."""
        return {"actor": self.actor, "on_behalf_of": self.on_behalf_of, "channel": self.channel}


def live_assisted_session() -> AssistedSession | None:
    """The signed-in agent's live assisted session (30 minutes from verification, until ended), once per request."""
    if "assisted" not in g:
        g.assisted = None
        if current_user.is_authenticated and current_user.kind == "staff" and current_user.role == "agent":
            from portal import db
            from portal.support import sessions as support_sessions

            g.assisted = support_sessions.live_session(db.session, current_user.row.id)
    return g.assisted


def acting() -> Acting | None:
    """Whom this request is about and who acts; None when nobody may use the borrower pages."""
    if "acting" in g:
        return g.acting
    found = None
    if current_user.is_authenticated and current_user.kind == "borrower":
        row = current_user.row
        found = Acting(borrower=row, actor=f"borrower:{row.id}", on_behalf_of=None, channel="web")
    else:
        assisted = live_assisted_session()
        if assisted is not None:
            found = Acting(
                borrower=assisted.borrower,
                actor=current_user.actor,
                on_behalf_of=f"borrower:{assisted.borrower_id}",
                channel="phone",
                agent=current_user.row,
                assisted=assisted,
            )
    g.acting = found
    return found


def borrower_required(view):
    """A signed-in borrower, or an agent with a live assisted session for a borrower (the page is then that
    borrower's); anonymous visitors are sent to sign in (or get 404 for a particular record); anyone else 404."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            if kwargs:
                abort(404)  # a page about a particular record does not exist for an anonymous visitor
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        who = acting()
        if who is None:
            abort(404)
        if who.by_agent and request.method == "GET":
            _record_agent_view(who)
        return view(*args, **kwargs)

    return wrapper


def borrower_self_required(view):
    """The borrower in person only: credentials, contact details and codes. An agent acting for them gets 404."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            if kwargs:
                abort(404)
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        if current_user.kind != "borrower":
            abort(404)
        return view(*args, **kwargs)

    wrapper.borrower_self_only = True
    return wrapper


def _record_agent_view(who: Acting) -> None:
    """An agent reading a borrower's page is on the record (who viewed which borrower's data)."""
    from portal.core import audit

    audit.record_in_own_transaction(
        action="borrower.viewed",
        subject=f"borrower:{who.borrower.id}",
        data={"page": request.endpoint},
        **who.fields,
    )


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
