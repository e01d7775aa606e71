"""The five-tier classification of a restructured loan (商业银行金融资产风险分类办法, 2023, restructured assets).

A restructured loan is classified at least special mention (关注) during an observation period. The period starts
on the first payment date of the new schedule and lasts at least ``min_periods`` consecutive payment periods and
at least ``min_months`` months, whichever ends later. During it:

- a loan that was substandard (次级) or worse just before the restructuring is not upgraded: it keeps at least
  the tier it had;
- a missed payment (an installment not paid in full on its due date), or a further restructuring, puts it at
  least at substandard and starts the period again (from the next payment date after the miss; from the first
  payment date of the newer schedule after a further restructuring).

After the period the loan is classified by its days past due again. The values come from the policy pack.

Day counting: ``ends_on`` is the first day the loan is out of observation. The period covers ``starts_on`` up to
the day before ``ends_on``, and a payment due in it and missed puts the loan back in observation even when the
miss is seen on ``ends_on`` (the closing payment is due the day before). Before ``starts_on`` (restructured, first
payment not yet due) the loan already has the period's floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from portal.domain.arrears import classification as classification_by_days
from portal.domain.schedule import add_months

# Worst last: a larger index is a worse tier.
TIERS = ("normal", "special_mention", "substandard", "doubtful", "loss")


def worse(*tiers: str) -> str:
    """The worst of the tiers given."""
    for tier in tiers:
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}")
    return max(tiers, key=TIERS.index)


@dataclass(frozen=True)
class ObservationRules:
    """The policy pack's values for the observation period of a restructured loan."""

    min_periods: int = 2  # consecutive payment periods
    min_months: int = 12  # and at least this many months
    floor: str = "special_mention"  # the lowest tier during the period
    breach_floor: str = "substandard"  # after a missed payment or a further restructuring

    def __post_init__(self) -> None:
        if self.min_periods < 1 or self.min_months < 1:
            raise ValueError("an observation period needs at least one period and one month")
        if self.floor not in TIERS or self.breach_floor not in TIERS:
            raise ValueError("unknown tier")
        if TIERS.index(self.breach_floor) < TIERS.index(self.floor):
            raise ValueError("the floor after a breach cannot be better than the floor")


@dataclass(frozen=True)
class Restructuring:
    """One restructuring of the loan as the classification needs it."""

    effective_on: date  # the day the new schedule took effect
    due_dates: tuple[date, ...]  # the new schedule's payment dates, in order
    tier_before: str  # the loan's tier the day before the restructuring


@dataclass(frozen=True)
class Observation:
    """The observation period in force and what it does to the loan's tier."""

    starts_on: date
    ends_on: date  # first day out of observation
    restarted: bool  # a missed payment or a further restructuring started it again
    floor: str  # the lowest tier while it lasts

    @property
    def last_day(self) -> date:
        """The period's last day."""
        return self.ends_on - timedelta(days=1)


@dataclass(frozen=True)
class Classified:
    """A loan's tier as of a date, with the tier its days past due alone give and the observation behind it."""

    tier: str
    by_days: str
    observation: Observation | None  # None when the loan is not (or no longer) under observation
    reasons: tuple[str, ...]  # codes: "days_past_due", "observation", "not_upgraded", "missed_payment",
    # "restructured_again"


def observation_end(starts_on: date, due_dates: Sequence[date], rules: ObservationRules) -> date:
    """The first day after an observation period that starts on ``starts_on``.

    The later of: ``min_months`` after the start, and the day after the payment that closes the
    ``min_periods``-th period counted from the start (the last payment when the schedule has fewer).
    """
    by_time = add_months(starts_on, rules.min_months)
    later = [d for d in due_dates if d > starts_on]
    if later:
        closing = later[min(rules.min_periods, len(later)) - 1]
        return max(by_time, closing + timedelta(days=1))
    return by_time


def _first_on_or_after(due_dates: Sequence[date], day: date) -> date:
    return next((d for d in due_dates if d >= day), day)


def classify(
    *,
    days_past_due: int,
    as_of: date,
    restructurings: Sequence[Restructuring],
    missed: Sequence[date],
    rules: ObservationRules,
) -> Classified:
    """The tier of a loan as of ``as_of``.

    ``restructurings`` oldest first; ``missed`` the due dates (under the newest schedule) of installments not paid
    in full on their due date, as known on ``as_of``.
    """
    by_days = classification_by_days(days_past_due)
    if not restructurings:
        return Classified(by_days, by_days, None, ("days_past_due",))
    observation: Observation | None = None
    reasons: list[str] = []
    for item in restructurings:
        start = _first_on_or_after(item.due_dates, item.effective_on)
        again = observation is not None and item.effective_on < observation.ends_on
        if again:
            # A further restructuring during the period: at least substandard, and the period starts again.
            floor = worse(rules.breach_floor, observation.floor, item.tier_before)
            reasons = ["restructured_again"]
        else:
            floor = worse(rules.floor, item.tier_before)
            reasons = ["not_upgraded"] if TIERS.index(item.tier_before) >= TIERS.index("substandard") else []
        observation = Observation(start, observation_end(start, item.due_dates, rules), again, floor)
    latest = restructurings[-1]
    for miss in sorted(missed):
        if miss >= as_of or miss < observation.starts_on or miss >= observation.ends_on:
            continue
        restart = next((d for d in latest.due_dates if d > miss), miss)
        floor = worse(rules.breach_floor, observation.floor)
        observation = Observation(restart, observation_end(restart, latest.due_dates, rules), True, floor)
        if "missed_payment" not in reasons:
            reasons.append("missed_payment")
    if as_of >= observation.ends_on:
        return Classified(by_days, by_days, None, ("days_past_due",))
    tier = worse(by_days, observation.floor)
    return Classified(tier, by_days, observation, ("observation", *reasons))
