"""Arrears: penalty and compound interest by hand, allocation, idempotency, DPD buckets and classes."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.arrears import (
    Allocation,
    ArrearsReport,
    Payment,
    PenaltyTerms,
    assess,
    bucket,
    classification,
)
from portal.domain.money import from_fen
from portal.domain.schedule import METHODS, Installment, build_schedule

pytestmark = pytest.mark.domain

PROPERTY = settings(max_examples=200, database=None, deadline=None)
D = Decimal
DUE = date(2026, 1, 10)
# 6 % a year with the default 50 % markup: d = 0.06 x 1.5 / 360 = 0.00025 a day, exactly.
SIX_PERCENT = PenaltyTerms(D("0.06"))


def one_installment(principal: str, interest: str = "0", due: date = DUE) -> list[Installment]:
    """A schedule of a single installment."""
    return [Installment(1, due, D(principal), D(interest))]


def parts(report: ArrearsReport) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """The four parts of the total to bring the loan current."""
    return report.overdue_principal, report.overdue_interest, report.penalty, report.compound


def overdue_states(report: ArrearsReport):
    """The overdue installments' states."""
    return [state for state in report.installments if state.status == "overdue"]


def allocation(reference: str, paid_on: date, number: int, *amounts: str) -> Allocation:
    """An expected allocation: penalty, compound, interest, principal."""
    return Allocation(reference, paid_on, number, *(D(amount) for amount in amounts))


@pytest.mark.parametrize(
    ("principal", "interest", "terms", "days", "penalty", "compound"),
    [
        # 1000 x 0.06 x 1.5 / 360 x 30 = 7.50; no interest, no compound.
        ("1000", "0", SIX_PERCENT, 30, "7.50", "0.00"),
        # compound: 50 x 0.00025 x 30 = 0.375 -> 0.38 (half-up).
        ("1000", "50", SIX_PERCENT, 30, "7.50", "0.38"),
        # one day: 1000 x 0.00025 = 0.25; 50 x 0.00025 = 0.0125 -> 0.01.
        ("1000", "50", SIX_PERCENT, 1, "0.25", "0.01"),
        # 6 given as a percentage, 30 % markup: d = 0.06 x 1.3 / 360; 1000 x 0.078 x 30 / 360 = 6.50;
        # 50 x 0.078 x 30 / 360 = 0.325 -> 0.33.
        ("1000", "50", PenaltyTerms(D("6"), penalty_markup=D("0.3")), 30, "6.50", "0.33"),
        # 4.9 %: 100000 x 0.049 x 1.5 / 360 = 7350 / 360 = 20.41666 -> 20.42;
        # 4083.33 x 0.0735 / 360 = 300.124755 / 360 = 0.83368 -> 0.83.
        ("100000", "4083.33", PenaltyTerms(D("0.049")), 1, "20.42", "0.83"),
        # compound interest switched off: only the penalty on principal.
        ("1000", "50", PenaltyTerms(D("0.06"), compound_interest=False), 30, "7.50", "0.00"),
        # 365 days on a 360-day basis: 1000 x 0.00025 x 365 = 91.25; 50 x 0.00025 x 365 = 4.5625 -> 4.56.
        ("1000", "50", SIX_PERCENT, 365, "91.25", "4.56"),
        # rate 0: no penalty at all.
        ("1000", "50", PenaltyTerms(D("0")), 30, "0.00", "0.00"),
    ],
)
def test_penalty_and_compound_accrue_daily_on_unpaid_principal_and_interest(
    principal, interest, terms, days, penalty, compound
):
    report = assess(one_installment(principal, interest), [], terms, DUE + timedelta(days=days))
    (state,) = report.installments
    assert (state.penalty, state.compound) == (D(penalty), D(compound))
    assert parts(report) == (D(principal), D(interest), D(penalty), D(compound))
    assert report.total_to_bring_current == D(principal) + D(interest) + D(penalty) + D(compound)
    assert (state.status, state.days_overdue, report.days_past_due) == ("overdue", days, days)


def test_daily_rate_is_rate_times_one_plus_markup_over_360():
    assert SIX_PERCENT.daily_rate == D("0.00025")
    assert PenaltyTerms(D("4.9"), D("0.3")).daily_rate * 360 == pytest.approx(D("0.0637"), abs=D("1e-40"))


