"""Help a borrower asks for: a loan officer's visit (rural) or a call back (urban).

Requests are stored once per idempotency key, audited, confirmed to the borrower in their language and variant
through the outbox, and listed for staff until an agent marks them done. Services flush, never commit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.core import audit, notices
from portal.loans.services import ServiceError
from portal.people.models import Borrower, StaffUser
from portal.support.models import HelpRequest

# What each variant offers on the portal (calling the branch and the service point need no request).
KINDS_BY_VARIANT = {"rural": ("visit",), "urban": ("callback",)}
# When the borrower would like us: visits happen in working hours, call backs also in the evening.
WINDOWS = {
    "visit": ("morning", "afternoon"),
    "callback": ("morning", "afternoon", "evening"),
}
MAX_NOTE_CHARS = 500


def offered(variant: str) -> tuple[str, ...]:
    """The kinds of request the variant offers."""
    return KINDS_BY_VARIANT.get(variant, ())


def request_help(
    session: Session,
    borrower: Borrower,
    *,
    kind: str,
    window: str,
    note: str,
    create_key: str,
    actor: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
) -> tuple[HelpRequest, bool]:
    """Store a request; returns (request, created). The same key twice returns the first request, and so does
    asking again while a request of the same kind is still open."""
    again = session.scalars(select(HelpRequest).where(HelpRequest.create_key == create_key)).first()
    if again is not None:
        if again.borrower_id != borrower.id:
            raise ServiceError("not_found")
        return again, False
    if kind not in offered(borrower.variant):
        raise ServiceError("kind_not_offered")
    if window not in WINDOWS[kind]:
        raise ServiceError("window_invalid")
    if len(note) > MAX_NOTE_CHARS:
        raise ServiceError("note_too_long")
    still_open = session.scalars(
        select(HelpRequest).where(
            HelpRequest.borrower_id == borrower.id, HelpRequest.kind == kind, HelpRequest.status == "open"
        )
    ).first()
    if still_open is not None:
        return still_open, False
    row = HelpRequest(
        borrower_id=borrower.id,
        branch_id=borrower.home_branch_id,
        kind=kind,
        variant=borrower.variant,
        status="open",
        window=window,
        note=note,
        create_key=create_key,
        channel=channel,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # The same key at the same instant (a double click racing itself): the first one stands.
        first = session.scalars(select(HelpRequest).where(HelpRequest.create_key == create_key)).one()
        return first, False
    audit.record(
        session,
        actor=actor,
        on_behalf_of=on_behalf_of or f"borrower:{borrower.id}",
        channel=channel,
        action=f"help.{kind}_requested",
        subject=f"help:{row.id}",
        data={"window": window, "variant": borrower.variant},
    )
    notices.help_requested(session, row)
    return row, True


def borrower_requests(session: Session, borrower_id: int) -> list[HelpRequest]:
    """The borrower's own requests, newest first."""
    return list(
        session.scalars(
            select(HelpRequest)
            .where(HelpRequest.borrower_id == borrower_id)
            .order_by(HelpRequest.id.desc())
            .limit(20)
        )
    )


def open_requests(
    session: Session,
    *,
    kind: str | None = None,
    branch_id: int | None = None,
    borrower_id: int | None = None,
    limit: int = 200,
) -> list[HelpRequest]:
    """Open requests, oldest first (for the staff list, and for an agent's page)."""
    query = select(HelpRequest).where(HelpRequest.status == "open")
    if kind:
        query = query.where(HelpRequest.kind == kind)
    if branch_id:
        query = query.where(HelpRequest.branch_id == branch_id)
    if borrower_id:
        query = query.where(HelpRequest.borrower_id == borrower_id)
    return list(session.scalars(query.order_by(HelpRequest.created_at, HelpRequest.id).limit(limit)))


def recent_done(session: Session, *, limit: int = 50) -> list[HelpRequest]:
    """Requests handled most recently."""
    return list(
        session.scalars(
            select(HelpRequest)
            .where(HelpRequest.status == "done")
            .order_by(HelpRequest.done_at.desc(), HelpRequest.id.desc())
            .limit(limit)
        )
    )


def mark_done(session: Session, row: HelpRequest, staff: StaffUser, *, actor: str) -> bool:
    """Mark a request handled (audited); False when it already was."""
    if row.status == "done":
        return False
    row.status = "done"
    row.done_at = utcnow()
    row.done_by_id = staff.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        on_behalf_of=f"borrower:{row.borrower_id}",
        channel="branch",
        action="help.done",
        subject=f"help:{row.id}",
        data={"kind": row.kind},
    )
    return True
