"""Repayment schedules: the four repayment methods as pure functions of principal, rate, term, first due."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, localcontext

from portal.domain.money import CENT, round_money, split

METHODS = ("equal_installment", "equal_principal", "interest_first", "bullet")

# Days in each month of a common year.
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Rates are repeating decimals (4.9 % / 12 = 0.00408333...); carry far more digits than any amount needs, so
# the only rounding that shows is the one to the fen.
_PRECISION = 50
_CONTEXT = Context(prec=_PRECISION)


@dataclass(frozen=True)
class Installment:
    """One scheduled installment: what falls due on ``due_date``, split into principal, interest and charges.

    ``charges`` are earlier penalty and compound interest (and, after an extension, overdue interest) that a
    restructuring moved into this future installment; a plain schedule has none. They default to zero so a
    schedule built before restructurings existed reads the same.
    """

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    charges: Decimal = Decimal("0.00")

    @property
    def total(self) -> Decimal:
        """The amount due: principal plus interest plus charges."""
        return self.principal + self.interest + self.charges


def add_months(anchor: date, months: int) -> date:
    """Return the date ``months`` months after ``anchor`` on the anchor's day, clamped to the month's end.

    Always counted from the anchor, never step by step: 31 Jan + 1 is 28 (or 29) Feb but 31 Jan + 2 is 31 Mar.
    """
    return date_in_month(month_index(anchor) + months, anchor.day)


def first_due_after(after: date, day: int) -> date:
    """Return the first date strictly after ``after`` on ``day`` of its month, clamped to the month's end.

    With ``day`` 31 and ``after`` 28 Feb 2026 that is 31 Mar 2026 (28 Feb is not after itself); with ``day``
    31 and ``after`` 27 Feb 2026 it is 28 Feb 2026. Anchor later months on ``date_in_month``, not on this
    date: counting from a clamped 28 Feb would drift to the 28th.
    """
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
        raise ValueError("the day of the month must be an int from 1 to 31")
    index = month_index(after)
    candidate = date_in_month(index, day)
    return candidate if candidate > after else date_in_month(index + 1, day)


def month_index(day: date) -> int:
    """Return a month's place on one running count (year x 12 + month - 1): subtract two to count months."""
    return day.year * 12 + day.month - 1


def date_in_month(index: int, day: int) -> date:
    """Return ``day`` of the month numbered ``index`` (see ``month_index``), clamped to that month's end."""
    year, month = divmod(index, 12)
    month += 1
    if day > 28:  # every month has 28 days; only later days can need clamping
        # A table, not calendar.monthrange (which also works out the weekday): a 30-year schedule asks often.
        last = 29 if month == 2 and calendar.isleap(year) else _MONTH_DAYS[month - 1]
        day = min(day, last)
    return date(year, month, day)


def annual_fraction(annual_rate: Decimal | int) -> Decimal:
    """Return an annual rate as a fraction: 0.049 stays 0.049; a value >= 1 is a percentage (4.9 -> 0.049).

    No lender charges 100 % a year, so a value of 1 or more can only be a percentage; callers outside the code
    (forms, imports, policy files) pass either. A negative rate is a ValueError.
    """
    if isinstance(annual_rate, float):
        raise TypeError("rates must be a Decimal or an int, not a float")
    rate = Decimal(annual_rate)
    if rate < 0:
        raise ValueError("the annual rate cannot be negative")
    # Scaling by a power of ten is exact, so this needs no extra precision.
    return rate.scaleb(-2) if rate >= 1 else rate


def monthly_rate(annual_rate: Decimal | int) -> Decimal:
    """Return the monthly rate r = R / 12, to 50 significant digits.

    ``annual_rate`` is a fraction (``Decimal("0.049")`` is 4.9 %) or, when it is 1 or more, a percentage
    (``Decimal("4.9")`` is also 4.9 %); see ``annual_fraction``.
    """
    fraction = annual_fraction(annual_rate)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return fraction / 12


def monthly_interest(balance: Decimal, annual_rate: Decimal | int) -> Decimal:
    """Return one month's interest on ``balance``, round(balance x R / 12), as every schedule line has it."""
    return _monthly_interest(balance, annual_fraction(annual_rate))


def _monthly_interest(balance: Decimal, annual: Decimal) -> Decimal:
    """Return round(balance * r).

    Computed as balance * R / 12 rather than balance * r: the product is exact, so the one division lands on
    an exact half fen when there is one (60.00 at 4.9 % is 0.245 -> 0.25), where a truncated r would fall just
    short.
    """
    # round_money's rule inlined: a 30-year schedule asks this hundreds of times per quote, so the 50-digit
    # context is a module constant rather than a fresh localcontext each time (the same digits either way).
    # Balances and rates are never negative, so there is no "-0.00" to clean up.
    return _CONTEXT.divide(_CONTEXT.multiply(balance, annual), 12).quantize(
        CENT, rounding=ROUND_HALF_UP, context=_CONTEXT
    )


