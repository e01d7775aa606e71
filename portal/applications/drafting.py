"""A draft application: starting or resuming it, and saving its hardship, budget and chosen plan.

Only a draft can change; an agent's edits on a call go on the record and the borrower is told once.
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from portal import policies
from portal.applications.calculation import budget_of, loan_facts
from portal.applications.models import Application
from portal.applications.serialisation import proposal_to_json, quote_to_json, terms_to_json
from portal.applications.transitions import told_by_phone
from portal.clock import utcnow
from portal.core import audit
from portal.domain import lifecycle, options
from portal.domain import proposal as proposals
from portal.domain.hardship import Budget
from portal.domain.money import to_fen
from portal.domain.options import Quote
from portal.loans.models import Loan
from portal.loans.services import ServiceError


def open_application(session: Session, loan: Loan) -> Application | None:
    """The loan's open application, if any."""
    return session.scalars(
        select(Application).where(
            Application.loan_id == loan.id, Application.status.in_(lifecycle.OPEN_STATUSES)
        )
    ).first()


def _resume(session: Session, loan: Loan, create_key: str) -> Application | None:
    """The application this key already made, or the loan's draft to carry on with; refuses another open one."""
    again = session.scalars(select(Application).where(Application.create_key == create_key)).first()
    if again is not None:
        if again.loan_id != loan.id:
            raise ServiceError("not_found")
        return again
    existing = open_application(session, loan)
    if existing is not None:
        if existing.status == "draft":
            return existing  # carry on with the draft rather than start another
        raise ServiceError("open_application", reference=existing.reference)
    return None


def _edited(
    application: Application,
    action: str,
    data: dict | None,
    *,
    actor: str | None,
    on_behalf_of: str | None,
    channel: str,
    tell: str | None = None,
) -> None:
    """An agent's change to the borrower's draft goes on the record, and the borrower is told once (the
    borrower's own edits of a draft are theirs alone; every status change is recorded for everyone by `move`)."""
    if channel != "phone" or actor is None:
        return
    session = object_session(application)
    audit.record(
        session,
        actor=actor,
        on_behalf_of=on_behalf_of,
        channel=channel,
        action=action,
        subject=f"application:{application.id}",
        data=data or {},
    )
    if tell:
        told_by_phone(session, application, tell, actor=actor, channel=channel)


