"""What every staff decision shares: the optimistic version check, who decides, and a staff member's move.

Split out of `decisions` so that claims, limits and appeals can use it without importing the decisions they
sit beside. Services flush, never commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.applications import transitions
from portal.applications.models import Application
from portal.loans.services import ServiceError
from portal.people.models import StaffUser

# The staff roles that decide applications.
REVIEWERS = ("reviewer", "senior_reviewer")


class Conflict(ServiceError):
    """Someone else changed the application first; nothing was applied."""

    def __init__(self):
        super().__init__("conflict")


def check_version(application: Application, seen_version: int | None) -> None:
    """Refuse to decide on a version other than the one the decider saw."""
    try:
        seen = int(str(seen_version))
    except ValueError:
        seen = None  # a tampered field is treated like a stale one
    if seen != application.row_version:
        raise Conflict()


def actor(staff: StaffUser) -> str:
    """The audit trail's name for a member of staff."""
    return f"staff:{staff.id}"


def role(staff: StaffUser) -> str:
    """The lifecycle role a member of staff decides in."""
    return "senior_reviewer" if staff.role == "senior_reviewer" else "reviewer"


def is_reviewer(staff: StaffUser) -> bool:
    """Whether this member of staff decides applications at all."""
    return staff.role in REVIEWERS


def is_appeal(application: Application) -> bool:
    """The borrower appealed a rejection: from then on only a senior reviewer decides it, and once."""
    return application.appealed_at is not None


def staff_move(
    session: Session,
    application: Application,
    target: str,
    staff: StaffUser,
    *,
    internal_note: str | None = None,
    data: dict | None = None,
    **fields,
) -> None:
    """A status change made by a member of staff at the branch (the audit row names them and their role).

    Two kinds of staff text go on the record: `note`, what the borrower is told, and `internal_note`, for staff
    only; only `Application.decision_note` (the message) and `info_request` ever reach a borrower's page."""
    if internal_note:
        data = {**(data or {}), "internal_note": internal_note}
    transitions.move(
        session,
        application,
        target,
        role=role(staff),
        actor=actor(staff),
        channel="branch",
        data=data,
        **fields,
    )
