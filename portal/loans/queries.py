"""Read queries over loans: a borrower's loans, and a loan's schedule versions and their payments."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal.loans.models import Loan, Payment, ScheduleVersion


def borrower_loans(session: Session, borrower_id: int) -> list[Loan]:
    """A borrower's loans, oldest first, each with its product (its name heads the loan's card)."""
    return list(
        session.scalars(
            select(Loan)
            .where(Loan.borrower_id == borrower_id)
            .order_by(Loan.id)
            .options(joinedload(Loan.product))
        )
    )


def borrower_loan(session: Session, borrower_id: int, number: str) -> Loan | None:
    """One of this borrower's loans by number (with its branch); None for anyone else's (the caller answers 404)."""
    return session.scalar(
        select(Loan)
        .where(Loan.borrower_id == borrower_id, Loan.number == number)
        .options(joinedload(Loan.branch))
    )


def schedule_versions(session: Session, loan: Loan) -> list[ScheduleVersion]:
    """Every schedule version of a loan, oldest first."""
    return list(
        session.scalars(
            select(ScheduleVersion)
            .where(ScheduleVersion.loan_id == loan.id)
            .order_by(ScheduleVersion.version)
        )
    )


def version_payments(session: Session, version: ScheduleVersion) -> list[Payment]:
    """The payments received while a schedule version was in force, oldest first."""
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.schedule_version_id == version.id)
            .order_by(Payment.paid_on, Payment.id)
        )
    )


def schedule_version(session: Session, loan: Loan, number: int) -> ScheduleVersion | None:
    """One schedule version of a loan by its number."""
    return session.scalars(
        select(ScheduleVersion).where(ScheduleVersion.loan_id == loan.id, ScheduleVersion.version == number)
    ).first()
