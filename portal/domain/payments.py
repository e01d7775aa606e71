"""A plan's payments as a person reads them, and whether the borrower can make every one of them.

A schedule is a list of lines; a borrower wants to know what they will pay and when. ``describe`` tells it
without a single "usual" figure that could hide a bigger one: the next payment with its date, then every run of
equal payments with its months (interest-only months and harvest months named as such), and the final or
largest payment. ``judge`` says whether a plan fits the amount the borrower can afford each month: every
calendar month in the next 12 months, and every single payment after that, must be within it; otherwise it
names the first payment that does not fit and when.

Two amounts are told apart from the monthly payments:

- the *up-front payment* an installment plan may start with (the borrower chose it, from savings): it is taken
  out of the schedule's first line, shown on its own and not judged against the monthly amount;
- the *final repayment of principal* that interest-first and bullet loans already have today ("as in your loan
  today"): named as such, and judged like every other payment, so a plan is never called affordable while
  it ends with a payment the borrower cannot make.

Money is ``Decimal`` throughout; amounts come from the schedule's lines, never recomputed or averaged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from portal.domain.schedule import Installment, add_months, month_index

# Repayment methods whose schedule ends with the repayment of (most of) the principal in one payment.
BALLOON_METHODS = ("interest_first", "bullet")
# Months from today in which payments falling in one calendar month are added up before comparing.
NEAR_MONTHS = 12
# Payments within this much of each other are told as one run of equal payments (a total split into equal
# parts leaves a fen over here and there, in each of principal, interest and charges); both ends are shown.
EQUAL_WITHIN = Decimal("0.05")
# Kinds of payment a borrower is told apart.
DUE_KINDS = ("regular", "interest_only", "harvest", "balloon")

_ZERO = Decimal("0.00")


class Due(NamedTuple):
    """One payment as the borrower makes it: a date, an amount, and what sort of payment it is.

    A named tuple, not a dataclass: a 30-year schedule makes 360 of them per quote.
    """

    due_date: date
    amount: Decimal
    kind: str  # one of DUE_KINDS


@dataclass(frozen=True)
class Run:
    """Payments of one kind told as one line: equal ones ("CN¥X a month from ... to ..."), or a stretch of
    amounts changing step by step in one direction ("from CN¥X down to CN¥Y"); a single payment is a run of one.

    Equal payments may differ by a few fen (``EQUAL_WITHIN``); ``low`` and ``high`` say both.
    """

    kind: str  # one of DUE_KINDS
    payments: tuple[Due, ...]

    @property
    def first(self) -> date:
        """The date of the run's first payment."""
        return self.payments[0].due_date

    @property
    def last(self) -> date:
        """The date of the run's last payment."""
        return self.payments[-1].due_date

    @property
    def count(self) -> int:
        """How many payments the run has."""
        return len(self.payments)

    @property
    def low(self) -> Decimal:
        """The smallest payment of the run."""
        return min(due.amount for due in self.payments)

    @property
    def high(self) -> Decimal:
        """The largest payment of the run."""
        return max(due.amount for due in self.payments)

    @property
    def equal(self) -> bool:
        """True when the payments are equal, to within a few fen (``EQUAL_WITHIN``)."""
        return self.high - self.low <= EQUAL_WITHIN

    @property
    def falling(self) -> bool:
        """True when a changing run goes down (its first payment is its largest)."""
        return self.payments[0].amount >= self.payments[-1].amount

    @property
    def amounts(self) -> tuple[Decimal, ...]:
        """The distinct amounts of the run, largest first (a person reads "equal" runs' one or two of them)."""
        return tuple(sorted({due.amount for due in self.payments}, reverse=True))


@dataclass(frozen=True)
class PaymentStory:
    """Every payment of a plan, told the way a person reads it."""

    upfront: Due | None  # the up-front payment, when the plan starts with one
    payments: tuple[Due, ...]  # every other payment, in date order
    runs: tuple[Run, ...]  # ``payments`` told as runs, in date order (seasonal: harvest months first)

    @property
    def next(self) -> Due | None:
        """The first payment after any up-front payment."""
        return self.payments[0] if self.payments else None

    @property
    def last(self) -> Due | None:
        """The plan's last payment."""
        return self.payments[-1] if self.payments else None

    @property
    def largest(self) -> Due | None:
        """The largest payment (the earliest of equal ones)."""
        return max(self.payments, key=lambda due: (due.amount, -due.due_date.toordinal()), default=None)

    @property
    def balloon(self) -> Due | None:
        """The final repayment of principal the loan already has today, when the plan ends with one."""
        return next((due for due in self.payments if due.kind == "balloon"), None)

    @property
    def months(self) -> int:
        """The calendar months in which something falls due."""
        return len({month_index(due.due_date) for due in self.payments})


@dataclass(frozen=True)
class Verdict:
    """Whether a plan fits the amount a borrower can afford each month, and if not, which payment does not."""

    fits: bool
    limit: Decimal
    # The first payment that does not fit; ``month_total`` is what falls due in its calendar month in the next
    # 12 months (its own amount after them), which is what was compared with the limit.
    payment: Due | None = None
    month_total: Decimal = _ZERO

    @property
    def two_in_month(self) -> bool:
        """True when the payment that does not fit shares its month with another payment."""
        return self.payment is not None and self.month_total != self.payment.amount


def _kind(item: Installment, *, harvest: bool, balloon: bool) -> str:
    """What sort of payment ``item`` is (see ``describe``)."""
    if balloon:
        return "balloon"
    if harvest:
        return "harvest"
    if item.principal == 0 and item.charges == 0 and item.interest > 0:
        return "interest_only"
    return "regular"


