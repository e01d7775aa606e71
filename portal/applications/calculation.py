"""What the calculator works from: a loan's facts, the application's budget, and the bound Calculator."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from portal import policies
from portal.applications.models import Application, Disaster
from portal.applications.serialisation import terms_from_json
from portal.clock import business_date
from portal.domain import arrears as arrears_rules
from portal.domain import lifecycle, options, payments
from portal.domain import proposal as proposals
from portal.domain.hardship import Budget, affordable_limit
from portal.domain.money import from_fen
from portal.domain.options import LoanFacts, Quote, Terms
from portal.domain.payments import PaymentStory, Verdict
from portal.domain.policy import Policy
from portal.loans import positions
from portal.loans.models import Loan, ScheduleVersion

RESTRUCTURED = ("accepted", "active", "completed", "broken")


def loan_facts(
    session: Session,
    loan: Loan,
    as_of: date,
    *,
    exclude: Application | None = None,
    position: positions.LoanPosition | None = None,
) -> LoanFacts:
    """Everything the calculator needs about a loan, as of a date (ignoring `exclude` as an open application)."""
    position = position or positions.loan_position(session, loan, as_of)
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


@dataclass(frozen=True)
class Calculator:
    """The calculator bound to one application as of one date: the loan's facts are gathered once per use."""

    position: positions.LoanPosition
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
    position = positions.loan_position(session, application.loan, as_of)
    return Calculator(
        position,
        loan_facts(session, application.loan, as_of, exclude=application, position=position),
        policies.of(application.policy_pack),
        disposable_income(application),
    )
