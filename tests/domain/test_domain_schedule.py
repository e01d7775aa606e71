"""Repayment schedules: the reference figures, month-end due dates, and the four methods by hand."""

from datetime import date
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.money import from_fen
from portal.domain.schedule import (
    METHODS,
    Installment,
    add_months,
    annual_fraction,
    build_schedule,
    date_in_month,
    first_due_after,
    month_index,
    monthly_interest,
    monthly_rate,
)

pytestmark = pytest.mark.domain

PROPERTY = settings(max_examples=200, database=None, deadline=None)
D = Decimal
JAN_31 = date(2026, 1, 31)


def rows(schedule: list[Installment]) -> list[tuple[int, date, Decimal, Decimal]]:
    """Flatten a schedule for comparison with a table."""
    return [(item.number, item.due_date, item.principal, item.interest) for item in schedule]


@pytest.mark.parametrize("rate", [D("0.049"), D("4.9")], ids=["fraction", "percent"])
def test_equal_installment_of_a_million_at_4_9_percent_over_30_years_pays_5307_27(rate):
    schedule = build_schedule(D("1000000"), rate, 360, "equal_installment", JAN_31)
    assert schedule[0].total == D("5307.27")
    # Every installment but the last pays the same amount; the last clears the balance.
    assert {item.total for item in schedule[:-1]} == {D("5307.27")}
    assert sum(item.principal for item in schedule) == D("1000000")


@pytest.mark.parametrize("rate", [D("0.049"), D("4.9")], ids=["fraction", "percent"])
def test_equal_principal_of_a_million_at_4_9_percent_pays_6861_11_first(rate):
    schedule = build_schedule(D("1000000"), rate, 360, "equal_principal", JAN_31)
    # 1,000,000 / 360 = 2777.78; interest 1,000,000 x 0.049 / 12 = 4083.333... -> 4083.33.
    assert (schedule[0].principal, schedule[0].interest) == (D("2777.78"), D("4083.33"))
    assert schedule[0].total == D("6861.11")


@pytest.mark.parametrize(
    ("anchor", "months", "expected"),
    [
        (JAN_31, 0, date(2026, 1, 31)),
        (JAN_31, 1, date(2026, 2, 28)),
        (JAN_31, 2, date(2026, 3, 31)),  # from the anchor, not from 28 Feb
        (JAN_31, 3, date(2026, 4, 30)),
        (JAN_31, 11, date(2026, 12, 31)),
        (JAN_31, 12, date(2027, 1, 31)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), 1, date(2024, 3, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), 25, date(2028, 2, 15)),
    ],
)
def test_add_months_keeps_the_anchor_day_clamped_to_month_end(anchor, months, expected):
    assert add_months(anchor, months) == expected


def test_due_dates_from_31_january_fall_on_each_month_end():
    schedule = build_schedule(D("1200"), D("0.06"), 4, "equal_principal", JAN_31)
    assert [item.due_date for item in schedule] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


def test_due_dates_from_a_leap_day_fall_on_the_29th_or_february_end():
    schedule = build_schedule(D("1300"), D("0.06"), 13, "equal_installment", date(2024, 2, 29))
    assert [item.due_date for item in schedule][:2] == [date(2024, 2, 29), date(2024, 3, 29)]
    assert schedule[-1].due_date == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("rate", "annual"),
    [
        (D("0.049"), D("0.049")),
        (D("4.9"), D("0.049")),
        (D("0.06"), D("0.06")),
        (D("6"), D("0.06")),
        (D("1"), D("0.01")),  # 1 is taken as 1 %, not 100 %
        (D("0.9999"), D("0.9999")),
        (D("0"), D("0")),
        (0, D("0")),
    ],
)
def test_rates_are_fractions_or_percentages_from_one_up(rate, annual):
    assert annual_fraction(rate) == annual
    with localcontext() as ctx:
        ctx.prec = 60
        assert abs(monthly_rate(rate) * 12 - annual) < D("1e-45")


def test_a_negative_rate_is_rejected():
    with pytest.raises(ValueError):
        monthly_rate(D("-0.01"))


def test_monthly_rate_keeps_at_least_40_digits():
    # 0.049 / 12 = 0.0040833...; a 28-digit default context would stop far earlier.
    assert len(monthly_rate(D("0.049")).as_tuple().digits) >= 40


