"""Finding people: a borrower by the phone they sign in with, a member of staff by user name."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.people.models import Borrower, StaffUser


def borrower_by_phone(session: Session, phone: str) -> Borrower | None:
    return session.scalar(select(Borrower).where(Borrower.phone == phone))


def staff_by_username(session: Session, username: str) -> StaffUser | None:
    """User names are stored in lower case; the one typed is matched whatever its case."""
    return session.scalar(select(StaffUser).where(StaffUser.username == username.lower()))
