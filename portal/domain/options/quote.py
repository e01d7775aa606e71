"""Pricing: one option with given terms, or every offered option with its default terms, and a plan's payments
as a person reads them."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from portal.domain.hardship import affordable_limit
from portal.domain.money import round_money
from portal.domain.options.eligibility import (
    check_kind,
    default_terms_at,
    limits_of,
    reasons_against,
    validate_terms_at,
)
from portal.domain.options.facts import ZERO, LoanFacts, Position, Quote, Terms, summarise
from portal.domain.options.plans import BUILDERS, merge
from portal.domain.payments import BALLOON_METHODS, PaymentStory, describe, judge
from portal.domain.policy import Policy
from portal.domain.schedule import Installment


def quote(kind: str, facts: LoanFacts, policy: Policy, terms: Terms, disposable: Decimal | None) -> Quote:
    """Price option ``kind`` for the loan with ``terms``; an unavailable option says why in ``reasons``.

    Availability comes first: an unavailable option is returned as such whatever the terms. For an available
    one, terms that ``validate_terms`` refuses give an unavailable quote with the reason "invalid_terms" and
    the field errors in ``term_errors``, not an exception: stored terms quoted again later (a payment may have
    shrunk the arrears below the upfront amount) must not break the page. ``disposable`` is the borrower's
    monthly disposable income, or None when not given. The policy pack decides what is offered, even when it
    is of another variant than ``facts.variant`` (an application keeps the pack it was opened under).
    """
    check_kind(kind)
    return _quote(kind, facts, policy, terms, disposable, summarise(facts))


def _quote(
    kind: str, facts: LoanFacts, policy: Policy, terms: Terms, disposable: Decimal | None, position: Position
) -> Quote:
    """``quote`` on a position already summarised."""
    limit = None if disposable is None else affordable_limit(disposable, policy.affordability_share)
    limits = limits_of(kind, facts, policy, position)

    def unavailable(reasons: tuple[str, ...], term_errors: dict | None = None) -> Quote:
        """A quote that only says why not, with the current figures for reference."""
        return Quote(
            kind=kind,
            terms=terms,
            available=False,
            reasons=reasons,
            schedule=(),
            regular_payment=ZERO,
            total_interest=ZERO,
            total_cost=ZERO,
            current_total_interest=position.current_interest,
            current_total_cost=position.current_cost,
            current_again_on=None,
            fits=None,
            affordable_limit=limit,
            added_months=0,
            limits=limits,
            term_errors=term_errors or {},
        )

    reasons = reasons_against(kind, facts, policy, position)
    if reasons:
        return unavailable(reasons)
    errors = validate_terms_at(kind, facts, policy, terms, position)
    if errors:
        return unavailable(("invalid_terms",), errors)
    draft = BUILDERS[kind](facts, policy, terms, position)
    if draft.unavailable:
        return unavailable(draft.unavailable)
    schedule = merge(draft.lines)
    regular_payment = draft.regular_payment(schedule)
    story = story_of(kind, draft.terms or terms, schedule, facts.method)
    verdict = None if limit is None else judge(story, limit, facts.as_of)
    return Quote(
        kind=kind,
        terms=draft.terms or terms,
        available=True,
        reasons=(),
        schedule=schedule,
        regular_payment=regular_payment,
        total_interest=sum((item.interest + item.charges for item in schedule), ZERO),
        total_cost=sum((item.total for item in schedule), ZERO),
        current_total_interest=position.current_interest,
        current_total_cost=position.current_cost,
        current_again_on=draft.current_again_on or schedule[0].due_date,
        fits=None if verdict is None else verdict.fits,
        affordable_limit=limit,
        # A matured loan cannot be extended ("loan_matured"): a plan repaying it adds no months to its term.
        added_months=0 if facts.as_of > facts.maturity else draft.added_months,
        limits=limits,
        payments=story,
        verdict=verdict,
        upfront_due=draft.upfront_due,
    )


def story_of(kind: str, terms: Terms, schedule: Iterable[Installment], method: str) -> PaymentStory:
    """The payments of a plan of ``kind`` with ``terms`` for a loan repaid by ``method``, as a person reads them.

    The installment plan's up-front payment is told apart; a seasonal plan's principal falls in the chosen
    income months; interest-first and bullet loans keep their final repayment of principal, named as such.
    """
    return describe(
        tuple(schedule),
        upfront=round_money(terms.upfront) if kind == "installment_plan" else ZERO,
        balloon=method in BALLOON_METHODS,
        income_months=terms.income_months if kind == "seasonal" else (),
    )


def quote_all(facts: LoanFacts, policy: Policy, disposable: Decimal | None) -> list[Quote]:
    """Quote every kind the policy offers with its default terms, in the policy's order, to compare them."""
    position = summarise(facts)  # summarised once: it walks every installment of the schedule in force
    quotes = []
    for kind in policy.options:
        check_kind(kind)
        terms = default_terms_at(kind, facts, policy, position)
        quotes.append(_quote(kind, facts, policy, terms, disposable, position))
    return quotes