# 12,000 at 6 % over 12 months, first due 31 Jan 2026; r = 0.06 / 12 = 0.005 exactly.
#
# equal_installment: (1.005)^12 = 1.0616778118645...;
#   A = 12000 x 0.005 x 1.0616778 / 0.0616778 = 1032.798... -> 1032.80
#   1: interest 12000.00 x 0.005 = 60.00, principal 1032.80 - 60.00 = 972.80, balance 11027.20
#   2: interest 11027.20 x 0.005 = 55.136 -> 55.14, principal 977.66, balance 10049.54
#   3: 10049.54 x 0.005 = 50.2477 -> 50.25, principal 982.55, balance 9066.99
#   4: 9066.99 x 0.005 = 45.33495 -> 45.33, principal 987.47, balance 8079.52
#   5: 8079.52 x 0.005 = 40.3976 -> 40.40, principal 992.40, balance 7087.12
#   6: 7087.12 x 0.005 = 35.4356 -> 35.44, principal 997.36, balance 6089.76
#   7: 6089.76 x 0.005 = 30.4488 -> 30.45, principal 1002.35, balance 5087.41
#   8: 5087.41 x 0.005 = 25.43705 -> 25.44, principal 1007.36, balance 4080.05
#   9: 4080.05 x 0.005 = 20.40025 -> 20.40, principal 1012.40, balance 3067.65
#  10: 3067.65 x 0.005 = 15.33825 -> 15.34, principal 1017.46, balance 2050.19
#  11: 2050.19 x 0.005 = 10.25095 -> 10.25, principal 1022.55, balance 1027.64
#  12: 1027.64 x 0.005 = 5.1382 -> 5.14, principal = the balance 1027.64 (total 1032.78, not 1032.80)
EQUAL_INSTALLMENT_12000 = [
    ("972.80", "60.00"),
    ("977.66", "55.14"),
    ("982.55", "50.25"),
    ("987.47", "45.33"),
    ("992.40", "40.40"),
    ("997.36", "35.44"),
    ("1002.35", "30.45"),
    ("1007.36", "25.44"),
    ("1012.40", "20.40"),
    ("1017.46", "15.34"),
    ("1022.55", "10.25"),
    ("1027.64", "5.14"),
]
# equal_principal: 12000 / 12 = 1000.00 a month; interest on the balance before it: 12000 x 0.005 = 60.00,
#   11000 x 0.005 = 55.00, ... 1000 x 0.005 = 5.00.
EQUAL_PRINCIPAL_12000 = [("1000.00", f"{60 - 5 * i}.00") for i in range(12)]
# interest_first: 12000 x 0.005 = 60.00 every month; the 12,000 with the 12th.
INTEREST_FIRST_12000 = [("0.00", "60.00")] * 11 + [("12000.00", "60.00")]


@pytest.mark.parametrize(
    ("method", "table"),
    [
        ("equal_installment", EQUAL_INSTALLMENT_12000),
        ("equal_principal", EQUAL_PRINCIPAL_12000),
        ("interest_first", INTEREST_FIRST_12000),
    ],
)
def test_monthly_methods_match_the_hand_computed_table(method, table):
    schedule = build_schedule(D("12000"), D("0.06"), 12, method, JAN_31)
    assert rows(schedule) == [
        (number, add_months(JAN_31, number - 1), D(principal), D(interest))
        for number, (principal, interest) in enumerate(table, start=1)
    ]


def test_bullet_is_one_installment_at_the_end_with_simple_interest():
    # 12000 x 0.06 / 12 x 12 months = 720.00, due in month 12: 31 Jan 2026 + 11 months = 31 Dec 2026.
    schedule = build_schedule(D("12000"), D("0.06"), 12, "bullet", JAN_31)
    assert rows(schedule) == [(1, date(2026, 12, 31), D("12000.00"), D("720.00"))]


def test_equal_principal_totals_fall_by_the_interest_on_one_part():
    schedule = build_schedule(D("12000"), D("6"), 12, "equal_principal", JAN_31)
    # Total interest 5 x (12 + 11 + ... + 1) = 5 x 78 = 390.00.
    assert sum(item.interest for item in schedule) == D("390.00")


def test_interest_on_an_exact_half_fen_rounds_up():
    # 60.00 x 0.049 / 12 = 0.245 exactly; with a truncated r = 0.0040833...3 it would be 0.2449... -> 0.24.
    schedule = build_schedule(D("60"), D("0.049"), 2, "interest_first", JAN_31)
    assert schedule[0].interest == D("0.25")


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("equal_installment", [("33.33", "0.00"), ("33.33", "0.00"), ("33.34", "0.00")]),
        ("equal_principal", [("33.33", "0.00"), ("33.33", "0.00"), ("33.34", "0.00")]),
        ("interest_first", [("0.00", "0.00"), ("0.00", "0.00"), ("100.00", "0.00")]),
        ("bullet", [("100.00", "0.00")]),
    ],
)
def test_a_zero_rate_is_valid_for_every_method(method, expected):
    schedule = build_schedule(D("100"), D("0"), 3, method, JAN_31)
    assert [(item.principal, item.interest) for item in schedule] == [(D(p), D(i)) for p, i in expected]


@pytest.mark.parametrize(
    ("principal", "rate", "months", "method"),
    [
        (D("0"), D("0.06"), 12, "equal_installment"),
        (D("-100"), D("0.06"), 12, "equal_principal"),
        (D("0.004"), D("0.06"), 12, "bullet"),  # rounds to 0.00
        (D("100"), D("-0.01"), 12, "interest_first"),
        (D("100"), D("0.06"), 0, "equal_installment"),
        (D("100"), D("0.06"), 12, "balloon"),
    ],
)
def test_invalid_loans_are_rejected(principal, rate, months, method):
    with pytest.raises(ValueError):
        build_schedule(principal, rate, months, method, JAN_31)


