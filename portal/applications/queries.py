"""Reading applications for pages: a borrower's, their history, and what is in play on a loan."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, joinedload, lazyload, load_only

from portal import policies
from portal.applications.models import Application
from portal.core.models import HISTORY_SQL, AuditEvent
from portal.domain import lifecycle
from portal.domain.lifecycle import AWAITING_OUTCOME, IN_FORCE
from portal.loans.models import Loan, ScheduleVersion
from portal.people.models import StaffUser


def borrower_application(session: Session, borrower_id: int, reference: str) -> Application | None:
    """One of this borrower's applications by reference; None for anyone else's (the caller answers 404)."""
    return session.scalars(
        select(Application)
        .where(Application.borrower_id == borrower_id, Application.reference == reference)
        # Every page of an application shows its loan and works under its policy pack; documents only some.
        .options(
            joinedload(Application.loan), joinedload(Application.policy_pack), lazyload(Application.evidence)
        )
    ).first()


def borrower_applications(session: Session, borrower_id: int) -> list[Application]:
    """A borrower's applications, newest first."""
    return list(
        session.scalars(
            select(Application).where(Application.borrower_id == borrower_id).order_by(Application.id.desc())
        )
    )


class History(list):
    """An application's audit rows, oldest first, and `names`: the staff they name (as actor, on whose behalf,
    or as the agent who sent the application), {"staff:7": name}, read with them in one query."""

    names: dict[str, str]


def history(session: Session, application: Application) -> History:
    """The application's audit rows, oldest first: who did what, when, how, and why; with the staff names."""
    rows = History(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject == f"application:{application.id}", text(HISTORY_SQL))
            .order_by(AuditEvent.id)
        )
    )
    actors = {application.submitted_by, *(e.actor for e in rows), *(e.on_behalf_of for e in rows)}
    # A senior's release or reassignment names the previous and the new holder.
    actors |= {
        (e.data or {}).get(k) for e in rows if e.action.startswith("case.") for k in ("previous", "holder")
    }
    rows.names = staff_names(session, actors)
    return rows


def staff_names(session: Session, actors) -> dict[str, str]:
    """The names of the staff among audit actors ("staff:<id>"; others and None ignored), in one statement."""
    ids = set()
    for actor in actors:
        kind, _, ident = (actor or "").partition(":")
        if kind == "staff" and ident.isdigit():
            ids.add(int(ident))
    if not ids:
        return {}
    found = session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(sorted(ids))))
    return {f"staff:{ident}": name for ident, name in found}


# Reminder contact pauses while an application is decided or a plan is in force.
REMINDERS_PAUSED = AWAITING_OUTCOME + IN_FORCE


def reminders_paused(session: Session, loan: Loan) -> bool:
    """Reminder contact pauses while an application is under review or a plan is in force."""
    return bool(
        session.scalar(
            select(func.count(Application.id)).where(
                Application.loan_id == loan.id, Application.status.in_(REMINDERS_PAUSED)
            )
        )
    )


def in_play(session: Session, loan: Loan) -> tuple[Application | None, bool]:
    """For the loan page, in one read: the loan's open (or in-force) application, and whether reminders pause."""
    rows = session.scalars(
        select(Application)
        .where(
            Application.loan_id == loan.id,
            Application.status.in_(tuple(lifecycle.OPEN_STATUSES) + IN_FORCE),
        )
        .order_by(Application.id)
        .options(lazyload(Application.evidence))
    ).all()
    return (rows[-1] if rows else None), any(row.status in REMINDERS_PAUSED for row in rows)


def keep_paying(application: Application) -> bool | None:
    """Whether the borrower is asked to keep paying while this application is decided (its policy pack's
    value); None when it is not being decided."""
    if application.status not in AWAITING_OUTCOME:
        return None
    return policies.of(application.policy_pack).keep_paying_while_deciding


def plan_of_version(session: Session, version: ScheduleVersion) -> Application | None:
    """The accepted application that put a schedule version in force (None for the loan's first schedule)."""
    if version.reason != "restructuring":
        return None
    return session.scalars(
        select(Application)
        .where(Application.schedule_version_id == version.id)
        .options(lazyload(Application.evidence))
    ).first()


def open_by_loan(session: Session, borrower_id: int) -> dict[int, Application]:
    """The borrower's open (or in-force) application per loan id, for the dashboard."""
    rows = session.scalars(
        select(Application)
        .where(
            Application.borrower_id == borrower_id,
            Application.status.in_(tuple(lifecycle.OPEN_STATUSES) + IN_FORCE),
        )
        .order_by(Application.id)
        # The dashboard shows each one's reference and status: not its documents, quote, budget or answers; and
        # its policy pack, which says whether to keep paying while it is decided.
        .options(
            load_only(
                Application.reference,
                Application.loan_id,
                Application.status,
                Application.variant,
                Application.policy_pack_id,
            ),
            lazyload(Application.evidence),
            joinedload(Application.policy_pack),
        )
    )
    return {row.loan_id: row for row in rows}
