"""Penalty and compound interest on overdue installments: the product's overdue terms, the daily rate, and
the exact accrual on one installment's unpaid principal (penalty) and unpaid interest (compound interest).

Charges a restructuring moved into an installment are owed but accrue nothing: they are already interest on
interest, and charging penalty on them again would compound a third time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext

from portal.domain.money import round_money
from portal.domain.schedule import Installment, annual_fraction

# Accrual sums (amount x days) stay exact; the digits matter only for the one division by 360 before rounding.
PRECISION = 50
_ZERO = Decimal("0.00")
_DAYS_PER_YEAR = 360


@dataclass(frozen=True)
class PenaltyTerms:
    """The loan product's overdue terms: the contract rate, its penalty markup, and whether to compound."""

    annual_rate: Decimal  # a fraction, or a percentage when >= 1, as in schedule.annual_fraction
    penalty_markup: Decimal = Decimal("0.5")  # 50 %; the central bank's rule allows 30-50 %
    compound_interest: bool = True

    def __post_init__(self) -> None:
        """Reject terms that would make the daily rate negative; work out R x (1 + markup) once."""
        annual_fraction(self.annual_rate)  # raises on a negative rate or a float
        if isinstance(self.penalty_markup, float) or self.penalty_markup < 0:
            raise ValueError("the penalty markup must be a non-negative Decimal")
        with localcontext() as ctx:
            ctx.prec = PRECISION
            factor = annual_fraction(self.annual_rate) * (1 + Decimal(self.penalty_markup))
        object.__setattr__(self, "_factor", factor)  # not a field: equality and repr stay the terms'

    @property
    def daily_rate(self) -> Decimal:
        """The daily penalty rate d = R x (1 + markup) / 360, to 50 significant digits."""
        with localcontext() as ctx:
            ctx.prec = PRECISION
            return self._yearly_factor / _DAYS_PER_YEAR

    @property
    def _yearly_factor(self) -> Decimal:
        """R x (1 + markup): exact, since both are finite decimals."""
        return self._factor

    def accrued(self, amount_days: Decimal) -> Decimal:
        """Return the accrual on a sum of (base x days), rounded once to the fen."""
        with localcontext() as ctx:
            ctx.prec = PRECISION
            # Dividing the exact sum once, not multiplying by a truncated d, keeps a true half fen exact.
            return round_money(amount_days * self._yearly_factor / _DAYS_PER_YEAR)


@dataclass
class InstallmentLedger:
    """Mutable running state of one installment while payments are replayed in order."""

    installment: Installment
    principal_paid: Decimal = _ZERO
    interest_paid: Decimal = _ZERO
    charges_paid: Decimal = _ZERO
    penalty_paid: Decimal = _ZERO
    compound_paid: Decimal = _ZERO
    # Sums of base x days, exact; accrual runs from the due date up to ``accrued_to``.
    penalty_amount_days: Decimal = _ZERO
    compound_amount_days: Decimal = _ZERO
    accrued_to: date = field(init=False)
    paid_off_on: date | None = None

    def __post_init__(self) -> None:
        """Start accruing on the due date: nothing accrues before it, whenever the base changed."""
        self.accrued_to = self.installment.due_date

    @property
    def principal_unpaid(self) -> Decimal:
        """Scheduled principal not yet paid: the penalty base."""
        return self.installment.principal - self.principal_paid

    @property
    def interest_unpaid(self) -> Decimal:
        """Scheduled interest not yet paid: the compound interest base."""
        return self.installment.interest - self.interest_paid

    @property
    def charges_unpaid(self) -> Decimal:
        """Scheduled charges not yet paid: owed, but the base of no accrual."""
        return self.installment.charges - self.charges_paid

    def accrue_to(self, day: date, compound: bool) -> None:
        """Add the segment from the last change to ``day`` at the bases that held over it."""
        if day <= self.accrued_to:
            return
        days = (day - self.accrued_to).days
        self.penalty_amount_days += self.principal_unpaid * days
        if compound:
            self.compound_amount_days += self.interest_unpaid * days
        self.accrued_to = day
