"""The restructuring calculator: what each relief option would do to a loan, or exactly why it is not offered.

Four kinds (DESIGN.md "Restructuring options"): an installment plan for the arrears (逾期分期), a term extension
(展期), a seasonal plan (按季還款, rural) and a disaster grace period (寬限期). Each quote carries the whole new
schedule and the figures a borrower compares: the regular payment, total interest and total cost against the
schedule in force, the date the loan is current again, and whether the payment fits the borrower's budget.

Money rules throughout: every line is rounded to the fen half-up, every share of a total comes from
``money.split`` (so the shares add back to the total exactly), and no principal is ever created or lost: the
new schedule's principal is always exactly the principal still unpaid on the schedule in force.

Terms used below:
- *accrued*: what had fallen due by the business date other than principal: unpaid interest, penalty, compound
  interest and charges of the installments due on or before it. Extension, seasonal plan and grace move it
  into ``charges`` of new lines; it is never dropped, even the interest of an installment due today.
- *later charges*: charges an earlier restructuring put on installments due after the business date. They stay
  on their dates under every option, since the borrower already agreed to them.
- *remaining months*: months from the first new due date to the last due date of the schedule in force.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from portal.domain.arrears import ArrearsReport
from portal.domain.hardship import VARIANTS, affordable_limit
from portal.domain.money import round_money, split
from portal.domain.payments import BALLOON_METHODS, PaymentStory, Verdict, describe, judge
from portal.domain.policy import OPTION_KINDS, PLAN_CEILING_MONTHS, Policy
from portal.domain.schedule import (
    METHODS,
    Installment,
    add_months,
    build_schedule,
    date_in_month,
    first_due_after,
    month_index,
    monthly_interest,
)

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
_STATUS_REASONS = {
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

_ZERO = Decimal("0.00")


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
    upfront: Decimal = _ZERO  # installment_plan only
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


def general_reasons(facts: LoanFacts, policy: Policy) -> tuple[str, ...]:
    """Return the reasons no option at all is available for the loan, in ``REASON_CODES`` order."""
    reasons = []
    if facts.status in _STATUS_REASONS:
        reasons.append(_STATUS_REASONS[facts.status])
    if facts.has_open_application:
        reasons.append("open_application")
    if facts.restructurings >= policy.max_restructurings:
        reasons.append("restructuring_cap_reached")
    return tuple(reasons)


@dataclass(frozen=True)
class _Position:
    """The schedule in force, summarised once for every option."""

    first_due: date  # the first due_day date after as_of: where re-spread schedules start
    unpaid_principal: Decimal  # overdue and future
    accrued: Decimal  # see the module docstring
    later_charges: tuple[tuple[date, Decimal], ...]
    remaining_months: int  # may be 0 when the schedule in force has ended
    extension_room: int  # months the extension cap still allows; may be negative
    current_cost: Decimal
    current_interest: Decimal


def _position(facts: LoanFacts) -> _Position:
    """Summarise the report's installment states into the amounts every option works from."""
    accrued = _ZERO
    later: list[tuple[date, Decimal]] = []
    cost = _ZERO
    for state in facts.report.installments:
        cost += state.total_unpaid
        if state.due_date <= facts.as_of:
            accrued += state.total_unpaid - state.principal_unpaid
        elif state.charges_unpaid:
            later.append((state.due_date, state.charges_unpaid))
    first_due = first_due_after(facts.as_of, facts.due_day)
    last_due = max(item.due_date for item in facts.schedule)
    unpaid_principal = facts.report.outstanding_principal
    return _Position(
        first_due=first_due,
        unpaid_principal=unpaid_principal,
        accrued=accrued,
        later_charges=tuple(later),
        remaining_months=max(0, month_index(last_due) - month_index(first_due) + 1),
        extension_room=extension_cap(facts.term_months) - facts.extended_months,
        current_cost=cost,
        current_interest=cost - unpaid_principal,
    )