def test_tiny_annuity_never_repays_more_principal_than_is_left():
    # 0.06 over 12 months at 1 %: the payment rounds up to 0.01 a month, which would repay 0.12 of 0.06.
    schedule = build_schedule(D("0.06"), D("0.01"), 12, "equal_installment", JAN_31)
    assert sum(item.principal for item in schedule) == D("0.06")
    assert min(item.principal for item in schedule) == D("0.00")


@PROPERTY
@given(
    principal_fen=st.integers(min_value=1, max_value=10**10),
    rate_bp=st.integers(min_value=0, max_value=3600),  # 0 % to 36 % in basis points
    months=st.integers(min_value=1, max_value=480),
    method=st.sampled_from(METHODS),
)
def test_principal_parts_sum_exactly_to_the_principal_and_are_never_negative(
    principal_fen, rate_bp, months, method
):
    principal = from_fen(principal_fen)
    schedule = build_schedule(principal, D(rate_bp).scaleb(-4), months, method, JAN_31)
    assert sum(item.principal for item in schedule) == principal
    assert all(item.principal >= 0 and item.interest >= 0 for item in schedule)
    assert all(item.principal == item.principal.quantize(D("0.01")) for item in schedule)
    assert [item.number for item in schedule] == list(range(1, len(schedule) + 1))
    assert len(schedule) == (1 if method == "bullet" else months)


def test_installments_have_no_charges_unless_a_restructuring_gives_them_some():
    plain = Installment(1, JAN_31, D("100.00"), D("5.00"))
    assert (plain.charges, plain.total) == (D("0.00"), D("105.00"))
    assert Installment(1, JAN_31, D("100.00"), D("5.00"), D("2.50")).total == D("107.50")
    assert all(
        item.charges == 0 for item in build_schedule(D("1200"), D("0.06"), 12, "equal_installment", JAN_31)
    )


@pytest.mark.parametrize(
    ("after", "day", "expected"),
    [
        (date(2026, 3, 20), 10, date(2026, 4, 10)),
        (date(2026, 3, 9), 10, date(2026, 3, 10)),
        (date(2026, 3, 10), 10, date(2026, 4, 10)),  # strictly after
        (date(2026, 2, 27), 31, date(2026, 2, 28)),  # clamped to February's end
        (date(2026, 2, 28), 31, date(2026, 3, 31)),
        (date(2024, 2, 28), 30, date(2024, 2, 29)),  # leap year
        (date(2026, 12, 31), 1, date(2027, 1, 1)),
    ],
)
def test_first_due_after_is_the_next_date_on_that_day_of_the_month(after, day, expected):
    assert first_due_after(after, day) == expected


def test_month_index_counts_months_and_date_in_month_clamps():
    assert month_index(date(2027, 1, 5)) - month_index(date(2026, 11, 30)) == 2
    assert date_in_month(month_index(date(2026, 2, 1)), 31) == date(2026, 2, 28)
    with pytest.raises(ValueError):
        first_due_after(JAN_31, 32)


def test_monthly_interest_rounds_an_exact_half_fen_up():
    # 60.00 x 4.9 % / 12 = 0.245 -> 0.25, given as a fraction or a percentage.
    assert monthly_interest(D("60.00"), D("0.049")) == monthly_interest(D("60.00"), D("4.9")) == D("0.25")


@PROPERTY
@given(
    principal_fen=st.integers(min_value=100_00, max_value=10**9),
    rate_bp=st.one_of(st.just(0), st.integers(min_value=0, max_value=3600)),
    months=st.integers(min_value=2, max_value=360),
)
def test_an_equal_payment_schedule_has_every_payment_equal_but_the_last_at_any_rate_zero_included(
    principal_fen, rate_bp, months
):
    schedule = build_schedule(
        from_fen(principal_fen), D(rate_bp).scaleb(-4), months, "equal_installment", JAN_31
    )
    payments = {item.total for item in schedule[:-1]}
    assert len(payments) == 1, (sorted(payments)[:3], len(payments))
    assert schedule[-1].total > 0
    assert sum(item.principal for item in schedule) == from_fen(principal_fen)


@pytest.mark.parametrize(
    ("principal", "months", "regular", "last"),
    [
        (D("1000000"), 360, D("2777.78"), D("2776.98")),  # not 280 of 2,777.78 then 80 of 2,777.77
        (D("100"), 3, D("33.33"), D("33.34")),
        (D("1200"), 12, D("100.00"), D("100.00")),
        (D("0.06"), 12, D("0.00"), D("0.06")),  # a fen a month would overpay: all in the last one
    ],
)
def test_a_zero_rate_equal_payment_schedule_pays_one_figure_and_settles_the_fen_on_the_last(
    principal, months, regular, last
):
    schedule = build_schedule(principal, 0, months, "equal_installment", JAN_31)
    assert {item.total for item in schedule[:-1]} == {regular}
    assert schedule[-1].total == last