def test_a_partial_payment_splits_the_accrual_into_segments():
    # Installment: 1000 principal + 50 interest due 10 Jan; 500 paid on 20 Jan; as of 9 Feb (30 days overdue).
    # 10-20 Jan, 10 days: penalty 1000 x 10 x 0.00025 = 2.50; compound 50 x 10 x 0.00025 = 0.125 -> 0.13.
    # The 500 pays 2.50 + 0.13 + 50.00 interest + 447.37 principal, leaving 552.63 principal and no interest.
    # 20 Jan - 9 Feb, 20 days: penalty 552.63 x 20 x 0.00025 = 2.76315; total 5.26315 -> 5.26,
    # of which 2.76 unpaid.
    # Compound stops when the interest is paid: still 0.125 -> 0.13, all paid.
    paid_on = date(2026, 1, 20)
    report = assess(
        one_installment("1000", "50"), [Payment("P1", paid_on, D("500"))], SIX_PERCENT, date(2026, 2, 9)
    )
    assert report.allocations == [allocation("P1", paid_on, 1, "2.50", "0.13", "50.00", "447.37")]
    (state,) = report.installments
    assert (state.penalty, state.penalty_paid, state.compound, state.compound_paid) == (
        D("5.26"),
        D("2.50"),
        D("0.13"),
        D("0.13"),
    )
    assert parts(report) == (D("552.63"), D("0.00"), D("2.76"), D("0.00"))
    assert report.total_to_bring_current == D("555.39")
    assert state.is_partly_paid
    assert report.days_past_due == 30


def test_penalty_is_summed_exactly_and_rounded_once_not_per_segment():
    # 100 principal due 10 Jan. 15 Jan: 100 x 5 x 0.00025 = 0.125 -> 0.13 accrued;
    # 50.13 pays 0.13 + 50.00 principal.
    # 25 Jan: 50 x 10 x 0.00025 = 0.125 more; exact total 0.25 -> 0.25, so 0.12 unpaid
    # (rounding each segment would give 0.13 + 0.13 = 0.26).
    payment = Payment("P1", date(2026, 1, 15), D("50.13"))
    report = assess(one_installment("100"), [payment], SIX_PERCENT, date(2026, 1, 25))
    (state,) = report.installments
    assert (state.penalty, state.penalty_paid, state.penalty_unpaid) == (D("0.25"), D("0.13"), D("0.12"))


def test_a_payment_before_the_due_date_lowers_the_base_from_the_due_date():
    # 400 of 1000 paid five days early; from the due date 600 accrues: 600 x 30 x 0.00025 = 4.50.
    report = assess(
        one_installment("1000"),
        [Payment("P1", date(2026, 1, 5), D("400"))],
        SIX_PERCENT,
        DUE + timedelta(days=30),
    )
    assert parts(report) == (D("600.00"), D("0.00"), D("4.50"), D("0.00"))


def test_payments_go_to_the_oldest_installment_first_and_to_penalty_compound_interest_principal():
    # #1 due 10 Jan, #2 due 10 Feb, each 1000 principal; 1100 paid on 12 Mar (2026 is not a leap year).
    # #1: 61 days: penalty 1000 x 61 x 0.00025 = 15.25; compound 50 x 61 x 0.00025 = 0.7625 -> 0.76;
    #     it takes 15.25 + 0.76 + 50.00 + 1000.00 = 1066.01, leaving 33.99.
    # #2: 30 days: penalty 1000 x 30 x 0.00025 = 7.50; compound 45 x 30 x 0.00025 = 0.3375 -> 0.34;
    #     33.99 pays 7.50 + 0.34 + 26.15 of the interest, leaving 18.85 interest and all the principal.
    schedule = [
        Installment(1, date(2026, 1, 10), D("1000.00"), D("50.00")),
        Installment(2, date(2026, 2, 10), D("1000.00"), D("45.00")),
    ]
    as_of = date(2026, 3, 12)
    report = assess(schedule, [Payment("P1", as_of, D("1100"))], SIX_PERCENT, as_of)
    assert report.allocations == [
        allocation("P1", as_of, 1, "15.25", "0.76", "50.00", "1000.00"),
        allocation("P1", as_of, 2, "7.50", "0.34", "26.15", "0.00"),
    ]
    first, second = report.installments
    assert (first.status, first.paid_off_on, first.days_overdue) == ("paid", as_of, 0)
    assert (second.status, second.days_overdue) == ("overdue", 30)
    assert parts(report) == (D("1000.00"), D("18.85"), D("0.00"), D("0.00"))
    assert report.total_to_bring_current == D("1018.85")
    # The oldest overdue installment is now #2, so the loan is 30 days past due, not 61.
    assert (report.days_past_due, report.bucket, report.classification) == (30, "M1", "special_mention")


