"""The offer and its acceptance: offered terms and figures, waivers, the agreement and its hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from portal.applications import notices
from portal.applications.calculation import Calculator, calculator
from portal.applications.models import Application
from portal.applications.serialisation import quote_to_json, terms_from_json, terms_to_json
from portal.applications.transitions import applicant_role, move
from portal.clock import utcnow
from portal.domain import arrears as arrears_rules
from portal.domain import lifecycle
from portal.domain.options import Quote, Terms
from portal.loans import positions, services
from portal.loans.models import ScheduleVersion
from portal.loans.services import ServiceError


def offered_terms(application: Application) -> tuple[str, Terms]:
    """What is on offer: the counter-offer's option and terms, or the borrower's own when approved as asked."""
    if application.counter_terms:
        data = dict(application.counter_terms)
        return data.get("kind", application.option), terms_from_json(data)
    return application.option, terms_from_json(application.terms)


def offered_quote(
    session: Session,
    application: Application,
    as_of: date,
    calc: Calculator | None = None,
    *,
    upfront_due: date | None = None,
) -> Quote:
    """The offer's figures as of today (penalty has grown since submission, so they are worked out again).

    ``upfront_due``: the upfront payment's date as the borrower was shown it on the offer page; without it
    the date is worked out from today (``as_of`` + the pack's upfront_due_days, or the first pay day).
    """
    kind, terms = offered_terms(application)
    if upfront_due is not None and terms.upfront:
        terms = replace(terms, upfront_due=upfront_due)
    calc = calc or calculator(session, application, as_of)
    return calc.waived(application.waivers).quote(kind, terms)


def agreement_for(session: Session, application: Application, quote: Quote, as_of: date) -> dict:
    """The agreement's content: balance structure, new schedule, what keeps accruing, and both sides' duties."""
    report = positions.loan_position(session, application.loan, as_of).report
    borrower = application.borrower
    return {
        "application": application.reference,
        "loan": application.loan.number,
        "borrower": borrower.name,
        "id_number": borrower.masked_id_number,
        "branch": application.loan.branch.code,
        "as_of": as_of.isoformat(),
        "locale": borrower.locale,
        "variant": application.variant,
        "policy_version": application.policy_pack.version,
        "classification_before": report.classification,  # the tier the day the plan was accepted
        "option": quote.kind,
        "terms": terms_to_json(quote.terms),
        "balance": {
            "outstanding_principal": str(report.outstanding_principal),
            "overdue_principal": str(report.overdue_principal),
            "overdue_interest": str(report.overdue_interest),
            "penalty": str(report.penalty),
            "compound": str(report.compound),
            "charges": str(report.overdue_charges),
            "total_to_bring_current": str(report.total_to_bring_current),
        },
        "annual_rate": str(application.loan.annual_rate),
        "regular_payment": str(quote.regular_payment),
        "total_interest": str(quote.total_interest),
        "total_cost": str(quote.total_cost),
        "current_again_on": quote.current_again_on.isoformat() if quote.current_again_on else None,
        "added_months": quote.added_months,
        "upfront_due": quote.upfront_due.isoformat() if quote.upfront_due else None,
        "waivers": {
            name: str(value)
            for name, value in arrears_rules.waivable(report).items()
            if (application.waivers or {}).get(name)
        },
        "schedule": quote_to_json(quote)["schedule"],
    }


@dataclass(frozen=True)
class Waived:
    """What the lender forgoes on an offer or in an agreement: the overdue total before, each waived part with
    its amount, and what is still owed after (the figure the new schedule carries)."""

    before: Decimal
    parts: tuple[tuple[str, Decimal], ...] = ()  # ("penalty" | "compound", amount waived), only those above 0

    @property
    def total(self) -> Decimal:
        """Everything waived."""
        return sum((amount for _name, amount in self.parts), Decimal("0.00"))

    @property
    def after(self) -> Decimal:
        """The overdue total still owed once the waivers are applied."""
        return self.before - self.total

    def owed(self, part: str, accrued) -> Decimal:
        """What is still owed of one part (penalty, compound...) that had reached `accrued`."""
        return Decimal(str(accrued)) - dict(self.parts).get(part, Decimal("0.00"))


def offer_waivers(application: Application, report: arrears_rules.ArrearsReport) -> Waived:
    """The waivers a reviewer granted on this application, as of the report's date (what they forgo today)."""
    chosen = application.waivers or {}
    found = arrears_rules.waivable(report)
    return Waived(
        report.total_to_bring_current,
        tuple((name, amount) for name, amount in found.items() if chosen.get(name) and amount > 0),
    )


def agreement_waivers(agreement: dict) -> Waived:
    """The waivers written into a signed agreement, against the balance it records for that day."""
    balance = agreement.get("balance") or {}
    return Waived(
        Decimal(balance.get("total_to_bring_current") or "0.00"),
        tuple(
            (name, Decimal(amount))
            for name, amount in (agreement.get("waivers") or {}).items()
            if Decimal(amount) > 0
        ),
    )


def accept(
    session: Session,
    application: Application,
    *,
    actor: str,
    as_of: date,
    confirmation: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
    consent_reference: str | None = None,
    upfront_due: date | None = None,
) -> ScheduleVersion:
    """Accept the offer and put the new schedule in force, all in the caller's one transaction.

    ``upfront_due`` is the upfront payment's date the offer page showed. The borrower accepts the offer as it
    stood, so that date goes into the agreement; a date that is today or already past would not leave the
    borrower the days after acceptance the pack promises, so the offer cannot be accepted as it stands
    ("upfront_due_passed"): the page shows the offer again with a date worked out from today.
    """
    role = applicant_role(on_behalf_of)
    lifecycle.transition(application.status, "accepted", role)  # refuse early, before any work
    if application.offer_expires_on and as_of > application.offer_expires_on:
        raise ServiceError("offer_expired")  # even before the nightly job marks it expired
    quote = offered_quote(session, application, as_of, upfront_due=upfront_due)
    if quote.term_errors.get("upfront_due"):
        raise ServiceError("upfront_due_passed")
    if not quote.available:
        raise ServiceError(quote.reasons[0] if quote.reasons else "option_unavailable")
    agreement = agreement_for(session, application, quote, as_of)
    agreement["confirmation"] = confirmation
    if consent_reference:
        agreement["consent_reference"] = consent_reference
    application.agreement = agreement
    application.agreement_hash = agreement_hash(agreement)
    application.accepted_at = utcnow()
    move(
        session,
        application,
        "accepted",
        role=role,
        actor=actor,
        channel=channel,
        on_behalf_of=on_behalf_of,
        data={
            "agreement_hash": application.agreement_hash,
            "confirmation": confirmation,
            **({"consent_reference": consent_reference} if consent_reference else {}),
        },
    )
    version = services.write_schedule_version(
        session, application.loan, list(quote.schedule), effective_on=as_of, reason="restructuring"
    )
    application.schedule_version_id = version.id
    move(
        session,
        application,
        "active",
        role="system",
        actor="system",
        channel=channel,
        data={"schedule_version": version.version},
    )
    notices.accepted(session, application)
    return version


def agreement_hash(agreement: dict) -> str:
    """SHA-256 over the agreement's canonical JSON: the borrower and the bank can both check it."""
    return hashlib.sha256(json.dumps(agreement, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
