"""Applications for relief: start, hardship, plan, submit, withdraw, answer, decide, accept.

Every change of status goes through `domain.lifecycle.transition` and writes one audit row (actor,
on-behalf-of, channel, reason, note, policy version) in the caller's transaction. Services flush, never commit.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload, load_only, object_session

from portal import policies
from portal.applications import notices
from portal.applications.models import Application, Disaster
from portal.clock import business_date, utcnow
from portal.core import audit
from portal.core.models import HISTORY_SQL, AuditEvent
from portal.domain import arrears as arrears_rules
from portal.domain import lifecycle, options, payments, risk
from portal.domain import proposal as proposals
from portal.domain.hardship import Budget, affordable_limit
from portal.domain.money import from_fen, to_fen
from portal.domain.options import LoanFacts, Quote, Terms
from portal.domain.payments import PaymentStory, Verdict
from portal.domain.policy import Policy
from portal.domain.schedule import Installment
from portal.loans import services
from portal.loans.models import Loan, ScheduleVersion
from portal.loans.services import ServiceError
from portal.people.models import StaffUser
from portal.support import calls as support_calls

RESTRUCTURED = ("accepted", "active", "completed", "broken")


# --- facts the calculator needs ---------------------------------------------------------------------------


def loan_facts(
    session: Session,
    loan: Loan,
    as_of: date,
    *,
    exclude: Application | None = None,
    position: services.LoanPosition | None = None,
) -> LoanFacts:
    """Everything the calculator needs about a loan, as of a date (ignoring `exclude` as an open application)."""
    position = position or services.loan_position(session, loan, as_of)
    first_version = position.versions[0] if position.versions else None
    if first_version is None or first_version.version != 1:
        first_version = session.scalars(
            select(ScheduleVersion)
            .where(ScheduleVersion.loan_id == loan.id)
            .order_by(ScheduleVersion.version)
        ).first()
    maturity = first_version.lines[-1].due_date
    # The loan's restructurings so far and whether another application is open: one read of its applications.
    others = session.scalars(
        select(Application)
        .where(
            Application.loan_id == loan.id,
            Application.status.in_(RESTRUCTURED + tuple(lifecycle.OPEN_STATUSES)),
        )
        .options(lazyload(Application.evidence))
    ).all()
    earlier = [a for a in others if a.status in RESTRUCTURED]
    open_others = [
        a for a in others if a.status in lifecycle.OPEN_STATUSES and (exclude is None or a.id != exclude.id)
    ]
    disaster = session.scalars(
        select(Disaster)
        .where(
            Disaster.branch_id == loan.branch_id,
            Disaster.declared_on <= as_of,
            Disaster.declared_on >= options.disaster_window_opens(as_of),
        )
        .order_by(Disaster.declared_on.desc())
    ).first()
    return LoanFacts(
        principal=loan.principal,
        annual_rate=loan.annual_rate,
        term_months=loan.months,
        method=loan.method,
        status=loan.status,
        maturity=maturity,
        schedule=tuple(position.installments),
        report=position.report,
        as_of=as_of,
        due_day=loan.first_due.day,
        variant=loan.borrower.variant,
        extended_months=sum(int((a.agreement or a.quote or {}).get("added_months", 0)) for a in earlier),
        restructurings=len(earlier),
        has_open_application=bool(open_others),
        disaster_declared_on=disaster.declared_on if disaster else None,
    )


def disposable_income(application: Application) -> Decimal | None:
    """The borrower's disposable income from the budget in the application, or None before it is filled in."""
    budget = budget_of(application)
    return budget.disposable if budget is not None else None


def budget_of(application: Application) -> Budget | None:
    """The stored budget as a domain Budget."""
    data = application.budget or {}
    if not data.get("complete"):
        return None
    return Budget(
        income={k: from_fen(v) for k, v in data.get("income", {}).items()},
        spending={k: from_fen(v) for k, v in data.get("spending", {}).items()},
        other_debt=from_fen(data.get("other_debt", 0)),
        dependants=int(data.get("dependants", 0)),
    )


# --- quotes as stored data -------------------------------------------------------------------------------


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


def stored_verdict(
    application: Application, story: PaymentStory | None, as_of: date | None = None
) -> Verdict | None:
    """Whether every payment of ``story`` fits the application's budget (judged with today's rule as of
    ``as_of``, the business date by default, not read from the stored quote); None without a budget or story."""
    as_of = as_of or business_date()
    disposable = disposable_income(application)
    if story is None or disposable is None:
        return None
    limit = affordable_limit(disposable, policies.of(application.policy_pack).affordability_share)
    return payments.judge(story, limit, as_of)


# --- the application's life ------------------------------------------------------------------------------


def open_application(session: Session, loan: Loan) -> Application | None:
    """The loan's open application, if any."""
    return session.scalars(
        select(Application).where(
            Application.loan_id == loan.id, Application.status.in_(lifecycle.OPEN_STATUSES)
        )
    ).first()


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


def told_by_phone(
    session: Session, application: Application, action: str, *, actor: str, channel: str
) -> None:
    """An agent acted for the borrower on a call (`channel` phone): tell the borrower, once per meaningful action
    during the call (the assisted session remembers what it told)."""
    if channel != "phone" or not actor.startswith("staff:"):
        return
    assisted = support_calls.live_session(session, int(actor.partition(":")[2]))
    if assisted is not None and support_calls.first_time(assisted, f"{action}:{application.id}"):
        notices.done_by_phone(session, application, action)


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