def test_a_small_payment_covers_penalty_then_compound_then_interest_before_principal():
    # After 30 days: penalty 7.50, compound 0.38 (see the table above);
    # 10.00 leaves 2.12 for interest, none for principal.
    as_of = DUE + timedelta(days=30)
    report = assess(one_installment("1000", "50"), [Payment("P1", as_of, D("10"))], SIX_PERCENT, as_of)
    assert report.allocations == [allocation("P1", as_of, 1, "7.50", "0.38", "2.12", "0.00")]
    assert parts(report) == (D("1000.00"), D("47.88"), D("0.00"), D("0.00"))


def test_money_beyond_the_arrears_pays_ahead_and_beyond_everything_is_unapplied():
    # 1000 + 15 due 10 Jan, 1000 + 10 due 10 Feb, 1000 + 5 due 10 Mar.
    schedule = build_schedule(D("3000"), D("0.06"), 3, "equal_principal", DUE)
    as_of = DUE + timedelta(days=1)
    # 1 day late on #1: penalty 1000 x 0.00025 = 0.25, compound 15 x 0.00025 = 0.00375 -> 0.00.
    report = assess(schedule, [Payment("P1", as_of, D("3100"))], SIX_PERCENT, as_of)
    assert [a.total for a in report.allocations] == [D("1015.25"), D("1010.00"), D("1005.00")]
    assert report.unapplied == D("3100") - D("3030.25")
    assert [s.status for s in report.installments] == ["paid", "paid", "paid"]
    assert [s.paid_off_on for s in report.installments] == [as_of] * 3
    assert report.outstanding_principal == 0
    assert report.next_installment is None
    assert not report.in_arrears


def test_a_payment_repeated_with_the_same_reference_counts_once():
    payment = Payment("BANK-42", date(2026, 1, 20), D("500"))
    once = assess(one_installment("1000", "50"), [payment], SIX_PERCENT, date(2026, 2, 9))
    twice = assess(one_installment("1000", "50"), [payment, payment, payment], SIX_PERCENT, date(2026, 2, 9))
    assert twice == once
    assert len(twice.allocations) == 1


def test_a_reference_repeated_with_a_different_amount_is_an_error():
    payments = [
        Payment("BANK-42", date(2026, 1, 20), D("500")),
        Payment("BANK-42", date(2026, 1, 20), D("600")),
    ]
    with pytest.raises(ValueError):
        assess(one_installment("1000"), payments, SIX_PERCENT, date(2026, 2, 9))


def test_payments_after_the_report_date_are_ignored():
    as_of = date(2026, 2, 9)
    later = Payment("LATER", as_of + timedelta(days=1), D("2000"))
    assert assess(one_installment("1000", "50"), [later], SIX_PERCENT, as_of) == assess(
        one_installment("1000", "50"), [], SIX_PERCENT, as_of
    )


def test_payments_on_one_day_are_applied_in_reference_order():
    as_of = DUE + timedelta(days=30)  # penalty 7.50 and compound 0.38 outstanding
    payments = [Payment("B", as_of, D("5")), Payment("A", as_of, D("5"))]
    report = assess(one_installment("1000", "50"), payments, SIX_PERCENT, as_of)
    assert report.allocations == [
        allocation("A", as_of, 1, "5.00", "0.00", "0.00", "0.00"),
        allocation("B", as_of, 1, "2.50", "0.38", "2.12", "0.00"),
    ]


def test_installment_status_upcoming_due_today_overdue_and_paid():
    # 1000 + 20 due 10 Jan, 1000 + 15 due 10 Feb, 1000 + 10 due 10 Mar, 1000 + 5 due 10 Apr.
    schedule = build_schedule(D("4000"), D("0.06"), 4, "equal_principal", DUE)
    as_of = date(2026, 3, 10)
    report = assess(schedule, [Payment("P1", date(2026, 1, 10), D("1020"))], SIX_PERCENT, as_of)
    assert [s.status for s in report.installments] == ["paid", "overdue", "due_today", "upcoming"]
    assert [s.days_overdue for s in report.installments] == [0, 28, 0, 0]
    assert report.overdue_installments == [report.installments[1]]
    assert report.next_installment == report.installments[2]
    assert report.days_past_due == 28
    # Everything unpaid counts in the outstanding principal, overdue or not.
    assert report.outstanding_principal == D("3000.00")
    assert report.overdue_principal == D("1000.00")


