"""What the calculator is told and what it answers: a loan's facts, the terms chosen, a quote, the codes of
why an option is not available; and the position every option works from (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from portal.domain.arrears import ArrearsReport
from portal.domain.hardship import VARIANTS
from portal.domain.payments import PaymentStory, Verdict
from portal.domain.schedule import METHODS, Installment, first_due_after, month_index

LOAN_STATUSES = ("active", "closed", "charged_off", "litigation")

# Every code a quote may give for being unavailable, in the order they are listed.
REASON_CODES = (
    "loan_closed",
    "loan_charged_off",
    "loan_in_litigation",
    "open_application",
    "restructuring_cap_reached",
    "arrears_below_minimum",
    "not_offered_in_variant",
    "extension_cap_reached",
    "loan_matured",
    "no_disaster_declared",
    "no_income_month_before_maturity",
    "not_in_arrears",
    # Extension, seasonal plan and grace re-spread principal; with none left there is nothing to re-spread.
    "no_principal_outstanding",
    # The option is available but not with these terms; the quote's ``term_errors`` says which field is wrong.
    "invalid_terms",
)
STATUS_REASONS = {
    "closed": "loan_closed",
    "charged_off": "loan_charged_off",
    "litigation": "loan_in_litigation",
}

# Pay days stop at 28 so that a plan's pay day exists in every month, February included.
MAX_PAY_DAY = 28
# A declared disaster opens the grace period for 12 calendar months (not 365 or 366 days).
DISASTER_WINDOW_MONTHS = 12
# A seasonal plan needs a full year so that every calendar month (every harvest) can fall in it.
SEASONAL_MIN_MONTHS = 12

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LoanFacts:
    """What the calculator needs to know about one loan as of ``as_of``; the app gathers it."""

    principal: Decimal
    annual_rate: Decimal
    term_months: int
    method: str
    status: str  # "active" | "closed" | "charged_off" | "litigation"
    maturity: date  # last due date of the ORIGINAL schedule
    schedule: tuple[Installment, ...]  # the version in force
    report: ArrearsReport  # arrears.assess(...) of that schedule as of `as_of`
    as_of: date
    due_day: int  # the loan's usual day of month for installments
    variant: str
    extended_months: int = 0  # months already added by earlier extensions and grace periods
    restructurings: int = 0  # restructurings already put in force
    has_open_application: bool = False
    disaster_declared_on: date | None = None  # a declared disaster affecting the borrower's area

    def __post_init__(self) -> None:
        """Reject facts that contradict each other; a quote built on them would be quietly wrong."""
        if self.status not in LOAN_STATUSES:
            raise ValueError(f"unknown loan status {self.status!r}")
        if self.method not in METHODS:
            raise ValueError(f"unknown repayment method {self.method!r}")
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}")
        if isinstance(self.due_day, bool) or not isinstance(self.due_day, int) or not 1 <= self.due_day <= 31:
            raise ValueError("due_day must be an int from 1 to 31")
        if self.term_months < 1 or self.extended_months < 0 or self.restructurings < 0:
            raise ValueError("term_months must be positive; extended_months and restructurings not negative")
        if not self.schedule:
            raise ValueError("the schedule in force has no installments")
        if self.report.as_of != self.as_of:
            raise ValueError("the arrears report must be assessed as of the same date as the facts")


@dataclass(frozen=True)
class Terms:
    """What the borrower (or a reviewer's counter-offer) chooses; each kind reads only its own fields."""

    months: int | None = None  # N for installment_plan and extension; grace months for grace
    upfront: Decimal = ZERO  # installment_plan only
    pay_day: int | None = None  # 1-28, installment_plan only (default: the loan's due_day clamped to 28)
    income_months: tuple[int, ...] = ()  # seasonal: 1-4 distinct calendar months 1..12; none until chosen
    # installment_plan with an upfront amount: the day it is due, after the day the offer is accepted and at
    # most the policy's ``upfront_due_days`` later. None: as_of + upfront_due_days, or the first pay day if
    # that comes sooner. Given when the borrower accepts an offer whose page showed a date.
    upfront_due: date | None = None
    spread_charges: int = 1  # extension/grace: accrued interest, penalty and compound over 1..6 installments


@dataclass(frozen=True)
class Quote:
    """One option priced for one loan: the new schedule and the figures to compare, or why not."""

    kind: str
    terms: Terms  # as quoted: an installment plan's pay day filled in when it was left to the default
    available: bool
    reasons: tuple[str, ...]  # REASON_CODES when unavailable, () otherwise
    schedule: tuple[
        Installment, ...
    ]  # the whole new schedule, numbered from 1 in date order; () if unavailable
    regular_payment: Decimal  # the payment in a normal month of the new plan
    total_interest: Decimal  # interest + charges in the new schedule
    total_cost: Decimal  # everything the borrower pays from now under the new schedule
    current_total_interest: (
        Decimal  # unpaid interest, charges, penalty and compound under the schedule in force
    )
    current_total_cost: Decimal  # everything unpaid under the schedule in force, arrears included
    current_again_on: date | None  # due date of the last line carrying part of the old arrears
    fits: bool | None  # every payment within affordable_limit (payments.judge); None without a budget
    affordable_limit: Decimal | None
    added_months: int  # months added to the term; they count against the extension cap
    # Bounds for the form, e.g. {"months_min": 3, "months_max": 24}.
    limits: dict = field(default_factory=dict)
    # validate_terms' field -> error code, when the only reason is "invalid_terms".
    term_errors: dict = field(default_factory=dict)
    # Every payment of the new schedule as a person reads it; None when unavailable.
    payments: PaymentStory | None = None
    # Whether every payment fits the affordable limit, and which does not; None without a budget.
    verdict: Verdict | None = None
    # installment_plan with an upfront amount: the date the upfront payment is due (a line of ``schedule`` on
    # that date carries it); None otherwise.
    upfront_due: date | None = None


def extension_cap(term_months: int) -> int:
    """Return the most months all extensions together may add (General Rules on Loans, art. 12).

    Short-term loans (up to 12 months) by their original term; medium-term (13-60) by half of it, rounded
    down; long-term (over 60) by 36 months. So 12 -> 12, 13 -> 6, 60 -> 30, 61 -> 36.
    """
    if isinstance(term_months, bool) or not isinstance(term_months, int) or term_months < 1:
        raise ValueError("the term must be a positive number of months")
    if term_months <= 12:
        return term_months
    if term_months <= 60:
        return term_months // 2
    return 36


@dataclass(frozen=True)
class Position:
    """The schedule in force, summarised once for every option."""

    first_due: date  # the first due_day date after as_of: where re-spread schedules start
    unpaid_principal: Decimal  # overdue and future
    accrued: Decimal  # see the module docstring
    later_charges: tuple[tuple[date, Decimal], ...]
    remaining_months: int  # may be 0 when the schedule in force has ended
    extension_room: int  # months the extension cap still allows; may be negative
    current_cost: Decimal
    current_interest: Decimal


def summarise(facts: LoanFacts) -> Position:
    """Summarise the report's installment states into the amounts every option works from."""
    accrued = ZERO
    later: list[tuple[date, Decimal]] = []
    cost = ZERO
    for state in facts.report.installments:
        cost += state.total_unpaid
        if state.due_date <= facts.as_of:
            accrued += state.total_unpaid - state.principal_unpaid
        elif state.charges_unpaid:
            later.append((state.due_date, state.charges_unpaid))
    first_due = first_due_after(facts.as_of, facts.due_day)
    last_due = max(item.due_date for item in facts.schedule)
    unpaid_principal = facts.report.outstanding_principal
    return Position(
        first_due=first_due,
        unpaid_principal=unpaid_principal,
        accrued=accrued,
        later_charges=tuple(later),
        remaining_months=max(0, month_index(last_due) - month_index(first_due) + 1),
        extension_room=extension_cap(facts.term_months) - facts.extended_months,
        current_cost=cost,
        current_interest=cost - unpaid_principal,
    )
