"""An application's changes of status: move, and the applicant's submit, withdraw, decline and answer.

Every change of status goes through `domain.lifecycle.transition` and writes one audit row (actor,
on-behalf-of, channel, reason, note, policy version) in the caller's transaction. Services flush, never commit.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from portal import policies
from portal.applications import evidence, notices
from portal.applications.calculation import calculator
from portal.applications.models import Application
from portal.applications.scoring import stamp_for_queue
from portal.applications.serialisation import (
    proposal_to_json,
    proposed_monthly,
    quote_to_json,
    terms_from_json,
)
from portal.clock import business_date, utcnow
from portal.core import audit
from portal.domain import lifecycle
from portal.domain import proposal as proposals
from portal.loans.services import ServiceError
from portal.support import sessions as support_sessions


def told_by_phone(
    session: Session, application: Application, action: str, *, actor: str, channel: str
) -> None:
    """An agent acted for the borrower on a call (`channel` phone): tell the borrower, once per meaningful action
    during the call (the assisted session remembers what it told)."""
    if channel != "phone" or not actor.startswith("staff:"):
        return
    assisted = support_sessions.live_session(session, int(actor.partition(":")[2]))
    if assisted is not None and support_sessions.first_time(assisted, f"{action}:{application.id}"):
        notices.done_by_phone(session, application, action)


def _quote_again(session: Session, application: Application, as_of: date) -> dict:
    """The application's plan worked out again as of today, as stored data (refused when no longer possible)."""
    calc = calculator(session, application, as_of)
    if application.option == proposals.PROPOSAL:
        _amount, error = proposals.check_monthly(proposed_monthly(application), calc.owed)
        if error:
            raise ServiceError("proposal_" + error)
        return proposal_to_json(calc.proposal(proposed_monthly(application)))
    quote = calc.quote(application.option, terms_from_json(application.terms))
    if not quote.available:
        raise ServiceError(quote.reasons[0] if quote.reasons else "option_unavailable")
    return quote_to_json(quote)


def missing_for_submit(application: Application) -> list[str]:
    """What still has to be filled in before the application can be submitted (codes)."""
    missing = []
    if not application.reasons or not application.duration:
        missing.append("hardship")
    if not (application.budget or {}).get("complete"):
        missing.append("budget")
    if application.policy_pack.data.get("evidence_required") and not application.evidence:
        missing.append("evidence")
    if not application.option:
        missing.append("option")
    return missing


def applicant_role(on_behalf_of: str | None) -> str:
    """The lifecycle role of whoever acts for the applicant: the borrower, or an agent on their behalf."""
    return "agent" if on_behalf_of else "borrower"


def move(
    session: Session,
    application: Application,
    target: str,
    *,
    role: str,
    actor: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    data: dict | None = None,
) -> None:
    """Change status through the lifecycle table and write the audit row (raises IllegalTransition)."""
    previous = application.status
    lifecycle.transition(previous, target, role)
    application.status = target
    application.updated_at = utcnow()
    payload = {"from": previous, "to": target, "policy_version": application.policy_pack.version}
    if reason:
        payload["reason"] = reason
    if note:
        payload["note"] = note
    payload.update(data or {})
    audit.record(
        session,
        actor=actor,
        on_behalf_of=on_behalf_of,
        channel=channel,
        action=f"application.{target}",
        subject=f"application:{application.id}",
        data=payload,
    )
    session.flush()


def submit(
    session: Session,
    application: Application,
    *,
    actor: str,
    as_of: date,
    role: str = "borrower",
    channel: str = "web",
    on_behalf_of: str | None = None,
    consent_reference: str | None = None,
) -> bool:
    """Submit a complete draft. Returns False when it was already submitted (a double submit changes nothing).
    An agent sending it for the borrower gives the reference of the borrower's recorded spoken consent."""
    if application.status != "draft":
        return False
    missing = missing_for_submit(application)
    if missing:
        raise ServiceError("incomplete", missing=missing)
    # Quote again as of today so the reviewer sees current figures, with the terms the borrower chose.
    application.quote = _quote_again(session, application, as_of)
    stamp_for_queue(session, application, as_of)
    application.submitted_at = utcnow()
    application.decision_due = as_of + timedelta(days=policies.of(application.policy_pack).sla_days)
    application.channel = channel
    application.submitted_by = actor
    application.submit_consent_reference = consent_reference
    evidence.keep_while_deciding(application)
    move(
        session,
        application,
        "submitted",
        role=role,
        actor=actor,
        channel=channel,
        on_behalf_of=on_behalf_of,
        data={"consent_reference": consent_reference} if consent_reference else None,
    )
    notices.acknowledge(session, application)
    return True


def _applicant_moves(
    session: Session,
    application: Application,
    target: str,
    told: str,
    *,
    role: str,
    actor: str,
    channel: str,
    on_behalf_of: str | None,
    note: str | None = None,
) -> None:
    """A move the applicant makes (or an agent for them): through the lifecycle, audited, and on a call the
    borrower told once."""
    move(
        session,
        application,
        target,
        role=role,
        actor=actor,
        channel=channel,
        on_behalf_of=on_behalf_of,
        note=note,
    )
    told_by_phone(session, application, told, actor=actor, channel=channel)


def withdraw(
    session: Session,
    application: Application,
    *,
    actor: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
) -> None:
    """The borrower withdraws the application (allowed before a decision); its files get their purge date."""
    evidence.schedule_withdrawn(application, business_date())
    _applicant_moves(
        session,
        application,
        "withdrawn",
        "withdrawn",
        role=applicant_role(on_behalf_of),
        actor=actor,
        channel=channel,
        on_behalf_of=on_behalf_of,
    )


def decline(
    session: Session,
    application: Application,
    *,
    actor: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
) -> None:
    """The borrower declines a counter-offer (raises IllegalTransition when it cannot be declined). Only the
    borrower's role may decline, also when an agent records it for them on a call."""
    _applicant_moves(
        session,
        application,
        "declined",
        "declined",
        role="borrower",
        actor=actor,
        channel=channel,
        on_behalf_of=on_behalf_of,
    )


def answer_information(
    session: Session,
    application: Application,
    *,
    answer: str,
    actor: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
) -> None:
    """The borrower answers a request for information; the application goes back to the queue."""
    application.info_response = answer
    _applicant_moves(
        session,
        application,
        "submitted",
        "answered",
        role=applicant_role(on_behalf_of),
        actor=actor,
        channel=channel,
        on_behalf_of=on_behalf_of,
        note=answer[:200],
    )