@dataclass(frozen=True)
class Calculator:
    """The calculator bound to one application as of one date: the loan's facts are gathered once per use."""

    position: services.LoanPosition
    facts: LoanFacts
    policy: Policy
    disposable: Decimal | None

    def quote_all(self) -> list[Quote]:
        """Every option of the policy with default terms, side by side."""
        return options.quote_all(self.facts, self.policy, self.disposable)

    def quote(self, kind: str, terms: Terms) -> Quote:
        """One option with the borrower's terms."""
        return options.quote(kind, self.facts, self.policy, terms, self.disposable)

    def default_terms(self, kind: str) -> Terms:
        """The terms to prefill the plan form with."""
        return options.default_terms(kind, self.facts, self.policy)

    def waived(self, waivers: dict | None) -> Calculator:
        """The same calculator once the lender forgoes accrued penalty and/or compound interest."""
        if not waivers:
            return self
        report = arrears_rules.waive(
            self.facts.report, penalty=bool(waivers.get("penalty")), compound=bool(waivers.get("compound"))
        )
        return replace(self, facts=replace(self.facts, report=report))

    def chosen_or_default_terms(self, application: Application, kind: str) -> Terms:
        """The borrower's own terms for this option when they chose it, else the defaults."""
        if application.option == kind and application.terms:
            return terms_from_json(application.terms)
        return self.default_terms(kind)

    def term_errors(self, kind: str, terms: Terms) -> dict:
        """Field errors (codes) for the chosen terms."""
        return options.validate_terms(kind, self.facts, self.policy, terms)

    @property
    def owed(self) -> Decimal:
        """Everything still unpaid on the loan, arrears included: the ceiling of a proposal."""
        return sum((state.total_unpaid for state in self.facts.report.installments), Decimal("0.00"))

    def proposal(self, monthly: Decimal) -> proposals.Proposal:
        """The borrower's own monthly amount beside their budget and the loan as it stands today."""
        report = self.facts.report
        upcoming = report.next_installment
        return proposals.assess(
            monthly,
            disposable=self.disposable,
            share=self.policy.affordability_share,
            regular_payment=upcoming.total if upcoming is not None else Decimal("0.00"),
            arrears=report.total_to_bring_current,
            owed=self.owed,
        )


def calculator(session: Session, application: Application, as_of: date) -> Calculator:
    """The application's calculator (its own open status does not count against it)."""
    position = services.loan_position(session, application.loan, as_of)
    return Calculator(
        position,
        loan_facts(session, application.loan, as_of, exclude=application, position=position),
        policies.of(application.policy_pack),
        disposable_income(application),
    )


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


def withdraw(
    session: Session,
    application: Application,
    *,
    actor: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
) -> None:
    """The borrower withdraws the application (allowed before a decision)."""
    role = applicant_role(on_behalf_of)
    move(
        session, application, "withdrawn", role=role, actor=actor, channel=channel, on_behalf_of=on_behalf_of
    )
    told_by_phone(session, application, "withdrawn", actor=actor, channel=channel)


def decline(
    session: Session,
    application: Application,
    *,
    actor: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
) -> None:
    """The borrower declines a counter-offer (raises IllegalTransition when it cannot be declined)."""
    move(
        session,
        application,
        "declined",
        role="borrower",
        actor=actor,
        channel=channel,
        on_behalf_of=on_behalf_of,
    )
    told_by_phone(session, application, "declined", actor=actor, channel=channel)


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
    role = applicant_role(on_behalf_of)
    application.info_response = answer
    move(
        session,
        application,
        "submitted",
        role=role,
        actor=actor,
        channel=channel,
        on_behalf_of=on_behalf_of,
        note=answer[:200],
    )
    told_by_phone(session, application, "answered", actor=actor, channel=channel)


def agreement_hash(agreement: dict) -> str:
    """SHA-256 over the agreement's canonical JSON: the borrower and the bank can both check it."""
    return hashlib.sha256(json.dumps(agreement, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


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
    ids = set()
    for actor in actors:
        kind, _, ident = (actor or "").partition(":")
        if kind == "staff" and ident.isdigit():
            ids.add(int(ident))
    rows.names = {}
    if ids:
        found = session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(sorted(ids))))
        rows.names = {f"staff:{ident}": name for ident, name in found}
    return rows


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
    report = services.loan_position(session, application.loan, as_of).report
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


# While an application is in one of these, the schedule in force still runs: what falls due is still owed.
DECIDING = (
    "submitted",
    "in_review",
    "info_requested",
    "awaiting_second_approval",
    "appealed",
    "approved",
    "countered",
)
# A plan accepted or in force: the new schedule runs.
IN_FORCE = ("accepted", "active")
# Reminder contact pauses while an application is decided or a plan is in force.
REMINDERS_PAUSED = DECIDING + IN_FORCE


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
    if application.status not in DECIDING:
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


def assess_risk(
    session: Session, application: Application, as_of: date, position: services.LoanPosition | None = None
) -> risk.RiskScore:
    """Score the application from the points table (shown with its reasons; it orders the queue)."""
    report = (position or services.loan_position(session, application.loan, as_of)).report
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
    position = services.loan_position(session, application.loan, as_of)
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
