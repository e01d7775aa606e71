"""Money rules: half-up rounding to the fen, fen conversion, and exact equal splits."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.money import CENT, from_fen, round_money, split, to_fen

# No example database: the tests must leave nothing behind in the working tree.
pytestmark = pytest.mark.domain

PROPERTY = settings(max_examples=300, database=None, deadline=None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("2.675", "2.68"),  # a float would hold 2.67499... and round down; Decimal keeps the half
        ("2.665", "2.67"),  # half-even would give 2.66
        ("1.0049999", "1.00"),
        ("-0.005", "-0.01"),
        ("-2.675", "-2.68"),
        ("-0.004", "0.00"),
        ("12345678.905", "12345678.91"),
        ("7", "7.00"),
    ],
)
def test_round_money_rounds_half_up_away_from_zero(value, expected):
    result = round_money(Decimal(value))
    assert result == Decimal(expected)
    assert str(result) == expected  # exactly two places, and no "-0.00"


def test_round_money_accepts_an_int():
    assert str(round_money(5)) == "5.00"


def test_round_money_refuses_a_float():
    with pytest.raises(TypeError):
        round_money(2.675)


def test_cent_is_one_fen():
    assert CENT == Decimal("0.01")


@pytest.mark.parametrize(
    ("amount", "fen"),
    [("0.00", 0), ("0.01", 1), ("0.005", 1), ("0.004", 0), ("1234.56", 123456), ("-3.335", -334), ("5", 500)],
)
def test_to_fen_rounds_half_up_then_counts_fen(amount, fen):
    assert to_fen(Decimal(amount)) == fen


@pytest.mark.parametrize(
    ("fen", "text"), [(0, "0.00"), (1, "0.01"), (100, "1.00"), (123456, "1234.56"), (-5, "-0.05")]
)
def test_from_fen_has_exactly_two_places(fen, text):
    assert str(from_fen(fen)) == text


@PROPERTY
@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_fen_round_trip_is_lossless(fen):
    assert to_fen(from_fen(fen)) == fen


@pytest.mark.parametrize(
    ("total", "n", "expected"),
    [
        ("100.00", 3, ["33.33", "33.33", "33.34"]),
        ("0.01", 3, ["0.00", "0.00", "0.01"]),
        ("0", 3, ["0.00", "0.00", "0.00"]),
        (
            "0.02",
            3,
            ["0.01", "0.01", "0.00"],
        ),  # base rounds up to 0.01; the fen too many come off the last part
        ("10", 1, ["10.00"]),
        ("100.005", 2, ["50.01", "50.00"]),  # the total is rounded to 100.01 first; 50.005 rounds up
    ],
)
def test_split_settles_leftover_fen_on_the_last_parts(total, n, expected):
    assert split(Decimal(total), n) == [Decimal(part) for part in expected]


def test_split_of_a_million_in_360_parts_matches_the_reference_schedule():
    # 1,000,000 / 360 = 2777.777... -> 2777.78; 360 x 2777.78 = 1,000,000.80, 80 fen too many,
    # so the last 80 parts are one fen smaller.
    parts = split(Decimal("1000000"), 360)
    assert parts[:280] == [Decimal("2777.78")] * 280
    assert parts[280:] == [Decimal("2777.77")] * 80
    assert sum(parts) == Decimal("1000000")


@pytest.mark.parametrize("n", [0, -1])
def test_split_into_fewer_than_one_part_is_an_error(n):
    with pytest.raises(ValueError):
        split(Decimal("10"), n)


@PROPERTY
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=400))
def test_split_parts_sum_exactly_and_differ_by_at_most_one_fen(total_fen, n):
    total = from_fen(total_fen)
    parts = split(total, n)
    assert len(parts) == n
    assert sum(parts) == total
    assert max(parts) - min(parts) <= CENT
    assert all(part == round_money(part) for part in parts)
    # Leftover fen go to the last parts: the parts never step back and forth.
    assert parts == sorted(parts) or parts == sorted(parts, reverse=True)
