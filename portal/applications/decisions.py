"""Staff decisions on applications: claim, approve, reject, counter-offer, ask for information, waive, appeal.

Rules that hold whoever calls: the application is decided on the version the decider saw (optimistic locking);
one reviewer holds a case at a time; four eyes above a reviewer's limit; nobody approves what they submitted
for a borrower, gives both approvals, or decides an appeal of their own decision. Services flush, never commit.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import policies
from portal.applications import calculation, claims, evidence, notices, offers, serialisation, transitions
from portal.applications.appeals import appeal, can_appeal, final
from portal.applications.claims import claim, reassign, release, staff_member
from portal.applications.deciding import REVIEWERS, Conflict, check_version, is_appeal, is_reviewer
from portal.applications.deciding import actor as actor_of
from portal.applications.deciding import staff_move as _staff_move
from portal.applications.limits import limits_of, needs_second_approval, waived_amounts
from portal.applications.models import Application
from portal.clock import utcnow
from portal.domain.lifecycle import BEING_DECIDED
from portal.domain.money import from_fen
from portal.domain.options import Terms
from portal.domain.proposal import approvable_as_asked
from portal.loans import positions
from portal.loans.services import ServiceError
from portal.people.models import StaffUser

__all__ = [
    "REVIEWERS",
    "Conflict",
    "appeal",
    "can_appeal",
    "check_version",
    "claim",
    "final",
    "is_reviewer",
    "limits_of",
    "needs_second_approval",
    "reassign",
    "release",
    "staff_member",
    "waived_amounts",
]

REJECT_REASONS = (
    "no_hardship_shown",
    "information_not_provided",
    "not_affordable_even_with_plan",
    "recent_plan_broken_without_change",
    "loan_not_eligible",
    "other",
)
# Where a decision can be made from: a first decision, an appeal, or the second approval.
DECIDING = ("in_review", "appealed")


def _require_holder(application: Application, staff: StaffUser) -> None:
    if not is_reviewer(staff):
        raise ServiceError("not_allowed")
    if application.status not in BEING_DECIDED:
        raise ServiceError("not_decidable")
    if claims.holder_id(application) != staff.id:
        raise ServiceError("claim_first")  # nobody holds it, someone else does, or one's own claim has lapsed
    if actor_of(staff) in (application.created_by, application.submitted_by):
        raise ServiceError("own_submission")  # nobody decides what they started or sent for a borrower
    if application.status in ("awaiting_second_approval", "appealed") or is_appeal(application):
        if staff.role != "senior_reviewer":
            raise ServiceError("senior_only")
        if staff.id in (application.first_approver_id, application.decided_by_id):
            raise ServiceError("same_person")  # the second approval and appeals need someone new


def _waiver_data(session: Session, application: Application, as_of: date) -> dict:
    """The waivers for the record: which, and what each forgoes on the day (in yuan, to the fen)."""
    waivers = application.waivers or {}
    amounts = waived_amounts(session, application, as_of, waivers) if waivers else {}
    return {"waivers": waivers, "waived": {k: str(v) for k, v in amounts.items()}}


def _offer_made(session: Session, application: Application, staff: StaffUser, as_of: date) -> None:
    application.decided_by_id = staff.id
    application.decided_at = utcnow()
    application.offer_expires_on = as_of + timedelta(
        days=policies.of(application.policy_pack).offer_valid_days
    )
    application.claimed_by_id = None
    evidence.schedule_purge(application, as_of, policies.of(application.policy_pack).evidence_retention_days)


def _send_up(
    session: Session,
    application: Application,
    staff: StaffUser,
    message: str | None,
    internal_note: str | None,
    data: dict,
) -> str:
    """Above the decider's authority: record them as the first approver and wait for a senior's second approval.
    Their message to the borrower is kept for the offer, unless the senior writes another."""
    application.first_approver_id = staff.id
    application.claimed_by_id = None
    application.decision_note = message
    _staff_move(
        session,
        application,
        "awaiting_second_approval",
        staff,
        note=message,
        internal_note=internal_note,
        data=data,
    )
    return application.status


def approve(
    session: Session,
    application: Application,
    staff: StaffUser,
    *,
    as_of: date,
    seen_version: int | None,
    waivers: dict | None = None,
    message: str | None = None,
    internal_note: str | None = None,
) -> str:
    """Approve (as asked, or the counter-offer a first approver sent up); returns the new status. `message` is
    shown to the borrower with the offer; `internal_note` only to staff."""
    check_version(application, seen_version)
    _require_holder(application, staff)
    if not application.counter_terms and not approvable_as_asked(application.option):
        # The borrower proposed an amount, not a priced plan: there is no schedule to approve as asked.
        raise ServiceError("counter_offer_needed")
    waivers = {k: bool(v) for k, v in (waivers or {}).items() if v}
    if application.status in DECIDING:
        application.waivers = waivers
        if needs_second_approval(session, application, staff, as_of, waivers):
            return _send_up(
                session, application, staff, message, internal_note, _waiver_data(session, application, as_of)
            )
    quote = offers.offered_quote(session, application, as_of)
    if not quote.available:
        raise ServiceError(quote.reasons[0] if quote.reasons else "option_unavailable")
    _offer_made(session, application, staff, as_of)
    if message or application.status != "awaiting_second_approval":
        application.decision_note = message  # a second approver without words keeps the first one's
    _staff_move(
        session,
        application,
        "approved",
        staff,
        note=message,
        internal_note=internal_note,
        data=_waiver_data(session, application, as_of),
    )
    notices.decided(session, application)
    return application.status


def reject(
    session: Session,
    application: Application,
    staff: StaffUser,
    *,
    as_of: date,
    seen_version: int | None,
    reason: str,
    message: str | None = None,
    internal_note: str | None = None,
) -> None:
    """Refuse, with a reason code the borrower is told in plain words, and `message` to the borrower;
    `internal_note` stays with staff."""
    check_version(application, seen_version)
    _require_holder(application, staff)
    if reason not in REJECT_REASONS:
        raise ServiceError("bad_reason")
    application.decided_by_id = staff.id
    application.decided_at = utcnow()
    application.decision_reason = reason
    application.decision_note = message
    application.claimed_by_id = None
    evidence.schedule_purge(application, as_of, policies.of(application.policy_pack).evidence_retention_days)
    _staff_move(
        session,
        application,
        "rejected",
        staff,
        reason=reason,
        note=message,
        internal_note=internal_note,
    )
    notices.decided(session, application)


def counter_quote(
    session: Session, application: Application, kind: str, terms: Terms, as_of: date, waivers: dict
):
    """The preview of a counter-offer: the reviewer's terms (and waivers) on today's figures."""
    return calculation.calculator(session, application, as_of).waived(waivers).quote(kind, terms)


def counter(
    session: Session,
    application: Application,
    staff: StaffUser,
    *,
    as_of: date,
    seen_version: int | None,
    kind: str,
    terms: Terms,
    waivers: dict | None = None,
    message: str | None = None,
    internal_note: str | None = None,
) -> str:
    """Send a counter-offer (different plan or terms, with waivers if any); returns the new status."""
    check_version(application, seen_version)
    _require_holder(application, staff)
    if application.status not in DECIDING:
        raise ServiceError("not_decidable")
    waivers = {k: bool(v) for k, v in (waivers or {}).items() if v}
    quote = counter_quote(session, application, kind, terms, as_of, waivers)
    if not quote.available:
        raise ServiceError(quote.reasons[0] if quote.reasons else "option_unavailable")
    application.counter_terms = {"kind": kind, **serialisation.terms_to_json(quote.terms)}
    application.counter_quote = serialisation.quote_to_json(quote)
    application.waivers = waivers
    if needs_second_approval(session, application, staff, as_of, waivers):
        return _send_up(
            session,
            application,
            staff,
            message,
            internal_note,
            {"counter": application.counter_terms, **_waiver_data(session, application, as_of)},
        )
    application.decision_note = message
    _offer_made(session, application, staff, as_of)
    _staff_move(
        session,
        application,
        "countered",
        staff,
        note=message,
        internal_note=internal_note,
        data={"counter": application.counter_terms, **_waiver_data(session, application, as_of)},
    )
    notices.decided(session, application)
    return application.status


def request_information(
    session: Session,
    application: Application,
    staff: StaffUser,
    *,
    seen_version: int | None,
    question: str,
    internal_note: str | None = None,
) -> None:
    """Ask the borrower for what is missing (the question is what they read); the case waits for their answer."""
    check_version(application, seen_version)
    _require_holder(application, staff)
    if application.status not in DECIDING:
        raise ServiceError("not_decidable")
    application.info_request = question
    application.info_response = None
    _staff_move(
        session,
        application,
        "info_requested",
        staff,
        note=question[:200],
        internal_note=internal_note,
    )
    notices.decided(session, application)


def expire_offers(session: Session, today: date) -> int:
    """Offers left unanswered past their date expire (the borrower is free to apply again)."""
    due = session.scalars(
        select(Application).where(
            Application.status.in_(("approved", "countered")), Application.offer_expires_on < today
        )
    ).all()
    for application in due:
        transitions.move(session, application, "expired", role="system", actor="system", channel="web")
    return len(due)


def check_plans(session: Session, today: date) -> dict[str, int]:
    """Active plans: two payments missed in a row → broken (and the borrower told); all paid → completed."""
    counts = {"broken": 0, "completed": 0}
    for application in session.scalars(select(Application).where(Application.status == "active")).all():
        report = positions.loan_position(session, application.loan, today).report
        if all(state.status == "paid" for state in report.installments):
            transitions.move(session, application, "completed", role="system", actor="system")
            counts["completed"] += 1
            continue
        run = longest = 0
        for state in report.installments:
            run = run + 1 if state.status == "overdue" else 0
            longest = max(longest, run)
        if longest >= 2:
            transitions.move(
                session,
                application,
                "broken",
                role="system",
                actor="system",
                data={"overdue_in_a_row": longest},
            )
            notices.plan_broken(session, application)
            counts["broken"] += 1
    return counts


def amount(application: Application) -> Decimal:
    """The application's exposure as money."""
    return from_fen(application.amount_fen)