def disaster_window_opens(as_of: date) -> date:
    """The earliest declaration date whose grace window still covers ``as_of``: 12 calendar months before it
    (clamped to the month's end). The one statement of the window: the database look-up starts here too."""
    return add_months(as_of, -DISASTER_WINDOW_MONTHS)


def _in_disaster_window(facts: LoanFacts) -> bool:
    """True when a disaster was declared on or before ``as_of`` and at most 12 months before it."""
    declared = facts.disaster_declared_on
    return declared is not None and disaster_window_opens(facts.as_of) <= declared <= facts.as_of


def _reasons(kind: str, facts: LoanFacts, policy: Policy, position: _Position) -> tuple[str, ...]:
    """Return why ``kind`` is unavailable whatever the terms; () when it can be quoted."""
    reasons = list(general_reasons(facts, policy))
    total = facts.report.total_to_bring_current
    if kind == "installment_plan":
        # Nothing overdue is its own, plainer message; "below the minimum" is for small but real arrears.
        if total == 0:
            reasons.append("not_in_arrears")
        elif total < policy.min_arrears:
            reasons.append("arrears_below_minimum")
    elif position.unpaid_principal == 0:
        reasons.append("no_principal_outstanding")
    if kind not in policy.options:
        reasons.append("not_offered_in_variant")
    if kind in ("extension", "grace") and position.extension_room < 1:
        reasons.append("extension_cap_reached")
    if kind == "extension" and facts.as_of > facts.maturity:
        reasons.append("loan_matured")
    if kind == "grace" and not _in_disaster_window(facts):
        reasons.append("no_disaster_declared")
    return tuple(sorted(reasons, key=REASON_CODES.index))


def _seasonal_horizon(position: _Position) -> int:
    """Months a seasonal plan spans: the remaining months, stretched toward a year as far as the cap allows.

    A year lets every chosen harvest month fall in the plan; the stretch counts as extension, so when the cap
    leaves no room a short horizon may miss the chosen months ("no_income_month_before_maturity").
    """
    base = position.remaining_months
    if base >= SEASONAL_MIN_MONTHS:
        return base
    return max(base, min(SEASONAL_MIN_MONTHS, base + max(position.extension_room, 0)))


def _line_count(method: str, months: int) -> int:
    """How many installments ``schedule.build_schedule`` makes for ``months`` months with ``method``."""
    return 1 if method == "bullet" else months


def _spread_max(kind: str, facts: LoanFacts, policy: Policy, position: _Position, months: int | None) -> int:
    """The most installments accrued amounts may be spread over: the policy's limit, within the lines."""
    remaining = max(position.remaining_months, 1)
    if kind == "extension":
        lines = _line_count(
            facts.method, remaining + (months if isinstance(months, int) and months > 0 else 1)
        )
    else:
        lines = _line_count(facts.method, remaining)
    return min(policy.extension_charges_spread_max, lines)


def _limits(kind: str, facts: LoanFacts, policy: Policy, position: _Position) -> dict:
    """The bounds the option's form needs, whatever terms are chosen."""
    if kind == "installment_plan":
        total = facts.report.total_to_bring_current
        return {
            "months_min": policy.plan_months_min,
            "months_max": min(policy.plan_months_max, PLAN_CEILING_MONTHS),
            "pay_day_min": 1,
            "pay_day_max": MAX_PAY_DAY,
            "upfront_max": max(total - Decimal("0.01"), _ZERO),
            "upfront_due_days": policy.upfront_due_days,
        }
    if kind == "extension":
        return {
            "months_min": 1,
            "months_max": max(position.extension_room, 0),
            "spread_max": _spread_max(kind, facts, policy, position, None),
        }
    if kind == "grace":
        return {
            "months_min": 1,
            "months_max": max(min(policy.grace_max_months, position.extension_room), 0),
            "spread_max": _spread_max(kind, facts, policy, position, None),
        }
    return {
        "min_income_months": 1,
        "max_income_months": policy.seasonal_max_income_months,
        "horizon_months": _seasonal_horizon(position),
    }


