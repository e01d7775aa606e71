"""Sessions: Flask-Login over a signed cookie, checked on every request against a server-side session version.

Sign-in starts a fresh session (a new random session id); sign-out and a password change raise the user's
session version, which ends every session of that user on every device and worker. Idle (30 min) and
absolute (12 h) timeouts are enforced from timestamps kept in the signed cookie.
"""

from __future__ import annotations

import secrets
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, flash, session
from flask_login import AnonymousUserMixin, LoginManager, current_user, login_user, logout_user

from portal import db
from portal.clock import real_timestamp
from portal.i18n import lazy_gettext as _l
from portal.people.models import Borrower, StaffUser

login_manager = LoginManager()


class Anonymous(AnonymousUserMixin):
    """Nobody signed in."""

    kind = None
    role = None


class BorrowerUser:
    """Flask-Login adapter for a borrower row."""

    kind = "borrower"
    role = "borrower"
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, row: Borrower):
        self.row = row

    def get_id(self) -> str:
        return f"b:{self.row.id}"

    @property
    def actor(self) -> str:
        """How this person is named in the audit trail."""
        return f"borrower:{self.row.id}"

    def __getattr__(self, name):
        return getattr(self.row, name)


class StaffPrincipal(BorrowerUser):
    """Flask-Login adapter for a staff row."""

    kind = "staff"

    def __init__(self, row: StaffUser):
        self.row = row

    @property
    def role(self) -> str:  # type: ignore[override]
        return self.row.role

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.row.active

    def get_id(self) -> str:
        return f"s:{self.row.id}"

    @property
    def actor(self) -> str:
        """How this person is named in the audit trail."""
        return f"staff:{self.row.id}"


@login_manager.user_loader
def _load(user_id: str):
    kind, _, raw_id = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    model = {"b": Borrower, "s": StaffUser}.get(kind)
    if model is None:
        return None
    row = db.session.get(model, int(raw_id))
    if row is None or session.get("sv") != row.session_version:
        return None  # signed out elsewhere, or the password changed: this cookie is dead
    if model is StaffUser and not row.active:
        return None  # a deactivated member of staff loses access at once, not at the session's end
    return BorrowerUser(row) if model is Borrower else StaffPrincipal(row)


def start_session(user) -> None:
    """Sign a user in on a brand-new session."""
    keep_lang = session.get("lang")
    session.clear()
    now = int(real_timestamp())
    session.update(sid=secrets.token_urlsafe(16), sv=user.row.session_version, created=now, seen=now)
    if keep_lang:
        session["lang"] = keep_lang
    session.permanent = True
    login_user(user)


def end_other_sessions(user) -> None:
    """After a password change: raise the session version, which ends every session of this user on every device
    (the caller then calls `renew_session`; the request commits both)."""
    user.row.session_version += 1


def renew_session(user) -> None:
    """Carry this browser on, signed in, on a brand-new session (new session id, the current session version).

    The absolute timeout still counts from the original sign-in: changing a password is no second sign-in (for
    staff it asks no authenticator code), so it must not stretch the 12 hours.
    """
    created = session.get("created")
    # login_user keeps what it is given as the request's user: the user itself, never the `current_user` proxy
    # (a proxy that resolves to itself recurses without end).
    start_session(getattr(user, "_get_current_object", lambda: user)())
    if isinstance(created, int):
        session["created"] = created


def end_all_sessions(user) -> None:
    """Sign out everywhere: raise the session version (the request commits it) and clear this cookie."""
    user.row.session_version += 1
    end_this_session()


def end_this_session() -> None:
    """Clear this browser's session only."""
    keep_lang = session.get("lang")
    logout_user()
    session.clear()
    if keep_lang:
        session["lang"] = keep_lang


# The idle clock moves in steps of a minute: writing the time into the cookie on every request would sign and
# send a new cookie with every page (SESSION_REFRESH_EACH_REQUEST is off for the same reason).
SEEN_STEP = 60


def _enforce_timeouts() -> None:
    if "created" not in session:
        return
    now = int(real_timestamp())
    idle = current_app.config["IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["ABSOLUTE_TIMEOUT"].total_seconds()
    if now - session.get("seen", 0) > idle or now - session.get("created", 0) > absolute:
        end_this_session()
        flash(_l("You were signed out because the session ran out. Please sign in again."), "info")
        return
    if now - session.get("seen", 0) >= SEEN_STEP:
        session["seen"] = now


def safe_next(target: str | None, default: str) -> str:
    """Where to go after sign-in: only ever a path on this site; anything else goes to `default`."""
    if not target or len(target) > 2000:
        return default
    decoded = target
    for _ in range(3):  # undo double encoding such as %252F
        decoded = unquote(decoded)
    for candidate in (target, decoded):
        if not candidate.startswith("/") or candidate.startswith("//"):
            return default
        if "\\" in candidate or any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
            return default
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return default
    return target


def init_app(app: Flask) -> None:
    """Attach Flask-Login and the per-request session checks."""
    login_manager.init_app(app)
    login_manager.anonymous_user = Anonymous
    login_manager.session_protection = None  # our own session id, version and timeouts do this job
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    app.before_request(_enforce_timeouts)

    @app.after_request
    def _no_store(response):
        if current_user.is_authenticated or "created" in session:
            response.headers["Cache-Control"] = "no-store"
        return response