def build_schedule(
    principal: Decimal | int,
    annual_rate: Decimal | int,
    months: int,
    method: str,
    first_due: date,
) -> list[Installment]:
    """Build the repayment schedule of a loan of ``principal`` at ``annual_rate`` over ``months`` months.

    Installment i (from 1) falls due ``add_months(first_due, i - 1)``; ``bullet`` has a single installment due
    in month ``months``. ``method`` is one of ``METHODS``; ``annual_rate`` follows ``annual_fraction``. The
    principal parts always sum exactly to ``principal`` (rounded to the fen). Invalid input is a ValueError.
    """
    if method not in METHODS:
        raise ValueError(f"unknown repayment method {method!r}; expected one of {', '.join(METHODS)}")
    if isinstance(months, bool) or not isinstance(months, int):
        raise TypeError("months must be an int")
    if months < 1:
        raise ValueError("the term must be at least one month")
    amount = round_money(principal)
    if amount <= 0:
        raise ValueError("the principal must be positive")
    annual = annual_fraction(annual_rate)

    if method == "bullet":
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            interest = round_money(amount * annual * months / 12)
        return [Installment(1, add_months(first_due, months - 1), amount, interest)]

    if method == "interest_first":
        interest = _monthly_interest(amount, annual)
        principals = [Decimal("0.00")] * (months - 1) + [amount]
        return _installments(first_due, principals, [interest] * months)

    if method == "equal_installment" and annual == 0:
        # With no interest an annuity is the principal in equal payments (its formula would divide by zero): one
        # figure every month and the fen left over settled on the last, as an annuity settles its rounding.
        return _installments(first_due, _level_parts(amount, months), [Decimal("0.00")] * months)

    if method == "equal_principal":
        principals = split(amount, months)
        interests = []
        balance = amount
        for part in principals:
            interests.append(_monthly_interest(balance, annual))
            balance -= part
        return _installments(first_due, principals, interests)

    return _installments(first_due, *_equal_installment_parts(amount, annual, months))


def _level_parts(amount: Decimal, months: int) -> list[Decimal]:
    """``amount`` in ``months`` equal parts but the last, which takes what rounding leaves (never negative)."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        part = round_money(amount / months)
        if part * (months - 1) >= amount:  # rounded up, nothing left for the last: round down instead
            part = (amount / months).quantize(CENT, rounding=ROUND_DOWN)
    return [part] * (months - 1) + [amount - part * (months - 1)]


def _equal_installment_parts(
    amount: Decimal, annual: Decimal, months: int
) -> tuple[list[Decimal], list[Decimal]]:
    """Return the principal and interest parts of an annuity (等額本息) with a rounded constant payment.

    Every payment but the last is the same figure; the last settles what rounding left. When the payment rounded
    up to the fen would repay the loan before its last month (a tiny loan over many months), it is rounded down.
    """
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        r = monthly_rate(annual)
        growth = (1 + r) ** months
        exact = amount * r * growth / (growth - 1)
        payment = round_money(exact)
        parts = _annuity(amount, annual, months, payment)
        if parts is None:
            parts = _annuity(amount, annual, months, exact.quantize(CENT, rounding=ROUND_DOWN))
        if parts is None:  # a loan of a few fen: no whole-fen payment fits; pay what is left, never more
            parts = _annuity(amount, annual, months, payment, capped=True)
    return parts


def _annuity(
    amount: Decimal, annual: Decimal, months: int, payment: Decimal, *, capped: bool = False
) -> tuple[list[Decimal], list[Decimal]] | None:
    """The parts at a constant ``payment``; None when it would leave nothing (or too little) for the last month.

    ``capped``: never repay more principal than is left, so no later part goes negative (0.06 over 12 months
    pays 0.01 a month), and never return None.
    """
    principals: list[Decimal] = []
    interests: list[Decimal] = []
    balance = amount
    for number in range(1, months + 1):
        interest = _monthly_interest(balance, annual)
        part = balance if number == months else payment - interest
        if capped:
            part = max(min(part, balance), Decimal("0.00"))
        elif number < months and (part < 0 or part >= balance):
            return None
        principals.append(part)
        interests.append(interest)
        balance -= part
    return principals, interests


def _installments(first_due: date, principals: list[Decimal], interests: list[Decimal]) -> list[Installment]:
    """Number the parts from 1 and give each its monthly due date."""
    return [
        Installment(number, add_months(first_due, number - 1), principal, interest)
        for number, (principal, interest) in enumerate(zip(principals, interests, strict=True), start=1)
    ]