def _is_int(value: object) -> bool:
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_kind(kind: str) -> None:
    """Raise ValueError for an unknown option kind: a programming error, not an unavailable option."""
    if kind not in OPTION_KINDS:
        raise ValueError(f"unknown option kind {kind!r}; expected one of {', '.join(OPTION_KINDS)}")


def validate_terms(kind: str, facts: LoanFacts, policy: Policy, terms: Terms) -> dict[str, str]:
    """Check ``terms`` for ``kind`` against the loan and the policy; return field name -> error code.

    Codes: months_required, months_out_of_range, upfront_invalid (negative or beyond the fen),
    upfront_too_large (not below the total to bring current), upfront_due_passed (the upfront date given is
    on or before ``as_of``: it would not fall after acceptance), upfront_due_too_late (more than the
    policy's ``upfront_due_days`` after ``as_of``), pay_day_out_of_range, spread_out_of_range,
    income_months_required, income_months_invalid (outside 1-12 or repeated), too_many_income_months.
    Fields the kind does not use are ignored. An empty dict means ``quote`` accepts the terms.
    """
    _check_kind(kind)
    return _validate_terms(kind, facts, policy, terms, _position(facts))


def _validate_terms(
    kind: str, facts: LoanFacts, policy: Policy, terms: Terms, position: _Position
) -> dict[str, str]:
    """``validate_terms`` on a position already summarised."""
    limits = _limits(kind, facts, policy, position)
    errors: dict[str, str] = {}
    if kind in ("installment_plan", "extension", "grace"):
        if terms.months is None:
            errors["months"] = "months_required"
        elif not _is_int(terms.months) or not limits["months_min"] <= terms.months <= limits["months_max"]:
            errors["months"] = "months_out_of_range"
    if kind == "installment_plan":
        upfront = terms.upfront
        if isinstance(upfront, float) or not isinstance(upfront, Decimal | int) or isinstance(upfront, bool):
            errors["upfront"] = "upfront_invalid"
        elif upfront < 0 or upfront != round_money(upfront):
            errors["upfront"] = "upfront_invalid"
        elif upfront > 0 and upfront >= facts.report.total_to_bring_current:
            errors["upfront"] = "upfront_too_large"
        due = terms.upfront_due
        if due is not None and "upfront" not in errors and upfront:
            if not isinstance(due, date) or due <= facts.as_of:
                errors["upfront_due"] = "upfront_due_passed"
            elif due > facts.as_of + timedelta(days=policy.upfront_due_days):
                errors["upfront_due"] = "upfront_due_too_late"
        if terms.pay_day is not None and (
            not _is_int(terms.pay_day) or not 1 <= terms.pay_day <= MAX_PAY_DAY
        ):
            errors["pay_day"] = "pay_day_out_of_range"
    if kind in ("extension", "grace"):
        most = _spread_max(kind, facts, policy, position, terms.months)
        if not _is_int(terms.spread_charges) or not 1 <= terms.spread_charges <= most:
            errors["spread_charges"] = "spread_out_of_range"
    if kind == "seasonal":
        chosen = terms.income_months
        if not chosen:
            errors["income_months"] = "income_months_required"
        elif any(not _is_int(month) or not 1 <= month <= 12 for month in chosen) or len(set(chosen)) != len(
            chosen
        ):
            errors["income_months"] = "income_months_invalid"
        elif len(chosen) > policy.seasonal_max_income_months:
            errors["income_months"] = "too_many_income_months"
    return errors


def default_terms(kind: str, facts: LoanFacts, policy: Policy) -> Terms:
    """Return the terms shown before the borrower chooses, so the options can be compared side by side.

    Installment plan: 12 months within the policy's range, no upfront, the loan's own due day (at most 28).
    Extension: 12 months or what the cap leaves. Grace: 3 months or what the policy and cap allow. Both spread
    accrued amounts as far as allowed, keeping the first payments low. Seasonal: no months. Only the farmer knows when the harvest comes; a plan built on months they never chose
    would be a figure about someone else, so the plan has no figures until they choose
    (``validate_terms`` says "income_months_required").
    """
    _check_kind(kind)
    return _default_terms(kind, facts, policy, _position(facts))


