"""The new schedule each kind of option builds from the position: installment plan, extension, grace, seasonal."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from portal.domain.money import round_money, split
from portal.domain.options.eligibility import seasonal_horizon
from portal.domain.options.facts import MAX_PAY_DAY, ZERO, LoanFacts, Position, Terms
from portal.domain.payments import BALLOON_METHODS
from portal.domain.policy import Policy
from portal.domain.schedule import (
    Installment,
    build_schedule,
    date_in_month,
    first_due_after,
    month_index,
    monthly_interest,
)


@dataclass
class _Line:
    """One line of a schedule being built; lines on the same date are merged at the end."""

    due_date: date
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    charges: Decimal = ZERO


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


def merge(lines: Iterable[_Line]) -> tuple[Installment, ...]:
    """Merge lines falling on one date component by component, drop empty ones, number them in date order."""
    by_date: dict[date, list[Decimal]] = {}
    for line in lines:
        sums = by_date.setdefault(line.due_date, [ZERO, ZERO, ZERO])
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


def _later_charge_lines(position: Position) -> list[_Line]:
    """Charges already scheduled after the business date, kept on their dates."""
    return [_Line(day, charges=amount) for day, amount in position.later_charges]


def _total_on(schedule: tuple[Installment, ...], day: date) -> Decimal:
    """The merged schedule's total due on ``day``; zero when nothing is (an empty line was dropped)."""
    return next((item.total for item in schedule if item.due_date == day), ZERO)


def _after_spread(lines: list[_Line], spread: int) -> Callable[[tuple[Installment, ...]], Decimal]:
    """The regular payment of a re-amortized plan: the first month with none of the accrued amounts in it.

    The spread months are temporary; the month after them is what the borrower pays from then on (with a
    falling equal-principal plan, the highest such month, which is the prudent figure for affordability).
    """
    day = lines[spread].due_date if spread < len(lines) else lines[-1].due_date
    return lambda schedule: _total_on(schedule, day)


def _installment_plan(facts: LoanFacts, policy: Policy, terms: Terms, position: Position) -> _Draft:
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
        lines.append(_Line(upfront_due, principal_paid, ZERO, interest_paid + charges_paid))
    months = terms.months
    first_index = month_index(first_pay)
    shares = zip(
        split(report.overdue_principal - principal_paid, months),
        split(report.overdue_interest - interest_paid, months),
        split(pools[0] - charges_paid, months),
        strict=True,
    )
    plan = [
        _Line(date_in_month(first_index + k, pay_day), principal, ZERO, interest + charges)
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
            if facts.method in BALLOON_METHODS and facts.schedule
            else None
        )
        for item in schedule:
            if month_index(item.due_date) == balloon_month and len(schedule) > 1:
                continue  # plan parts may run past the loan's end, so the balloon need not be the last line
            amount = item.total - (upfront if item.due_date == upfront_due else 0)
            key = month_index(item.due_date)
            months[key] = months.get(key, ZERO) + amount
        return max(months.values(), default=ZERO)

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


def _extension(facts: LoanFacts, policy: Policy, terms: Terms, position: Position) -> _Draft:
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


def _grace(facts: LoanFacts, policy: Policy, terms: Terms, position: Position) -> _Draft:
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


def _seasonal(facts: LoanFacts, policy: Policy, terms: Terms, position: Position) -> _Draft:
    """Interest monthly; principal and accrued amounts in equal shares in the chosen income months only."""
    first_index = month_index(position.first_due)
    horizon = seasonal_horizon(position)
    income = set(terms.income_months)
    occurrences = [k for k in range(horizon) if (first_index + k) % 12 + 1 in income]
    occurring = set(occurrences)
    if not occurrences:
        return _Draft(
            [], lambda schedule: ZERO, position.first_due, unavailable=("no_income_month_before_maturity",)
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
        return round_money(sum((item.total for item in schedule), ZERO) / max(span, 1))

    # Months beyond the remaining ones, counted from the first new due date as the horizon's stretch was:
    # a matured loan's months between its last due date and today are not added by this plan.
    added = max(0, len(lines) - position.remaining_months)
    return _Draft(lines + _later_charge_lines(position), regular, current_again_on, added)


BUILDERS: dict[str, Callable[[LoanFacts, Policy, Terms, Position], _Draft]] = {
    "installment_plan": _installment_plan,
    "extension": _extension,
    "seasonal": _seasonal,
    "grace": _grace,
}
