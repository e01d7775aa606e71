"""The borrower's own proposal: "this is what I can pay each month", when none of the plans fits.

A proposal is a plan kind without a schedule of its own. The borrower states one monthly amount; it goes
through check-your-answers and submission like any plan, and staff answer it with a counter-offer of a real
plan (never an approval "as asked", since there is no schedule to put in force). The amount is money: at
least one fen, at most two decimal places, and no more than everything still owed on the loan (a month's
payment above the whole debt is a typing slip, not a proposal).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from portal.domain.hardship import affordable_limit
from portal.domain.money import round_money

PROPOSAL = "proposal"
# Kinds a reviewer can only answer with a counter-offer: nothing was priced, so nothing can be approved as is.
COUNTER_ONLY_KINDS = frozenset({PROPOSAL})
MIN_MONTHLY = Decimal("0.01")


@dataclass(frozen=True)
class Proposal:
    """What the borrower proposes, beside what the portal knows about their budget and their loan."""

    monthly: Decimal  # the amount the borrower says they can pay each month
    affordable_limit: Decimal | None  # the policy's share of disposable income; None without a budget
    fits: bool | None  # monthly <= affordable_limit; None without a budget
    regular_payment: Decimal  # the loan's next regular installment as scheduled today
    arrears: Decimal  # the total to bring the loan current today
    owed: Decimal  # everything still unpaid on the loan, arrears included (the proposal's ceiling)


def check_monthly(value: object, owed: Decimal) -> tuple[Decimal | None, str | None]:
    """Return ``(amount, None)`` for a valid proposed monthly amount, or ``(None, error_code)``.

    ``value`` may be a Decimal or the text a person typed (blank, "800", "800.50"); ``owed`` is everything
    still unpaid on the loan.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "monthly_required"
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return None, "monthly_invalid"
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        return None, "monthly_invalid"
    if amount < MIN_MONTHLY:
        return None, "monthly_not_positive"
    if amount > owed:
        return None, "monthly_too_large"
    return round_money(amount), None


def assess(
    monthly: Decimal,
    *,
    disposable: Decimal | None,
    share: Decimal,
    regular_payment: Decimal,
    arrears: Decimal,
    owed: Decimal,
) -> Proposal:
    """The proposal with its fit to the borrower's budget, judged as every plan is (the policy's share)."""
    limit = None if disposable is None else affordable_limit(disposable, share)
    return Proposal(
        monthly=round_money(monthly),
        affordable_limit=limit,
        fits=None if limit is None else monthly <= limit,
        regular_payment=regular_payment,
        arrears=arrears,
        owed=owed,
    )


def approvable_as_asked(kind: str | None) -> bool:
    """Whether a reviewer may approve an application of this kind as asked (a proposal needs a counter-offer)."""
    return kind not in COUNTER_ONLY_KINDS