def _default_terms(kind: str, facts: LoanFacts, policy: Policy, position: _Position) -> Terms:
    """``default_terms`` on a position already summarised."""
    limits = _limits(kind, facts, policy, position)
    if kind == "installment_plan":
        months = min(max(12, limits["months_min"]), limits["months_max"])
        return Terms(months=months, pay_day=min(facts.due_day, MAX_PAY_DAY))
    if kind in ("extension", "grace"):
        preferred = 12 if kind == "extension" else 3
        months = max(min(preferred, limits["months_max"]), 1)
        return Terms(months=months, spread_charges=max(_spread_max(kind, facts, policy, position, months), 1))
    return Terms(income_months=())


@dataclass
class _Line:
    """One line of a schedule being built; lines on the same date are merged at the end."""

    due_date: date
    principal: Decimal = _ZERO
    interest: Decimal = _ZERO
    charges: Decimal = _ZERO


@dataclass(frozen=True)
class _Draft:
    """What an option's builder hands back to ``quote``."""

    lines: list[_Line]
    regular_payment: Callable[[tuple[Installment, ...]], Decimal]
    # None: nothing accrued was re-spread, so the loan is current again with the new schedule's first line.
    current_again_on: date | None
    added_months: int = 0
    terms: Terms | None = None  # the terms as quoted, when the builder filled in a default
    unavailable: tuple[str, ...] = ()
    upfront_due: date | None = None


def _merge(lines: Iterable[_Line]) -> tuple[Installment, ...]:
    """Merge lines falling on one date component by component, drop empty ones, number them in date order."""
    by_date: dict[date, list[Decimal]] = {}
    for line in lines:
        sums = by_date.setdefault(line.due_date, [_ZERO, _ZERO, _ZERO])
        sums[0] += line.principal
        sums[1] += line.interest
        sums[2] += line.charges
    kept = [(day, sums) for day, sums in sorted(by_date.items()) if any(sums)]
    return tuple(
        Installment(number, day, principal, interest, charges)
        for number, (day, (principal, interest, charges)) in enumerate(kept, start=1)
    )


def _amortize(facts: LoanFacts, principal: Decimal, months: int, first_index: int) -> list[_Line]:
    """Re-amortize ``principal`` with the loan's method and rate over ``months`` months from ``first_index``.

    ``build_schedule`` counts months from its first due date; when that date is clamped (31st -> 28 Feb) the
    later ones would drift to the 28th, so every line is put back on the loan's due day of its month.
    """
    first_due = date_in_month(first_index, facts.due_day)
    items = build_schedule(principal, facts.annual_rate, months, facts.method, first_due)
    if first_due.day == facts.due_day:
        # Not clamped, so build_schedule's own dates are already on the due day (clamped where they must be).
        return [_Line(item.due_date, item.principal, item.interest) for item in items]
    return [
        _Line(date_in_month(month_index(item.due_date), facts.due_day), item.principal, item.interest)
        for item in items
    ]


def _spread(lines: list[_Line], amount: Decimal, count: int) -> int:
    """Add ``amount`` in equal shares to the charges of the first ``count`` lines; return how many."""
    if amount == 0:
        return 0
    # Strict: validate_terms keeps the spread within the lines there are, so a share can never be dropped.
    for line, share in zip(lines[:count], split(amount, count), strict=True):
        line.charges += share
    return count


def _last_carrying(lines: list[_Line]) -> date | None:
    """The due date of the last of ``lines`` that carries anything; None when none does.

    A split of a small amount can end in parts of 0.00 (0.02 in 3 is 0.01, 0.01, 0.00); such a line carries
    none of the old arrears, and is dropped from the schedule when nothing else falls on its date.
    """
    return next(
        (line.due_date for line in reversed(lines) if line.principal or line.interest or line.charges),
        None,
    )


def _last_charged(lines: list[_Line]) -> date | None:
    """The due date of the last of ``lines`` with a share of the accrued amounts in its charges; None if none."""
    return next((line.due_date for line in reversed(lines) if line.charges), None)


