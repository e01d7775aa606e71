"""The risk score: a transparent points table, 0–100, shown with its reasons.

It orders the queue so that the borrowers in the deepest trouble are helped first. It is never a reason to
refuse anyone: nothing in the decision rules reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# (lowest value, points): the first row whose lowest value the figure reaches, from the top.
DPD_POINTS = ((91, 40), (61, 30), (31, 20), (1, 10), (0, 0))
ARREARS_RATIO_POINTS = ((Decimal(3), 20), (Decimal(2), 10), (Decimal(1), 5), (Decimal(0), 0))
BROKEN_PLAN_POINTS = 10  # each, at most 2 counted
MARGIN_POINTS = {"no_money_left": 20, "payment_above_limit": 15, "tight": 5, "comfortable": 0}
DURATION_POINTS = {"permanent": 10, "longer": 5, "under_6_months": 0}


@dataclass(frozen=True)
class RiskReason:
    """One line of the points table as it applied: a code, the figure it looked at, and the points."""

    code: str
    value: str
    points: int


@dataclass(frozen=True)
class RiskScore:
    """The score and every reason that makes it up."""

    score: int
    reasons: tuple[RiskReason, ...]


def _band(value, table) -> int:
    for lowest, points in table:
        if value >= lowest:
            return points
    return 0


def margin_band(disposable: Decimal | None, payment: Decimal, share: Decimal) -> str:
    """How the requested payment sits against what the borrower has left each month."""
    if disposable is None or disposable <= 0:
        return "no_money_left"
    limit = disposable * share
    if payment > limit:
        return "payment_above_limit"
    if payment > limit * Decimal("0.8"):
        return "tight"
    return "comfortable"


def score(
    *,
    days_past_due: int,
    arrears: Decimal,
    regular_payment: Decimal,
    broken_plans: int,
    disposable: Decimal | None,
    requested_payment: Decimal,
    affordability_share: Decimal,
    duration: str | None,
) -> RiskScore:
    """Add up the points table. Every input is shown back as a reason, so a reviewer can check the sum."""
    ratio = (arrears / regular_payment) if regular_payment > 0 else Decimal(0)
    margin = margin_band(disposable, requested_payment, affordability_share)
    reasons = (
        RiskReason("days_past_due", str(days_past_due), _band(days_past_due, DPD_POINTS)),
        RiskReason("arrears_to_payment", f"{ratio:.1f}", _band(ratio, ARREARS_RATIO_POINTS)),
        RiskReason("broken_plans", str(broken_plans), BROKEN_PLAN_POINTS * min(broken_plans, 2)),
        RiskReason("affordability", margin, MARGIN_POINTS[margin]),
        RiskReason("hardship_duration", duration or "", DURATION_POINTS.get(duration or "", 0)),
    )
    return RiskScore(min(100, sum(r.points for r in reasons)), reasons)
