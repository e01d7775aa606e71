"""Hardship statements (困難說明): the fixed lists a borrower picks from, and the monthly budget behind
the affordability check.

Every list is a tuple of stable codes; the screens translate them. The variant changes which codes are
offered, never what a code means, so a statement keeps its meaning when a borrower's variant is changed later.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from portal.domain.money import round_money

VARIANTS = ("rural", "urban")

REASONS_COMMON = (
    "income_reduced",
    "lost_job",
    "illness",
    "family_illness_or_death",
    "divorce",
    "natural_disaster",
    "business_downturn",
)
REASONS_RURAL = ("crop_failure", "livestock_disease", "farm_price_drop")
REASONS_URBAN = ("salary_late",)
REASON_OTHER = "other"
# Every reason any variant offers: what a stored statement may hold.
REASONS = REASONS_COMMON + REASONS_RURAL + REASONS_URBAN + (REASON_OTHER,)

DURATIONS = ("under_6_months", "longer", "permanent")

INCOME_SOURCES = ("wages", "business", "farming", "pension_benefits", "family_support", "other_income")
SPENDING_COMMON = ("food", "housing", "utilities", "education", "medical", "transport")
SPENDING_RURAL = ("seed", "fertiliser", "feed")
# Every spending category any variant offers.
SPENDING = SPENDING_COMMON + SPENDING_RURAL

MAX_ACCOUNT_CHARS = 2000

_ZERO = Decimal("0.00")


def _check_variant(variant: str) -> None:
    """Raise ValueError for a variant that is not rural or urban."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")


def reasons_for(variant: str) -> tuple[str, ...]:
    """Return the hardship reasons offered in ``variant``: the common ones, the variant's, then "other"."""
    _check_variant(variant)
    own = REASONS_RURAL if variant == "rural" else REASONS_URBAN
    return REASONS_COMMON + own + (REASON_OTHER,)


def spending_for(variant: str) -> tuple[str, ...]:
    """Return the essential spending categories for ``variant``: rural adds seed, fertiliser and feed."""
    _check_variant(variant)
    return SPENDING if variant == "rural" else SPENDING_COMMON


def income_sources_for(variant: str) -> tuple[str, ...]:
    """Return the income sources in the order ``variant`` shows them: the same set, the likeliest first.

    Rural borrowers mostly live from farming and urban ones from wages; putting that source first puts the
    one field most borrowers fill at the top of a small phone screen.
    """
    _check_variant(variant)
    first = "farming" if variant == "rural" else "wages"
    return (first,) + tuple(source for source in INCOME_SOURCES if source != first)


def _amount(name: str, value: Decimal) -> Decimal:
    """Return a budget amount rounded to the fen; reject a float or a negative amount."""
    if isinstance(value, float) or not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise TypeError(f"{name} must be a Decimal amount")
    amount = round_money(value)
    if amount < 0:
        raise ValueError(f"{name} cannot be negative")
    return amount


@dataclass(frozen=True)
class Budget:
    """A borrower's month: income by source, essential spending by category, other debt payments, dependants.

    Amounts are rounded to the fen on construction; a key outside ``INCOME_SOURCES`` or ``SPENDING`` is a
    ValueError, so a misspelt category cannot silently drop out of the totals.
    """

    income: dict[str, Decimal]
    spending: dict[str, Decimal]
    other_debt: Decimal
    dependants: int

    def __post_init__(self) -> None:
        """Round every amount and reject unknown categories, negative amounts and floats."""
        unknown = sorted(set(self.income) - set(INCOME_SOURCES)) + sorted(set(self.spending) - set(SPENDING))
        if unknown:
            raise ValueError(f"unknown budget categories: {', '.join(unknown)}")
        # Frozen: the rounded copies go in through object.__setattr__, the documented way for __post_init__.
        object.__setattr__(self, "income", {k: _amount(k, v) for k, v in self.income.items()})
        object.__setattr__(self, "spending", {k: _amount(k, v) for k, v in self.spending.items()})
        object.__setattr__(self, "other_debt", _amount("other_debt", self.other_debt))
        if isinstance(self.dependants, bool) or not isinstance(self.dependants, int) or self.dependants < 0:
            raise ValueError("dependants must be a non-negative int")

    @property
    def total_income(self) -> Decimal:
        """Monthly income from every source."""
        return sum(self.income.values(), _ZERO)

    @property
    def total_spending(self) -> Decimal:
        """Monthly essential spending over every category."""
        return sum(self.spending.values(), _ZERO)

    @property
    def disposable(self) -> Decimal:
        """Income - essential spending - other debt payments; negative when the month does not balance."""
        return self.total_income - self.total_spending - self.other_debt


def affordable_limit(disposable: Decimal, share: Decimal) -> Decimal:
    """Return the largest monthly payment that fits: round(max(disposable, 0) x share).

    A negative disposable income affords nothing, not a negative payment.
    """
    return round_money(max(disposable, _ZERO) * share)