def _later_charge_lines(position: _Position) -> list[_Line]:
    """Charges already scheduled after the business date, kept on their dates."""
    return [_Line(day, charges=amount) for day, amount in position.later_charges]


def _total_on(schedule: tuple[Installment, ...], day: date) -> Decimal:
    """The merged schedule's total due on ``day``; zero when nothing is (an empty line was dropped)."""
    return next((item.total for item in schedule if item.due_date == day), _ZERO)


def _after_spread(lines: list[_Line], spread: int) -> Callable[[tuple[Installment, ...]], Decimal]:
    """The regular payment of a re-amortized plan: the first month with none of the accrued amounts in it.

    The spread months are temporary; the month after them is what the borrower pays from then on (with a
    falling equal-principal plan, the highest such month, which is the prudent figure for affordability).
    """
    day = lines[spread].due_date if spread < len(lines) else lines[-1].due_date
    return lambda schedule: _total_on(schedule, day)


def _installment_plan(facts: LoanFacts, policy: Policy, terms: Terms, position: _Position) -> _Draft:
    """Arrears in N monthly parts after an optional upfront payment, with the whole installment on the pay day.

    One payment date a month: the chosen pay day carries both the plan's part of the arrears and the loan's own
    installment of that month. The installments not yet overdue move, in order, to the pay day of their month
    (or, when that day has already gone by this month, of the next month, so every later one moves a month
    too); their amounts do not change. The upfront payment is due on ``terms.upfront_due`` when given, else
    ``upfront_due_days`` after ``as_of`` or on the first pay day if that is sooner: a date after the offer is
    accepted, so the borrower has time to pay it.
    """
    report = facts.report
    pay_day = terms.pay_day if terms.pay_day is not None else min(facts.due_day, MAX_PAY_DAY)
    upfront = round_money(terms.upfront)
    # The upfront payment follows the allocation rule: the costliest arrears (penalty, compound, charges)
    # first, then interest, then principal.
    pools = [report.penalty + report.compound + report.overdue_charges, report.overdue_interest]
    paid = []
    left = upfront
    for pool in pools:
        part = min(left, pool)
        paid.append(part)
        left -= part
    charges_paid, interest_paid = paid
    principal_paid = left
    lines = []
    first_pay = first_due_after(facts.as_of, pay_day)
    upfront_due = None
    # Old overdue interest travels as `charges`, never as `interest`: a later restructuring recomputes
    # interest on the balance, and must not recompute away interest that was already owed.
    if upfront:
        upfront_due = terms.upfront_due or min(
            facts.as_of + timedelta(days=policy.upfront_due_days), first_pay
        )
        lines.append(_Line(upfront_due, principal_paid, _ZERO, interest_paid + charges_paid))
    months = terms.months
    first_index = month_index(first_pay)
    shares = zip(
        split(report.overdue_principal - principal_paid, months),
        split(report.overdue_interest - interest_paid, months),
        split(pools[0] - charges_paid, months),
        strict=True,
    )
    plan = [
        _Line(date_in_month(first_index + k, pay_day), principal, _ZERO, interest + charges)
        for k, (principal, interest, charges) in enumerate(shares)
    ]
    lines.extend(plan)
    # The installments not yet overdue keep their amounts and move to the pay day.
    future = [
        state for state in report.installments if state.due_date >= facts.as_of and state.status != "paid"
    ]
    shift = _pay_day_shift(future[0].due_date, pay_day, facts.as_of) if future else 0
    lines.extend(
        _Line(
            date_in_month(month_index(state.due_date) + shift, pay_day),
            state.principal_unpaid,
            state.interest_unpaid,
            state.charges_unpaid + state.penalty_unpaid + state.compound_unpaid,
        )
        for state in future
    )

    def regular(schedule: tuple[Installment, ...]) -> Decimal:
        """The largest calendar month once the upfront payment is made."""
        months: dict[int, Decimal] = {}
        # A balloon at the end (interest-first and bullet loans) is the loan's own shape, not a monthly
        # payment: it is shown on its own, and the monthly figure is what the borrower pays until then.
        balloon_month = (
            month_index(facts.schedule[-1].due_date) + shift
            if facts.method in ("interest_first", "bullet") and facts.schedule
            else None
        )
        for item in schedule:
            if month_index(item.due_date) == balloon_month and len(schedule) > 1:
                continue  # plan parts may run past the loan's end, so the balloon need not be the last line
            amount = item.total - (upfront if item.due_date == upfront_due else 0)
            key = month_index(item.due_date)
            months[key] = months.get(key, _ZERO) + amount
        return max(months.values(), default=_ZERO)

    return _Draft(
        lines,
        regular,
        _last_carrying(plan),
        0,
        # The terms keep the borrower's choice: a date worked out today is the quote's, not a term to store.
        replace(terms, pay_day=pay_day),
        upfront_due=upfront_due,
    )


