"""What names a case page's content, read in one statement: the kept case page is looked up with it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, cast, func, literal, select, text
from sqlalchemy.orm import Session

from portal.applications.models import Application
from portal.core.models import HISTORY_SQL, AuditEvent
from portal.people.models import Borrower


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


def case_marks(session: Session, reference: str) -> CaseMarks | None:
    """The case's marks, or None when there is no such application. One statement: the application and its
    borrower by primary key, and the history's newest entry from the partial index that leaves viewings out."""
    subject = literal("application:") + cast(Application.id, String)
    last_history = (
        select(func.coalesce(func.max(AuditEvent.id), 0))
        .where(AuditEvent.subject == subject, text(HISTORY_SQL))
        .scalar_subquery()
    )
    row = session.execute(
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
            last_history,
        )
        .join(Borrower, Borrower.id == Application.borrower_id)
        .where(Application.reference == reference)
    ).first()
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
    )
