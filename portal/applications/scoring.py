"""An application's risk score, and what the queue filters and sorts on, stamped at submission."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import policies
from portal.applications.calculation import disposable_income
from portal.applications.models import Application
from portal.applications.serialisation import stored_story
from portal.domain import payments, risk
from portal.domain.money import to_fen
from portal.loans import positions


def assess_risk(
    session: Session, application: Application, as_of: date, position: positions.LoanPosition | None = None
) -> risk.RiskScore:
    """Score the application from the points table (shown with its reasons; it orders the queue)."""
    report = (position or positions.loan_position(session, application.loan, as_of)).report
    regular = max((s.total for s in report.installments), default=Decimal("0.00"))
    broken = session.scalar(
        select(Application.id)
        .where(Application.loan_id == application.loan_id, Application.status == "broken")
        .limit(1)
    )
    broken_count = (
        len(
            session.scalars(
                select(Application.id).where(
                    Application.borrower_id == application.borrower_id, Application.status == "broken"
                )
            ).all()
        )
        if broken is not None
        else 0
    )
    # The most that falls due in one month of the first year of the requested plan, not its "usual" month:
    # the margin is judged on what the borrower will have to pay.
    story = stored_story(application, application.quote)
    requested = (
        payments.largest_near(story, as_of)
        if story is not None
        else Decimal((application.quote or {}).get("regular_payment") or "0")
    )
    return risk.score(
        days_past_due=report.days_past_due,
        arrears=report.total_to_bring_current,
        regular_payment=regular,
        broken_plans=broken_count,
        disposable=disposable_income(application),
        requested_payment=requested,
        affordability_share=policies.of(application.policy_pack).affordability_share,
        duration=application.duration,
    )


def stamp_for_queue(session: Session, application: Application, as_of: date) -> None:
    """Denormalise what the queue filters and sorts on (at submission, and again when it comes back)."""
    position = positions.loan_position(session, application.loan, as_of)
    report = position.report
    application.branch_id = application.loan.branch_id
    application.bucket = report.bucket
    application.arrears_fen = to_fen(report.total_to_bring_current)
    application.amount_fen = to_fen(
        report.outstanding_principal + report.total_to_bring_current - report.overdue_principal
    )
    scored = assess_risk(session, application, as_of, position)
    application.risk_score = scored.score
    application.risk_reasons = [[r.code, r.value, r.points] for r in scored.reasons]