def _pay_day_shift(first_due: date, pay_day: int, as_of: date) -> int:
    """Months the installments not yet due move by: 0 when the pay day of the first one's month is still to come
    (today counts: it was due today anyway), else 1, so none is put on a day already gone."""
    return 0 if date_in_month(month_index(first_due), pay_day) >= as_of else 1


def _extension(facts: LoanFacts, policy: Policy, terms: Terms, position: _Position) -> _Draft:
    """All unpaid principal over the remaining months plus N; accrued amounts over the first installments."""
    first_index = month_index(position.first_due)
    lines = _amortize(
        facts, position.unpaid_principal, max(position.remaining_months, 1) + terms.months, first_index
    )
    spread = _spread(lines, position.accrued, terms.spread_charges)
    # Only the spread lines have charges yet: the later ones are added below.
    current_again_on = _last_charged(lines[:spread])
    return _Draft(
        lines + _later_charge_lines(position), _after_spread(lines, spread), current_again_on, terms.months
    )


def _grace(facts: LoanFacts, policy: Policy, terms: Terms, position: _Position) -> _Draft:
    """G months of interest only, then all unpaid principal re-amortized over the remaining months."""
    first_index = month_index(position.first_due)
    months = terms.months
    interest = monthly_interest(position.unpaid_principal, facts.annual_rate)
    grace = [_Line(date_in_month(first_index + k, facts.due_day), interest=interest) for k in range(months)]
    after = _amortize(
        facts, position.unpaid_principal, max(position.remaining_months, 1), first_index + months
    )
    spread = _spread(after, position.accrued, terms.spread_charges)
    current_again_on = _last_charged(after[:spread])
    return _Draft(
        grace + after + _later_charge_lines(position), _after_spread(after, spread), current_again_on, months
    )


def _seasonal(facts: LoanFacts, policy: Policy, terms: Terms, position: _Position) -> _Draft:
    """Interest monthly; principal and accrued amounts in equal shares in the chosen income months only."""
    first_index = month_index(position.first_due)
    horizon = _seasonal_horizon(position)
    income = set(terms.income_months)
    occurrences = [k for k in range(horizon) if (first_index + k) % 12 + 1 in income]
    occurring = set(occurrences)
    if not occurrences:
        return _Draft(
            [], lambda schedule: _ZERO, position.first_due, unavailable=("no_income_month_before_maturity",)
        )
    principal_shares = iter(split(position.unpaid_principal, len(occurrences)))
    charge_shares = iter(split(position.accrued, len(occurrences)))
    lines = []
    balance = position.unpaid_principal
    # After the last income month nothing is left to charge interest on, so the plan ends there.
    for k in range(occurrences[-1] + 1):
        line = _Line(
            date_in_month(first_index + k, facts.due_day),
            interest=monthly_interest(balance, facts.annual_rate),
        )
        if k in occurring:
            line.principal = next(principal_shares)
            line.charges = next(charge_shares)
            balance -= line.principal
        lines.append(line)
    current_again_on = _last_charged(lines)

    def regular(schedule: tuple[Installment, ...]) -> Decimal:
        """The average month: seasonal income is lumpy, so a borrower budgets the year's outgoings by month.

        The largest month (a harvest month with principal) would say no plan ever fits, and the smallest
        (interest only) that every plan does; the average compares fairly with a monthly income figure.
        """
        span = month_index(schedule[-1].due_date) - first_index + 1
        return round_money(sum((item.total for item in schedule), _ZERO) / max(span, 1))

    # Months beyond the remaining ones, counted from the first new due date as the horizon's stretch was:
    # a matured loan's months between its last due date and today are not added by this plan.
    added = max(0, len(lines) - position.remaining_months)
    return _Draft(lines + _later_charge_lines(position), regular, current_again_on, added)


