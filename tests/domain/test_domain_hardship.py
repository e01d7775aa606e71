"""Hardship statements: the lists each variant offers, the budget's disposable income, the limit."""

from decimal import Decimal

import pytest

from portal.domain.hardship import (
    DURATIONS,
    INCOME_SOURCES,
    MAX_ACCOUNT_CHARS,
    REASONS_COMMON,
    SPENDING_COMMON,
    Budget,
    affordable_limit,
    income_sources_for,
    reasons_for,
    spending_for,
)

pytestmark = pytest.mark.domain

D = Decimal


def test_rural_reasons_are_the_common_ones_then_farming_then_other():
    assert reasons_for("rural") == (
        "income_reduced",
        "lost_job",
        "illness",
        "family_illness_or_death",
        "divorce",
        "natural_disaster",
        "business_downturn",
        "crop_failure",
        "livestock_disease",
        "farm_price_drop",
        "other",
    )


def test_urban_reasons_add_late_salary_before_other():
    assert reasons_for("urban") == (*REASONS_COMMON, "salary_late", "other")


def test_durations_and_the_account_limit():
    assert DURATIONS == ("under_6_months", "longer", "permanent")
    assert MAX_ACCOUNT_CHARS == 2000


def test_rural_spending_adds_farm_inputs():
    assert spending_for("urban") == SPENDING_COMMON
    assert spending_for("rural") == (*SPENDING_COMMON, "seed", "fertiliser", "feed")


def test_income_sources_are_the_same_set_with_the_likeliest_first():
    rural, urban = income_sources_for("rural"), income_sources_for("urban")
    assert rural[0] == "farming" and urban[0] == "wages"
    assert sorted(rural) == sorted(urban) == sorted(INCOME_SOURCES)


@pytest.mark.parametrize("function", [reasons_for, spending_for, income_sources_for])
def test_an_unknown_variant_is_an_error(function):
    with pytest.raises(ValueError):
        function("suburban")


def test_disposable_income_is_income_less_spending_less_other_debt():
    # Income 3000 + 1200.50 = 4200.50; spending 1500 + 800 + 120.25 = 2420.25; other debt 600:
    # disposable 4200.50 - 2420.25 - 600.00 = 1180.25.
    budget = Budget(
        income={"farming": D("3000"), "family_support": D("1200.50")},
        spending={"food": D("1500"), "housing": D("800"), "seed": D("120.25")},
        other_debt=D("600"),
        dependants=2,
    )
    assert (budget.total_income, budget.total_spending, budget.disposable) == (
        D("4200.50"),
        D("2420.25"),
        D("1180.25"),
    )


def test_disposable_income_may_be_negative():
    budget = Budget(
        income={"wages": D("2000")}, spending={"housing": D("1800")}, other_debt=D("500"), dependants=0
    )
    assert budget.disposable == D("-300.00")


@pytest.mark.parametrize(
    ("income", "spending", "other_debt", "dependants"),
    [
        ({"salary": D("1")}, {}, D("0"), 0),  # not an income source
        ({}, {"holidays": D("1")}, D("0"), 0),  # not essential spending
        ({"wages": D("-1")}, {}, D("0"), 0),
        ({"wages": 1.5}, {}, D("0"), 0),  # floats lose fen
        ({}, {}, D("-1"), 0),
        ({}, {}, D("0"), -1),
    ],
)
def test_a_budget_refuses_unknown_categories_and_bad_amounts(income, spending, other_debt, dependants):
    with pytest.raises((ValueError, TypeError)):
        Budget(income=income, spending=spending, other_debt=other_debt, dependants=dependants)


@pytest.mark.parametrize(
    ("disposable", "share", "limit"),
    [
        ("1180.25", "0.5", "590.13"),  # 590.125 rounds half up
        ("1234.55", "0.5", "617.28"),  # 617.275 -> 617.28
        ("1000", "0.4", "400.00"),
        ("0", "0.5", "0.00"),
        ("-300", "0.5", "0.00"),  # nothing left affords nothing, not a negative payment
    ],
)
def test_affordable_limit_is_the_share_of_what_is_left(disposable, share, limit):
    assert affordable_limit(D(disposable), D(share)) == D(limit)