def start(
    session: Session,
    loan: Loan,
    *,
    actor: str,
    create_key: str,
    as_of: date,
    channel: str = "web",
    on_behalf_of: str | None = None,
) -> Application:
    """Start (or resume) the loan's application. The same `create_key` twice returns the first application."""
    resumed = _resume(session, loan, create_key)
    if resumed is not None:
        return resumed
    facts = loan_facts(session, loan, as_of)
    reasons = options.general_reasons(facts, policies.current(session, loan.borrower.variant)[1])
    blocking = [r for r in reasons if r != "arrears_below_minimum"]
    if blocking:
        if blocking[0] == "open_application":
            # Another request (a double click) opened one since the check above: answer as if it came first.
            resumed = _resume(session, loan, create_key)
            if resumed is not None:
                return resumed
        raise ServiceError(blocking[0])
    pack, _policy = policies.current(session, loan.borrower.variant)
    now = utcnow()
    application = Application(
        reference="RA-PENDING-" + secrets.token_hex(4),
        loan_id=loan.id,
        borrower_id=loan.borrower_id,
        status="draft",
        variant=loan.borrower.variant,
        policy_pack_id=pack.id,
        create_key=create_key,
        channel=channel,
        created_by=actor,
        reasons=[],
        account="",
        budget={},
        terms={},
        quote={},
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(application)
            session.flush()
    except IntegrityError as exc:
        # Another request opened one for this loan at the same instant: the unique index decided.
        existing = open_application(session, loan)
        if existing is not None and existing.status == "draft":
            return existing
        raise ServiceError("open_application", reference=existing.reference if existing else "") from exc
    application.reference = f"RA{as_of:%y%m}{application.id:06d}"
    session.flush()
    audit.record(
        session,
        actor=actor,
        on_behalf_of=on_behalf_of,
        channel=channel,
        action="application.started",
        subject=f"application:{application.id}",
        data={"loan": loan.number, "policy_version": pack.version},
    )
    told_by_phone(session, application, "started", actor=actor, channel=channel)
    return application


def require_editable(application: Application) -> None:
    """Hardship and plan can change only while the application is a draft."""
    if application.status != "draft":
        raise ServiceError("not_editable")


def save_hardship(
    application: Application,
    *,
    reasons: list[str],
    duration: str,
    account: str,
    actor: str | None = None,
    on_behalf_of: str | None = None,
    channel: str = "web",
) -> None:
    """Store the reasons, expected duration and the borrower's own account."""
    require_editable(application)
    application.reasons = list(dict.fromkeys(reasons))  # a reason posted twice counts once
    application.duration = duration
    application.account = account
    application.updated_at = utcnow()
    who = {"actor": actor, "on_behalf_of": on_behalf_of, "channel": channel}
    _edited(application, "application.hardship_saved", None, tell="hardship", **who)


def save_budget(
    application: Application,
    *,
    income: dict[str, Decimal],
    spending: dict[str, Decimal],
    other_debt: Decimal,
    dependants: int,
    actor: str | None = None,
    on_behalf_of: str | None = None,
    channel: str = "web",
) -> Budget:
    """Store monthly income and spending (as fen) and return the budget with its disposable income."""
    require_editable(application)
    application.budget = {
        "income": {k: to_fen(v) for k, v in income.items()},
        "spending": {k: to_fen(v) for k, v in spending.items()},
        "other_debt": to_fen(other_debt),
        "dependants": dependants,
        "complete": True,
    }
    application.updated_at = utcnow()
    who = {"actor": actor, "on_behalf_of": on_behalf_of, "channel": channel}
    _edited(application, "application.budget_saved", None, tell="hardship", **who)
    return budget_of(application)


def save_income(
    application: Application,
    *,
    income: dict[str, Decimal],
    dependants: int,
    actor: str | None = None,
    on_behalf_of: str | None = None,
    channel: str = "web",
) -> None:
    """The first half of the budget (rural pages ask income and spending on two pages). The budget is complete
    once both halves are saved; changing one half later keeps the other."""
    require_editable(application)
    data = dict(application.budget or {})
    data.update(income={k: to_fen(v) for k, v in income.items()}, dependants=dependants)
    data["complete"] = bool(data.get("complete"))
    application.budget = data
    application.updated_at = utcnow()
    who = {"actor": actor, "on_behalf_of": on_behalf_of, "channel": channel}
    _edited(application, "application.budget_saved", {"part": "income"}, tell="hardship", **who)


def save_spending(
    application: Application,
    *,
    spending: dict[str, Decimal],
    other_debt: Decimal,
    actor: str | None = None,
    on_behalf_of: str | None = None,
    channel: str = "web",
) -> Budget | None:
    """The second half of the budget: essential spending and other debt payments."""
    require_editable(application)
    data = dict(application.budget or {})
    data.update(spending={k: to_fen(v) for k, v in spending.items()}, other_debt=to_fen(other_debt))
    data["complete"] = "income" in data
    application.budget = data
    application.updated_at = utcnow()
    who = {"actor": actor, "on_behalf_of": on_behalf_of, "channel": channel}
    _edited(application, "application.budget_saved", {"part": "spending"}, tell="hardship", **who)
    return budget_of(application)


def choose(
    application: Application,
    quote: Quote,
    *,
    actor: str | None = None,
    on_behalf_of: str | None = None,
    channel: str = "web",
) -> None:
    """Record the chosen option and terms with the quote the borrower saw."""
    require_editable(application)
    if not quote.available:
        raise ServiceError(quote.reasons[0] if quote.reasons else "option_unavailable")
    application.option = quote.kind
    application.terms = terms_to_json(quote.terms)
    application.quote = quote_to_json(quote)
    application.updated_at = utcnow()
    who = {"actor": actor, "on_behalf_of": on_behalf_of, "channel": channel}
    _edited(application, "application.plan_chosen", {"option": quote.kind}, **who)


def choose_proposal(
    application: Application,
    proposal: proposals.Proposal,
    *,
    actor: str | None = None,
    on_behalf_of: str | None = None,
    channel: str = "web",
) -> None:
    """Record the borrower's own proposal as the application's plan (instead of one of the priced options)."""
    require_editable(application)
    application.option = proposals.PROPOSAL
    application.terms = {"monthly": str(proposal.monthly)}
    application.quote = proposal_to_json(proposal)
    application.updated_at = utcnow()
    who = {"actor": actor, "on_behalf_of": on_behalf_of, "channel": channel}
    _edited(application, "application.plan_chosen", {"option": proposals.PROPOSAL}, **who)