_BUILDERS: dict[str, Callable[[LoanFacts, Policy, Terms, _Position], _Draft]] = {
    "installment_plan": _installment_plan,
    "extension": _extension,
    "seasonal": _seasonal,
    "grace": _grace,
}


def quote(kind: str, facts: LoanFacts, policy: Policy, terms: Terms, disposable: Decimal | None) -> Quote:
    """Price option ``kind`` for the loan with ``terms``; an unavailable option says why in ``reasons``.

    Availability comes first: an unavailable option is returned as such whatever the terms. For an available
    one, terms that ``validate_terms`` refuses give an unavailable quote with the reason "invalid_terms" and
    the field errors in ``term_errors``, not an exception: stored terms quoted again later (a payment may have
    shrunk the arrears below the upfront amount) must not break the page. ``disposable`` is the borrower's
    monthly disposable income, or None when not given. The policy pack decides what is offered, even when it
    is of another variant than ``facts.variant`` (an application keeps the pack it was opened under).
    """
    _check_kind(kind)
    return _quote(kind, facts, policy, terms, disposable, _position(facts))


def _quote(
    kind: str, facts: LoanFacts, policy: Policy, terms: Terms, disposable: Decimal | None, position: _Position
) -> Quote:
    """``quote`` on a position already summarised."""
    limit = None if disposable is None else affordable_limit(disposable, policy.affordability_share)
    limits = _limits(kind, facts, policy, position)

    def unavailable(reasons: tuple[str, ...], term_errors: dict | None = None) -> Quote:
        """A quote that only says why not, with the current figures for reference."""
        return Quote(
            kind=kind,
            terms=terms,
            available=False,
            reasons=reasons,
            schedule=(),
            regular_payment=_ZERO,
            total_interest=_ZERO,
            total_cost=_ZERO,
            current_total_interest=position.current_interest,
            current_total_cost=position.current_cost,
            current_again_on=None,
            fits=None,
            affordable_limit=limit,
            added_months=0,
            limits=limits,
            term_errors=term_errors or {},
        )

    reasons = _reasons(kind, facts, policy, position)
    if reasons:
        return unavailable(reasons)
    errors = _validate_terms(kind, facts, policy, terms, position)
    if errors:
        return unavailable(("invalid_terms",), errors)
    draft = _BUILDERS[kind](facts, policy, terms, position)
    if draft.unavailable:
        return unavailable(draft.unavailable)
    schedule = _merge(draft.lines)
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
        total_interest=sum((item.interest + item.charges for item in schedule), _ZERO),
        total_cost=sum((item.total for item in schedule), _ZERO),
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
        upfront=round_money(terms.upfront) if kind == "installment_plan" else _ZERO,
        balloon=method in BALLOON_METHODS,
        income_months=terms.income_months if kind == "seasonal" else (),
    )


def quote_all(facts: LoanFacts, policy: Policy, disposable: Decimal | None) -> list[Quote]:
    """Quote every kind the policy offers with its default terms, in the policy's order, to compare them."""
    position = _position(facts)  # summarised once: it walks every installment of the schedule in force
    quotes = []
    for kind in policy.options:
        _check_kind(kind)
        terms = _default_terms(kind, facts, policy, position)
        quotes.append(_quote(kind, facts, policy, terms, disposable, position))
    return quotes
