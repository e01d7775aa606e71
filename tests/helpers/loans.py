"""Helpers for the audit and payment tests (imported by the test modules in this folder)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import select

from portal import db
from portal.loans.models import Loan
from portal.people.models import Borrower

PASSWORD = "Demo-pass-2026"


@contextmanager
def database(app):
    """A database session in an app context of its own (never make a request inside the block)."""
    with app.app_context():
        yield db.session


def first_loan(session, phone: str) -> Loan:
    return session.scalars(
        select(Loan).join(Borrower).where(Borrower.phone == phone).order_by(Loan.id)
    ).first()