def dues(
    schedule: Sequence[Installment],
    *,
    upfront: Decimal = _ZERO,
    balloon: bool = False,
    income_months: Iterable[int] = (),
) -> tuple[Due | None, tuple[Due, ...]]:
    """Split ``schedule`` into the up-front payment (None without one) and the payments that follow.

    ``upfront`` is taken out of the first line (where a plan puts it); a line left with nothing is dropped.
    ``balloon``: the loan repays its principal at the end (``BALLOON_METHODS``), so the line carrying the
    most principal (the last of equal ones) is that final repayment. ``income_months`` (seasonal plans): lines
    in those calendar months that repay principal are harvest payments.
    """
    lines = sorted(schedule, key=lambda item: item.due_date)
    first_upfront = None
    amounts = [item.total for item in lines]
    if upfront > 0 and lines:
        taken = min(upfront, amounts[0])
        first_upfront = Due(lines[0].due_date, taken, "regular")
        amounts[0] -= taken
    harvest_months = set(income_months)
    balloon_at = None
    if balloon and lines and not harvest_months:
        most = max(item.principal for item in lines)
        if most > 0:
            balloon_at = max(k for k, item in enumerate(lines) if item.principal == most)
    payments = tuple(
        Due(
            item.due_date,
            amount,
            _kind(
                item,
                harvest=item.principal > 0 and item.due_date.month in harvest_months,
                balloon=k == balloon_at,
            ),
        )
        for k, (item, amount) in enumerate(zip(lines, amounts, strict=True))
        if amount > 0
    )
    return first_upfront, payments


def _runs(payments: Sequence[Due]) -> list[Run]:
    """Adjacent payments of one kind and equal amount (within ``EQUAL_WITHIN``) as runs; then adjacent single payments of
    one kind that change in one direction as one changing run (an equal-principal plan's falling payments)."""
    groups: list[list[Due]] = []
    low = high = _ZERO
    for due in payments:
        group = groups[-1] if groups else None
        if group is not None and group[-1].kind == due.kind and due.kind != "balloon":
            new_low, new_high = min(low, due.amount), max(high, due.amount)
            if new_high - new_low <= EQUAL_WITHIN:
                group.append(due)
                low, high = new_low, new_high
                continue
        groups.append([due])
        low = high = due.amount
    merged: list[list[Due]] = []
    changing = False  # whether merged[-1] is a stretch of changing amounts
    for group in groups:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and len(group) == 1
            and group[0].kind == previous[-1].kind != "balloon"
            and (len(previous) == 1 or changing)
            and _same_direction(previous, group[0])
        ):
            previous.append(group[0])
            changing = True
            continue
        merged.append(list(group))
        changing = False
    return [Run(group[0].kind, tuple(group)) for group in merged]


def _same_direction(group: list[Due], due: Due) -> bool:
    """True when ``due`` continues ``group``'s direction of change (any direction for a single payment)."""
    step = due.amount - group[-1].amount
    if len(group) == 1:
        return step != 0
    before = group[-1].amount - group[-2].amount
    return (step < 0 and before < 0) or (step > 0 and before > 0)


def describe(
    schedule: Sequence[Installment],
    *,
    upfront: Decimal = _ZERO,
    balloon: bool = False,
    income_months: Iterable[int] = (),
) -> PaymentStory:
    """Tell every payment of ``schedule`` (see the module docstring and ``dues`` for the arguments).

    Seasonal plans (``income_months`` given) list the harvest payments first, then the other months; every
    other plan lists its runs in date order.
    """
    months = tuple(income_months)
    first_upfront, payments = dues(schedule, upfront=upfront, balloon=balloon, income_months=months)
    if months:
        # Seasonal income is told by kind, not month by month: the harvest payments together, then the other
        # months together, each with its smallest and largest payment (the balance, and so the interest, falls
        # after every harvest, so a long plan would otherwise list a run between every two harvests).
        runs = [
            Run(kind, group)
            for kind in DUE_KINDS[::-1]
            if (group := tuple(due for due in payments if due.kind == kind))
        ]
        runs.sort(key=lambda run: run.kind != "harvest")
    else:
        runs = _runs(payments)
    return PaymentStory(first_upfront, payments, tuple(runs))


def judge(story: PaymentStory, limit: Decimal, as_of: date) -> Verdict:
    """Whether every payment of ``story`` is within ``limit``, the amount the borrower can afford a month.

    Up to 12 months after ``as_of`` the payments of each calendar month are added up (a borrower pays them all
    out of that month's income); after that every single payment must be within the limit. The up-front
    payment is not judged: the borrower chose it. The first payment that does not fit is named.
    """
    horizon = add_months(as_of, NEAR_MONTHS)
    totals = _near_month_totals(story, horizon)
    for due in story.payments:
        total = totals[month_index(due.due_date)] if due.due_date <= horizon else due.amount
        if total > limit:
            return Verdict(False, limit, due, total)
    return Verdict(True, limit)


def largest_near(story: PaymentStory, as_of: date) -> Decimal:
    """The most that falls due in one calendar month in the 12 months after ``as_of`` (zero if nothing does)."""
    return max(_near_month_totals(story, add_months(as_of, NEAR_MONTHS)).values(), default=_ZERO)


def _near_month_totals(story: PaymentStory, horizon: date) -> dict[int, Decimal]:
    """What falls due in each calendar month (by month index) up to ``horizon``: paid out of one month's income."""
    totals: dict[int, Decimal] = {}
    for due in story.payments:
        if due.due_date <= horizon:
            key = month_index(due.due_date)
            totals[key] = totals.get(key, _ZERO) + due.amount
    return totals
