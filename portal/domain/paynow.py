"""What a borrower has to pay now, from a loan's arrears report: what is already overdue, the next installment
with its date, and both together (each is owed; neither replaces the other).

Pure: the figures come from the report the portal worked out from the stored schedule and payments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.domain.arrears import ArrearsReport

_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PayNow:
    """What to pay: ``overdue`` is due already (every part of it, penalty included); ``next_amount`` falls due on
    ``next_date`` (None when no installment is left to come)."""

    overdue: Decimal
    next_amount: Decimal | None
    next_date: date | None
    next_number: int | None = None

    @property
    def total(self) -> Decimal:
        """Everything to pay by the next due date: the overdue amount and the next installment, both owed."""
        return self.overdue + (self.next_amount or _ZERO)

    @property
    def both_owed(self) -> bool:
        """True when there is an overdue amount and an installment to come: the page must say both are owed."""
        return self.overdue > 0 and self.next_amount is not None and self.next_amount > 0

    @property
    def nothing_owed(self) -> bool:
        """True when nothing is overdue and no installment is left to pay."""
        return self.overdue == 0 and not self.next_amount


def pay_now(report: ArrearsReport) -> PayNow:
    """What to pay now according to ``report``: the total to bring the loan current, and the unpaid part of the
    first installment due on or after the report date (a partly paid one counts for what is left of it)."""
    upcoming = report.next_installment
    return PayNow(
        overdue=report.total_to_bring_current,
        next_amount=upcoming.total_unpaid if upcoming is not None else None,
        next_date=upcoming.due_date if upcoming is not None else None,
        next_number=upcoming.number if upcoming is not None else None,
    )
