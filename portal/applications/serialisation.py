"""An application's stored JSON: terms, quotes, schedules and proposals to and from domain objects."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal

from portal.applications.models import Application
from portal.domain import options
from portal.domain import proposal as proposals
from portal.domain.options import Quote, Terms
from portal.domain.payments import PaymentStory
from portal.domain.schedule import Installment


def terms_to_json(terms: Terms) -> dict:
    """Terms as JSON-safe data."""
    data = asdict(terms)
    data["upfront"] = str(terms.upfront)
    data["income_months"] = list(terms.income_months)
    # Only an offer's accepted terms carry the upfront date the borrower was shown; chosen terms have none.
    if terms.upfront_due is None:
        del data["upfront_due"]
    else:
        data["upfront_due"] = terms.upfront_due.isoformat()
    return data


def terms_from_json(data: dict) -> Terms:
    """Stored terms back as domain Terms."""
    return Terms(
        months=data.get("months"),
        upfront=Decimal(data.get("upfront") or "0.00"),
        pay_day=data.get("pay_day"),
        income_months=tuple(data.get("income_months") or ()),
        spread_charges=int(data.get("spread_charges") or 1),
        upfront_due=date.fromisoformat(data["upfront_due"]) if data.get("upfront_due") else None,
    )


def quote_to_json(quote: Quote) -> dict:
    """A quote as stored on the application: the snapshot the borrower saw and the reviewer judges."""
    return {
        "kind": quote.kind,
        "terms": terms_to_json(quote.terms),
        "available": quote.available,
        "reasons": list(quote.reasons),
        "regular_payment": str(quote.regular_payment),
        "total_interest": str(quote.total_interest),
        "total_cost": str(quote.total_cost),
        "current_total_interest": str(quote.current_total_interest),
        "current_total_cost": str(quote.current_total_cost),
        "current_again_on": quote.current_again_on.isoformat() if quote.current_again_on else None,
        "fits": quote.fits,
        "affordable_limit": str(quote.affordable_limit) if quote.affordable_limit is not None else None,
        "added_months": quote.added_months,
        "upfront_due": quote.upfront_due.isoformat() if quote.upfront_due else None,
        "schedule": [
            [i.number, i.due_date.isoformat(), str(i.principal), str(i.interest), str(i.charges)]
            for i in quote.schedule
        ],
    }


def schedule_from_json(rows: list) -> list[Installment]:
    """A stored schedule back as domain installments."""
    return [
        Installment(int(n), date.fromisoformat(d), Decimal(p), Decimal(i), Decimal(c))
        for n, d, p, i, c in rows
    ]


def stored_story(application: Application, data: dict | None) -> PaymentStory | None:
    """The payments of a stored quote or agreement (``kind``/``option``, ``terms``, ``schedule``) as a person
    reads them; None when nothing is stored."""
    data = data or {}
    kind = data.get("kind") or data.get("option")
    rows = data.get("schedule") or []
    if not kind or not rows:
        return None
    terms = terms_from_json(data.get("terms") or {})
    return options.story_of(kind, terms, schedule_from_json(rows), application.loan.method)


def proposal_to_json(proposal: proposals.Proposal) -> dict:
    """A proposal stored like a quote, so every page that reads the requested payment reads the proposed one.
    It has no schedule and no total: staff answer it with a counter-offer that has both."""
    return {
        "kind": proposals.PROPOSAL,
        "terms": {"monthly": str(proposal.monthly)},
        "available": True,
        "reasons": [],
        "regular_payment": str(proposal.monthly),
        "total_interest": None,
        "total_cost": None,
        "current_total_interest": None,
        "current_total_cost": str(proposal.owed),
        "current_again_on": None,
        "fits": proposal.fits,
        "affordable_limit": str(proposal.affordable_limit) if proposal.affordable_limit is not None else None,
        "added_months": 0,
        "loan_regular_payment": str(proposal.regular_payment),
        "arrears": str(proposal.arrears),
        "schedule": [],
    }


def proposed_monthly(application: Application) -> Decimal | None:
    """The monthly amount the borrower proposed, when their application is a proposal."""
    if application.option != proposals.PROPOSAL:
        return None
    return Decimal((application.terms or {}).get("monthly") or "0.00")
