"""The risk score's points table, case by case."""

from decimal import Decimal as D

import pytest

from portal.domain.risk import margin_band, score

pytestmark = pytest.mark.domain


def _score(**changes):
    values = dict(
        days_past_due=0,
        arrears=D("0"),
        regular_payment=D("1000"),
        broken_plans=0,
        disposable=D("5000"),
        requested_payment=D("1000"),
        affordability_share=D("0.5"),
        duration="under_6_months",
    )
    values.update(changes)
    return score(**values)


@pytest.mark.parametrize(
    ("dpd", "points"),
    [(0, 0), (1, 10), (30, 10), (31, 20), (60, 20), (61, 30), (90, 30), (91, 40), (400, 40)],
)
def test_days_past_due_points_follow_the_buckets(dpd, points):
    assert dict((r.code, r.points) for r in _score(days_past_due=dpd).reasons)["days_past_due"] == points


@pytest.mark.parametrize(
    ("arrears", "points"), [("0", 0), ("999.99", 0), ("1000", 5), ("2000", 10), ("3000", 20)]
)
def test_arrears_against_the_regular_payment(arrears, points):
    assert (
        dict((r.code, r.points) for r in _score(arrears=D(arrears)).reasons)["arrears_to_payment"] == points
    )


@pytest.mark.parametrize(
    ("disposable", "payment", "band"),
    [
        (None, "1", "no_money_left"),
        ("0", "1", "no_money_left"),
        ("-50", "1", "no_money_left"),
        ("1000", "501", "payment_above_limit"),
        ("1000", "500", "tight"),
        ("1000", "401", "tight"),
        ("1000", "400", "comfortable"),
    ],
)
def test_affordability_margin_bands(disposable, payment, band):
    assert margin_band(None if disposable is None else D(disposable), D(payment), D("0.5")) == band


def test_score_is_the_sum_of_its_reasons_and_capped_at_100():
    worst = _score(
        days_past_due=400, arrears=D("9000"), broken_plans=5, disposable=D("-1"), duration="permanent"
    )
    assert sum(r.points for r in worst.reasons) == 40 + 20 + 20 + 20 + 10
    assert worst.score == 100
    calm = _score()
    assert calm.score == 0 and len(calm.reasons) == 5
    middle = _score(days_past_due=45, arrears=D("2500"), broken_plans=1, duration="longer")
    assert middle.score == 20 + 10 + 10 + 0 + 5