@pytest.mark.parametrize(
    ("days", "expected_bucket", "expected_class"),
    [
        (0, "M0", "normal"),
        (1, "M1", "special_mention"),
        (30, "M1", "special_mention"),
        (31, "M2", "special_mention"),
        (60, "M2", "special_mention"),
        (61, "M3", "special_mention"),
        (90, "M3", "special_mention"),
        (91, "M4+", "substandard"),
        (270, "M4+", "substandard"),
        (271, "M4+", "doubtful"),
        (360, "M4+", "doubtful"),
        (361, "M4+", "loss"),
    ],
)
def test_bucket_and_classification_follow_days_past_due(days, expected_bucket, expected_class):
    assert (bucket(days), classification(days)) == (expected_bucket, expected_class)
    report = assess(one_installment("1000", "50"), [], SIX_PERCENT, DUE + timedelta(days=days))
    assert (report.days_past_due, report.bucket, report.classification) == (
        days,
        expected_bucket,
        expected_class,
    )
    assert report.in_arrears == (days > 0)


@pytest.mark.parametrize("function", [bucket, classification])
def test_negative_days_past_due_are_an_error(function):
    with pytest.raises(ValueError):
        function(-1)


def test_days_past_due_count_from_the_oldest_overdue_installment_in_a_schedule():
    schedule = build_schedule(D("12000"), D("0.06"), 12, "equal_installment", date(2026, 1, 31))
    # Nothing paid: as of 15 Apr the installments of 31 Jan, 28 Feb and 31 Mar are overdue;
    # 31 Jan is 74 days ago (28 + 31 + 15).
    report = assess(schedule, [], SIX_PERCENT, date(2026, 4, 15))
    assert [s.number for s in report.overdue_installments] == [1, 2, 3]
    assert (report.days_past_due, report.bucket, report.classification) == (74, "M3", "special_mention")
    assert report.total_to_bring_current == sum(parts(report), D(0))
    assert report.total_to_bring_current == sum((s.total_unpaid for s in report.overdue_installments), D(0))


def test_charges_are_owed_but_accrue_no_penalty():
    # 1000 principal + 50 interest + 30 charges (moved here by a restructuring), 30 days overdue:
    # penalty 1000 x 30 x 0.00025 = 7.50 and compound 50 x 30 x 0.00025 = 0.375 -> 0.38, as without charges.
    schedule = [Installment(1, DUE, D("1000"), D("50"), D("30"))]
    report = assess(schedule, [], SIX_PERCENT, DUE + timedelta(days=30))
    (state,) = report.installments
    assert (state.penalty, state.compound) == (D("7.50"), D("0.38"))
    assert (state.charges, state.charges_unpaid, state.total, state.total_unpaid) == (
        D("30"),
        D("30"),
        D("1080"),
        D("1087.88"),
    )
    assert report.overdue_charges == D("30")
    assert report.total_to_bring_current == D("1087.88")  # 1000 + 50 + 30 + 7.50 + 0.38


def test_a_payment_goes_to_charges_after_penalty_and_compound_and_before_interest():
    # 40.00 after 30 days: penalty 7.50, compound 0.38, charges 30.00, and 2.12 of the interest.
    as_of = DUE + timedelta(days=30)
    schedule = [Installment(1, DUE, D("1000"), D("50"), D("30"))]
    report = assess(schedule, [Payment("P1", as_of, D("40"))], SIX_PERCENT, as_of)
    assert report.allocations == [
        Allocation(
            "P1",
            as_of,
            1,
            penalty=D("7.50"),
            compound=D("0.38"),
            interest=D("2.12"),
            principal=D("0.00"),
            charges=D("30.00"),
        )
    ]
    assert report.allocations[0].total == D("40.00")
    (state,) = report.installments
    assert (state.charges_paid, state.charges_unpaid) == (D("30.00"), D("0.00"))
    assert state.is_partly_paid
    assert (report.overdue_charges, report.overdue_interest) == (D("0.00"), D("47.88"))


def test_an_installment_with_only_charges_is_paid_off_by_paying_them():
    schedule = [Installment(1, DUE, D("0"), D("0"), D("12.34"))]
    report = assess(schedule, [Payment("P1", DUE, D("12.34"))], SIX_PERCENT, DUE + timedelta(days=5))
    assert report.installments[0].status == "paid"
    assert report.total_to_bring_current == 0


