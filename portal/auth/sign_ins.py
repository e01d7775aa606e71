"""The audit trail of signing in and out: who signed in and how, an authenticator enrolled, a sign-out."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.core import audit
from portal.people.models import Borrower, StaffUser


def borrower_signed_in(session: Session, borrower: Borrower, method: str) -> None:
    """A borrower signed in online, by `method` ("password" or "sms_code")."""
    audit.record(session, actor=f"borrower:{borrower.id}", action="sign_in", data={"method": method})


def staff_signed_in(session: Session, staff: StaffUser, method: str | None = None) -> None:
    """A member of staff signed in at the branch; `method` ("password+totp") when a second factor was asked."""
    audit.record(
        session,
        actor=f"staff:{staff.id}",
        action="sign_in",
        channel="branch",
        data={"method": method} if method else None,
    )


def staff_enrolled(session: Session, staff: StaffUser) -> None:
    """A member of staff confirmed their first authenticator code: the second factor is theirs from now on."""
    audit.record(session, actor=f"staff:{staff.id}", action="totp.enrolled", channel="branch")


def signed_out(session: Session, actor: str) -> None:
    """Someone (`actor`, as the audit trail names them) signed out everywhere."""
    audit.record(session, actor=actor, action="sign_out")
