"""The staff case file: the case with what its page shows, the loans, earlier plans, and a decision's flush."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from portal.applications.decisions import Conflict
from portal.applications.models import Application
from portal.loans.models import Loan
from portal.people.models import Borrower

# The statuses of a loan's plans that came to something: accepted, in force, completed or broken.
EARLIER_PLANS = ("active", "completed", "broken", "accepted")

T = TypeVar("T")


def case(session: Session, reference: str) -> Application | None:
    """The application with its borrower (and their home branch), policy pack and documents, in one statement;
    None when there is no such application."""
    return (
        session.scalars(
            select(Application)
            .where(Application.reference == reference)
            .options(
                joinedload(Application.borrower).joinedload(Borrower.home_branch),
                joinedload(Application.policy_pack),
                joinedload(Application.evidence),
            )
        )
        .unique()
        .first()
    )  # unique(): every row of the joined documents, folded into one application


def borrower_loans(session: Session, borrower_id: int) -> list[Loan]:
    """Every loan of the borrower, oldest first, with its branch and product."""
    return list(
        session.scalars(
            select(Loan)
            .where(Loan.borrower_id == borrower_id)
            .order_by(Loan.id)
            .options(joinedload(Loan.branch), joinedload(Loan.product))
        ).all()
    )


def earlier_plans(session: Session, application: Application) -> list[Application]:
    """The other applications on the same loan whose plan was accepted (in force, completed or broken since)."""
    return list(
        session.scalars(
            select(Application)
            .where(
                Application.loan_id == application.loan_id,
                Application.id != application.id,
                Application.status.in_(EARLIER_PLANS),
            )
            .order_by(Application.id)
        ).all()
    )


def decide(session: Session, application: Application, action: Callable[[Application], T]) -> T:
    """Apply a decision (`action`) and flush at once, so that a stale row version (someone else changed the case
    since it was shown) shows here, as `Conflict`, and not at the request's commit."""
    try:
        result = action(application)
        session.flush()
    except StaleDataError as error:
        raise Conflict() from error
    return result