def test_terms_reject_a_negative_rate_or_markup():
    with pytest.raises(ValueError):
        PenaltyTerms(D("-0.01"))
    with pytest.raises(ValueError):
        PenaltyTerms(D("0.06"), penalty_markup=D("-0.1"))


@st.composite
def loans(draw):
    """A random schedule, terms, report date and payments (some repeated, some after the report date)."""
    first_due = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
    schedule = build_schedule(
        from_fen(draw(st.integers(1, 10**8))),
        D(draw(st.integers(0, 3600))).scaleb(-4),
        draw(st.integers(1, 24)),
        draw(st.sampled_from(METHODS)),
        first_due,
    )
    # Some installments carry charges, as after a restructuring.
    schedule = [
        replace(item, charges=from_fen(draw(st.integers(0, 10**6)))) if draw(st.booleans()) else item
        for item in schedule
    ]
    terms = PenaltyTerms(
        D(draw(st.integers(0, 3600))).scaleb(-4),
        penalty_markup=D(draw(st.integers(0, 50))).scaleb(-2),
        compound_interest=draw(st.booleans()),
    )
    as_of = first_due + timedelta(days=draw(st.integers(-30, 900)))
    unique = [
        Payment(f"P{i}", first_due + timedelta(days=offset), from_fen(fen))
        for i, (offset, fen) in enumerate(
            draw(st.lists(st.tuples(st.integers(-60, 900), st.integers(0, 10**8)), max_size=8))
        )
    ]
    repeats = draw(st.lists(st.sampled_from(unique), max_size=3)) if unique else []
    payments = draw(st.permutations(unique + repeats))
    return schedule, payments, terms, as_of


@PROPERTY
@given(loans())
def test_allocations_and_unapplied_add_up_to_the_payments_exactly(loan):
    schedule, payments, terms, as_of = loan
    report = assess(schedule, payments, terms, as_of)
    received = sum(
        (p.amount for p in {p.reference: p for p in payments}.values() if p.paid_on <= as_of), D(0)
    )
    assert sum((a.total for a in report.allocations), D(0)) + report.unapplied == received
    assert report.unapplied >= 0
    if report.unapplied:
        assert all(s.status == "paid" for s in report.installments)
    for state in report.installments:
        applied = [a for a in report.allocations if a.installment == state.number]
        assert sum((a.principal for a in applied), D(0)) == state.principal_paid
        assert sum((a.interest for a in applied), D(0)) == state.interest_paid
        assert sum((a.penalty for a in applied), D(0)) == state.penalty_paid
        assert sum((a.compound for a in applied), D(0)) == state.compound_paid
        assert sum((a.charges for a in applied), D(0)) == state.charges_paid
        unpaid = (
            state.principal_unpaid,
            state.interest_unpaid,
            state.charges_unpaid,
            state.penalty_unpaid,
            state.compound_unpaid,
        )
        assert all(amount >= 0 for amount in unpaid)
        if not terms.compound_interest:
            assert state.compound == 0
    assert report.total_to_bring_current == sum(parts(report), D(0)) + report.overdue_charges
    assert report.overdue_charges == sum((s.charges_unpaid for s in overdue_states(report)), D(0))
    assert report.outstanding_principal == sum((s.principal_unpaid for s in report.installments), D(0))
    overdue = report.overdue_installments
    assert report.days_past_due == (max(s.days_overdue for s in overdue) if overdue else 0)


def test_a_waiver_forgoes_penalty_and_compound_and_nothing_else():
    # 1,000 principal + 50 interest overdue 30 days at 6 % with a 50 % markup: penalty 1000 x 0.09 / 360 x 30
    # = 7.50; compound 50 x 0.09 / 360 x 30 = 0.375 -> 0.38.
    from portal.domain.arrears import waivable, waive

    schedule = [Installment(1, date(2026, 10, 30), Decimal("1000.00"), Decimal("50.00"))]
    terms = PenaltyTerms(annual_rate=Decimal("0.06"))
    report = assess(schedule, [], terms, date(2026, 11, 29))
    assert waivable(report) == {"penalty": Decimal("7.50"), "compound": Decimal("0.38")}
    both = waive(report, penalty=True, compound=True)
    assert (both.penalty, both.compound) == (Decimal("0.00"), Decimal("0.00"))
    assert both.total_to_bring_current == Decimal("1050.00")
    assert both.days_past_due == report.days_past_due == 30
    only_penalty = waive(report, penalty=True)
    assert only_penalty.total_to_bring_current == Decimal("1050.38")
    assert waive(report) is report
