"""Classification of a restructured loan (2023 rules): the observation period's floor, its length, its end, and
what a missed payment or a second restructuring does. Each row is one boundary."""

from datetime import date

import pytest

from portal.domain.classification import (
    ObservationRules,
    Restructuring,
    add_months,
    classify,
    observation_end,
)

pytestmark = pytest.mark.domain

RULES = ObservationRules(min_periods=2, min_months=12, floor="special_mention", breach_floor="substandard")
RESTRUCTURED = date(2026, 1, 20)
FIRST = date(2026, 2, 10)  # the first payment under the new schedule starts the period
MONTHLY = tuple(add_months(FIRST, n) for n in range(24))
ONE_YEAR_ON = date(2027, 2, 10)


def _one(tier_before="special_mention", due_dates=MONTHLY):
    return (Restructuring(RESTRUCTURED, due_dates, tier_before),)


@pytest.mark.parametrize(
    ("as_of", "days_past_due", "tier_before", "expected", "in_observation"),
    [
        # Restructured, first payment not yet due: already at least special mention.
        (date(2026, 1, 25), 0, "normal", "special_mention", True),
        (FIRST, 0, "special_mention", "special_mention", True),
        # Paid on time all year: still special mention the day before one year, back to normal on the day.
        (ONE_YEAR_ON - date.resolution, 0, "special_mention", "special_mention", True),
        (ONE_YEAR_ON, 0, "special_mention", "normal", False),
        (ONE_YEAR_ON + date.resolution, 0, "special_mention", "normal", False),
        # Was substandard, doubtful or loss before: not upgraded during the period.
        (date(2026, 6, 1), 0, "substandard", "substandard", True),
        (date(2026, 6, 1), 0, "doubtful", "doubtful", True),
        (date(2026, 6, 1), 0, "loss", "loss", True),
        (ONE_YEAR_ON - date.resolution, 0, "doubtful", "doubtful", True),
        # ... and after it, classified by days past due again.
        (ONE_YEAR_ON, 0, "doubtful", "normal", False),
        # Days past due that give a worse tier still win during the period.
        (date(2026, 6, 1), 100, "special_mention", "substandard", True),
    ],
)
def test_a_restructured_loan_is_at_least_special_mention_for_one_year_and_never_upgraded_from_substandard(
    as_of, days_past_due, tier_before, expected, in_observation
):
    result = classify(
        days_past_due=days_past_due, as_of=as_of, restructurings=_one(tier_before), missed=(), rules=RULES
    )
    assert result.tier == expected
    assert (result.observation is not None) is in_observation
    if in_observation:
        assert result.observation.starts_on == FIRST
        assert result.observation.ends_on == ONE_YEAR_ON


@pytest.mark.parametrize(
    ("due_dates", "expected_end"),
    [
        # Monthly: two periods end long before the year, so the year decides.
        (MONTHLY, ONE_YEAR_ON),
        # Payments every 8 months: the second period closes on 2027-06-10, after the year: it decides.
        ((FIRST, date(2026, 10, 10), date(2027, 6, 10), date(2028, 2, 10)), date(2027, 6, 11)),
        # Payments every 6 months: the second period closes on 2027-02-10, the day the year ends.
        ((FIRST, date(2026, 8, 10), date(2027, 2, 10)), date(2027, 2, 11)),
        # Only one period left on the schedule: its last payment closes it; the year still holds.
        ((FIRST, date(2026, 5, 10)), ONE_YEAR_ON),
    ],
)
def test_the_period_lasts_two_payment_periods_and_one_year_whichever_is_later(due_dates, expected_end):
    assert observation_end(FIRST, due_dates, RULES) == expected_end
    day_before = classify(
        days_past_due=0,
        as_of=expected_end - date.resolution,
        restructurings=_one(due_dates=due_dates),
        missed=(),
        rules=RULES,
    )
    on_the_day = classify(
        days_past_due=0, as_of=expected_end, restructurings=_one(due_dates=due_dates), missed=(), rules=RULES
    )
    assert day_before.tier == "special_mention"
    assert on_the_day.tier == "normal"


