"""The staff case file: what names a case page's content (its marks, read in one statement: the kept case page is
looked up with them), the case with what its page shows, the loans, earlier plans, and a decision's flush."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import String, bindparam, cast, func, literal, select, text
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from portal.applications.decisions import Conflict
from portal.applications.models import Application
from portal.core.models import HISTORY_SQL, AuditEvent
from portal.loans.models import Loan
from portal.people.models import Borrower
from portal.policies.models import PolicyPack

# The statuses of a loan's plans that came to something: accepted, in force, completed or broken.
EARLIER_PLANS = ("active", "completed", "broken", "accepted")

T = TypeVar("T")

# What makes an application a staff case: the borrower sent it. A draft never sent, its hardship account and its
# documents, stays the borrower's alone, also once withdrawn.
IS_CASE = Application.submitted_at.is_not(None)


def case(session: Session, reference: str) -> Application | None:
    """The application with its borrower (and their home branch), policy pack and documents, in one statement;
    None when there is no such case (`IS_CASE`: a draft never sent is the borrower's alone, withdrawn or not)."""
    return (
        session.scalars(
            select(Application)
            .where(Application.reference == reference, IS_CASE)
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


@dataclass(frozen=True)
class CaseMarks:
    """The versions of everything the case page shows (see `portal.staff.case_page._case_key`)."""

    id: int
    status: str
    borrower_id: int
    row_version: int
    view_version: int
    borrower_shown: tuple  # the borrower's own details on the page: name, variant, occupation, home branch
    last_history_id: int  # the newest entry of the case's history (viewings left out), 0 when none
    claimed_at: datetime | None = None  # whether the claim still holds changes the page (claims.marks_live)
    pack: tuple = ()  # the policy pack's (variant, version): its claim lifetime


# The statement is built once: a kept case page runs it on every view.
_SUBJECT = literal("application:") + cast(Application.id, String)
_LAST_HISTORY = (
    select(func.coalesce(func.max(AuditEvent.id), 0))
    .where(AuditEvent.subject == _SUBJECT, text(HISTORY_SQL))
    .scalar_subquery()
)
_MARKS = (
    select(
        Application.id,
        Application.status,
        Application.borrower_id,
        Application.row_version,
        Borrower.view_version,
        Borrower.name,
        Borrower.variant,
        Borrower.occupation,
        Borrower.home_branch_id,
        _LAST_HISTORY,
        Application.claimed_at,
        PolicyPack.variant,
        PolicyPack.version,
    )
    .join(Borrower, Borrower.id == Application.borrower_id)
    .join(PolicyPack, PolicyPack.id == Application.policy_pack_id)
    .where(Application.reference == bindparam("reference"), IS_CASE)
)


def case_marks(session: Session, reference: str) -> CaseMarks | None:
    """The case's marks, or None when there is no such case (`IS_CASE`). One statement: the application and its
    borrower by primary key, and the history's newest entry from the partial index that leaves viewings out."""
    row = session.connection().execute(_MARKS, {"reference": reference}).first()
    if row is None:
        return None
    return CaseMarks(
        id=row[0],
        status=row[1],
        borrower_id=row[2],
        row_version=row[3],
        view_version=row[4],
        borrower_shown=tuple(row[5:9]),
        last_history_id=row[9],
        claimed_at=row[10],
        pack=(row[11], row[12]),
    )
