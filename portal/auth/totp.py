"""The staff second factor: time-based one-time codes (TOTP, RFC 6238) from an authenticator app.

Reviewers, senior reviewers and administrators sign in with a password and then a 6-digit code; phone agents use
a password only. A code is accepted for the current 30-second step or the one either side (clock drift), and
never twice: the last step used is stored, and a code for that step or an earlier one is refused. Failures are
counted in the database, like password failures (`portal.auth.throttle`). Before a decision that gives money
away (approve, counter-offer, second approval) the code must have been confirmed in the last 5 minutes.
"""

from __future__ import annotations

import hmac

import pyotp
import segno
from flask import session as flask_session
from markupsafe import Markup
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from portal.clock import real_timestamp
from portal.people.models import StaffUser

ROLES_WITH_TOTP = ("reviewer", "senior_reviewer", "admin")
# The name authenticator apps show beside the code: the portal's name as its (Chinese-speaking) staff know it.
ISSUER = "还款帮扶"
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECONFIRM_SECONDS = 5 * 60
SESSION_KEY = "totp_at"


def required(staff: StaffUser) -> bool:
    """Whether this member of staff signs in with a second factor."""
    return staff.role in ROLES_WITH_TOTP


def enrolled(staff: StaffUser) -> bool:
    return bool(staff.totp_secret) and staff.totp_enrolled_at is not None


def new_secret() -> str:
    """A fresh 32-character base32 secret (160 bits)."""
    return pyotp.random_base32()


def throttle_key(staff: StaffUser) -> str:
    """The lockout counter of the code step (separate from the password's)."""
    return f"staff-totp:{staff.id}"


def current_step(now: float | None = None) -> int:
    return int((real_timestamp() if now is None else now) // STEP_SECONDS)


def check(session: Session, staff: StaffUser, code: str, *, secret: str | None = None) -> bool:
    """True when `code` is right for a step not used before; that step is then stored in `session`
    (the credential service's own transaction).

    The store is one conditional UPDATE, so two requests racing with the same code cannot both succeed.
    """
    secret = secret or staff.totp_secret
    if not secret or not code or len(code) != 6 or not code.isdigit():
        return False
    generator = pyotp.TOTP(secret)
    now_step = current_step()
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if not hmac.compare_digest(generator.generate_otp(step), code):
            continue
        stored = session.execute(
            update(StaffUser)
            .where(
                StaffUser.id == staff.id,
                or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        if stored.rowcount != 1:
            return False  # this code (or a later one) was already used
        staff.totp_last_step = step
        return True
    return False


def mark_confirmed() -> None:
    """Record in this session that the code was just confirmed (sign-in or re-confirmation)."""
    flask_session[SESSION_KEY] = int(real_timestamp())


def recently_confirmed() -> bool:
    """Whether this session confirmed a code in the last 5 minutes (needed before approving money)."""
    confirmed = flask_session.get(SESSION_KEY)
    return isinstance(confirmed, int) and 0 <= real_timestamp() - confirmed <= RECONFIRM_SECONDS


def provisioning_uri(staff: StaffUser, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=staff.username, issuer_name=ISSUER)


def qr_svg(staff: StaffUser, secret: str) -> Markup:
    """The otpauth:// address as an inline SVG QR code, drawn here (no image from elsewhere, no script)."""
    svg = segno.make(provisioning_uri(staff, secret), error="m").svg_inline(
        scale=5, border=2, dark="#0b0c0c", light="#ffffff", svgclass="totp-qr", omitsize=False
    )
    # segno's own markup (paths only, no script); the only variable text in it is the URL-encoded address.
    return Markup(svg)  # noqa: S704  # nosec B704


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
