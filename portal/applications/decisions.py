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
from portal.applications import calculation, evidence, notices, offers, serialisation, transitions
from portal.applications.models import Application
from portal.clock import local_date, utcnow
from portal.domain import arrears as arrears_rules
from portal.domain.lifecycle import BEING_DECIDED
from portal.domain.money import from_fen
from portal.domain.options import Terms
from portal.domain.proposal import approvable_as_asked
from portal.loans import positions
from portal.loans.services import ServiceError
from portal.people.models import StaffUser

REJECT_REASONS = (
    "no_hardship_shown",
    "information_not_provided",
    "not_affordable_even_with_plan",
    "recent_plan_broken_without_change",
    "loan_not_eligible",
    "other",
)
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


def _actor(staff: StaffUser) -> str:
    return f"staff:{staff.id}"


def _role(staff: StaffUser) -> str:
    return "senior_reviewer" if staff.role == "senior_reviewer" else "reviewer"


def is_reviewer(staff: StaffUser) -> bool:
    """Whether this member of staff decides applications at all."""
    return staff.role in REVIEWERS


def _staff_move(
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
        role=_role(staff),
        actor=_actor(staff),
        channel="branch",
        data=data,
        **fields,
    )


def claim(session: Session, application: Application, staff: StaffUser, *, seen_version: int | None) -> None:
    """Take the case: a submitted application moves to review; a case held by someone else is refused."""
    if not is_reviewer(staff):
        raise ServiceError("not_allowed")
    check_version(application, seen_version)
    if application.claimed_by_id not in (None, staff.id) and application.status in BEING_DECIDED:
        raise ServiceError("claimed_by_other")
    application.claimed_by_id = staff.id
    application.claimed_at = utcnow()
    if application.status == "submitted":
        _staff_move(session, application, "in_review", staff)
    elif application.status == "in_review":
        session.flush()  # a case put back in the queue, taken up again
    elif application.status in ("awaiting_second_approval", "appealed"):
        if staff.role != "senior_reviewer":
            raise ServiceError("senior_only")
        session.flush()
    else:
        raise ServiceError("not_claimable")


def release(
    session: Session, application: Application, staff: StaffUser, *, seen_version: int | None
) -> None:
    """Put the case back for anyone to take."""
    check_version(application, seen_version)
    if application.claimed_by_id != staff.id:
        raise ServiceError("not_yours")
    application.claimed_by_id = None
    application.claimed_at = None
    application.updated_at = utcnow()
    session.flush()


def _require_holder(application: Application, staff: StaffUser) -> None:
    if not is_reviewer(staff):
        raise ServiceError("not_allowed")
    if application.status not in BEING_DECIDED:
        raise ServiceError("not_decidable")
    if application.claimed_by_id != staff.id:
        raise ServiceError("claim_first")
    if _actor(staff) in (application.created_by, application.submitted_by):
        raise ServiceError("own_submission")  # nobody decides what they started or sent for a borrower
    if application.status in ("awaiting_second_approval", "appealed"):
        if staff.role != "senior_reviewer":
            raise ServiceError("senior_only")
        if staff.id in (application.first_approver_id, application.decided_by_id):
            raise ServiceError("same_person")  # the second approval and appeals need someone new


def waived_amounts(
    session: Session, application: Application, as_of: date, waivers: dict
) -> dict[str, Decimal]:
    """What the chosen waivers forgo as of a date."""
    report = positions.loan_position(session, application.loan, as_of).report
    found = arrears_rules.waivable(report)
    return {k: v for k, v in found.items() if waivers.get(k)}


def needs_second_approval(
    session: Session, application: Application, staff: StaffUser, as_of: date, waivers: dict
) -> bool:
    """Above the decider's approval limit, or a waiver above the policy's reviewer limit."""
    if staff.role == "senior_reviewer" and application.status == "in_review":
        limit_ok = application.amount_fen <= staff.approval_limit_fen
        return not limit_ok
    if application.status != "in_review":
        return False
    waiver_total = sum(waived_amounts(session, application, as_of, waivers).values(), Decimal("0.00"))
    waiver_limit = policies.of(application.policy_pack).reviewer_waiver_limit
    return application.amount_fen > staff.approval_limit_fen or waiver_total > waiver_limit


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
    if application.status == "in_review":
        application.waivers = waivers
        if needs_second_approval(session, application, staff, as_of, waivers):
            return _send_up(session, application, staff, message, internal_note, {"waivers": waivers})
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
        data={"waivers": application.waivers},
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
    if application.status != "in_review":
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
            {"counter": application.counter_terms, "waivers": waivers},
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
        data={"counter": application.counter_terms, "waivers": waivers},
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
    if application.status != "in_review":
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


def can_appeal(application: Application, as_of: date) -> bool:
    """A rejection can be appealed within the policy's window (14 days by default)."""
    if application.status != "rejected" or application.decided_at is None:
        return False
    window = policies.of(application.policy_pack).appeal_days
    return as_of <= local_date(application.decided_at) + timedelta(days=window)


def appeal(
    session: Session,
    application: Application,
    *,
    actor: str,
    as_of: date,
    note: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
) -> None:
    """The borrower asks for a rejection to be looked at again, within the policy's appeal window."""
    window = policies.of(application.policy_pack).appeal_days
    if application.status != "rejected" or application.decided_at is None:
        raise ServiceError("not_appealable")
    if as_of > local_date(application.decided_at) + timedelta(days=window):
        raise ServiceError("appeal_window_closed")
    application.claimed_by_id = None
    # An appeal is a new decision to make, with its own due date.
    application.decision_due = as_of + timedelta(days=policies.of(application.policy_pack).sla_days)
    transitions.move(
        session,
        application,
        "appealed",
        role=transitions.applicant_role(on_behalf_of),
        actor=actor,
        channel=channel,
        on_behalf_of=on_behalf_of,
        note=note[:200],
    )
    transitions.told_by_phone(session, application, "appealed", actor=actor, channel=channel)


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