def test_one_period_rules_end_with_the_year_but_two_period_rules_wait_for_the_second_payment():
    due = (FIRST, date(2026, 12, 10), date(2027, 10, 10))
    one = ObservationRules(min_periods=1, min_months=12)
    two = ObservationRules(min_periods=2, min_months=12)
    assert observation_end(FIRST, due, one) == ONE_YEAR_ON
    assert observation_end(FIRST, due, two) == date(2027, 10, 11)


@pytest.mark.parametrize(
    ("missed", "as_of", "expected_tier", "expected_start"),
    [
        # A payment missed during the period: at least substandard, the period starts again at the next payment.
        ((date(2026, 5, 10),), date(2026, 5, 11), "substandard", date(2026, 6, 10)),
        ((date(2026, 5, 10),), date(2027, 6, 9), "substandard", date(2026, 6, 10)),
        # The restarted period ends one year after its own start.
        ((date(2026, 5, 10),), date(2027, 6, 10), "normal", None),
        # A miss on the last payment inside the period, seen the day the period would have ended.
        ((date(2027, 1, 10),), ONE_YEAR_ON, "substandard", date(2027, 2, 10)),
        # A miss before the first payment of the new schedule is not in the period (the old schedule's).
        ((date(2026, 1, 10),), date(2026, 6, 1), "special_mention", FIRST),
        # A miss after the period ended changes nothing about it.
        ((date(2027, 3, 10),), date(2027, 3, 11), "normal", None),
        # Today's payment is not missed yet.
        ((date(2026, 5, 10),), date(2026, 5, 10), "special_mention", FIRST),
        # A second miss in the restarted period restarts it again.
        ((date(2026, 5, 10), date(2027, 3, 10)), date(2027, 6, 10), "substandard", date(2027, 4, 10)),
    ],
)
def test_a_missed_payment_in_the_period_puts_the_loan_at_substandard_and_restarts_it(
    missed, as_of, expected_tier, expected_start
):
    result = classify(days_past_due=0, as_of=as_of, restructurings=_one(), missed=missed, rules=RULES)
    assert result.tier == expected_tier
    if expected_start is None:
        assert result.observation is None
    else:
        assert result.observation.starts_on == expected_start
        assert result.observation.ends_on == add_months(expected_start, 12)
        assert result.observation.restarted is (expected_tier == "substandard")


def test_a_second_restructuring_during_the_period_puts_the_loan_at_substandard_and_restarts_it():
    second_first = date(2026, 8, 5)
    second = Restructuring(date(2026, 7, 20), tuple(add_months(second_first, n) for n in range(24)), "normal")
    result = classify(
        days_past_due=0, as_of=date(2027, 8, 4), restructurings=(*_one(), second), missed=(), rules=RULES
    )
    assert result.tier == "substandard"
    assert result.observation.starts_on == second_first
    assert result.observation.ends_on == date(2027, 8, 5)
    assert "restructured_again" in result.reasons
    after = classify(
        days_past_due=0, as_of=date(2027, 8, 5), restructurings=(*_one(), second), missed=(), rules=RULES
    )
    assert after.tier == "normal"


def test_a_restructuring_after_the_period_ended_is_a_first_one_again():
    later = Restructuring(
        date(2027, 3, 1), tuple(add_months(date(2027, 3, 10), n) for n in range(12)), "normal"
    )
    result = classify(
        days_past_due=0, as_of=date(2027, 4, 1), restructurings=(*_one(), later), missed=(), rules=RULES
    )
    assert result.tier == "special_mention"
    assert not result.observation.restarted


def test_a_loan_never_restructured_is_classified_by_days_past_due():
    for days, tier in (
        (0, "normal"),
        (1, "special_mention"),
        (91, "substandard"),
        (271, "doubtful"),
        (361, "loss"),
    ):
        result = classify(
            days_past_due=days, as_of=date(2026, 6, 1), restructurings=(), missed=(), rules=RULES
        )
        assert (result.tier, result.observation) == (tier, None)


def test_rules_refuse_a_breach_floor_better_than_the_floor():
    with pytest.raises(ValueError):
        ObservationRules(floor="substandard", breach_floor="special_mention")
    with pytest.raises(ValueError):
        ObservationRules(min_periods=0)
