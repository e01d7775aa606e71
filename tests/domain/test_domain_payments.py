"""A plan's payments as a person reads them (portal/domain/payments.py), and affordability judged on every payment
that falls due: by hand, and as properties over random loans, plans and pay days."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_domain_options import POLICY, facts_for, random_facts, random_terms

from portal.domain.money import from_fen
from portal.domain.options import OPTION_KINDS, Terms, quote
from portal.domain.payments import EQUAL_WITHIN, describe, judge, largest_near
from portal.domain.schedule import Installment, add_months, build_schedule, month_index

pytestmark = pytest.mark.domain

PROPERTY = settings(max_examples=150, database=None, deadline=None)
D = Decimal


def line(number, day, principal="0.00", interest="0.00", charges="0.00"):
    return Installment(number, day, D(principal), D(interest), D(charges))


def monthly(first: date, amounts: list[str], interest_only: bool = False) -> list[Installment]:
    """Lines on the same day of consecutive months, all principal (or all interest)."""
    return [
        line(k + 1, add_months(first, k), *(("0.00", a) if interest_only else (a,)))
        for k, a in enumerate(amounts)
    ]


# --- telling the payments ---------------------------------------------------------------------------------


def test_equal_payments_are_one_run_and_a_different_last_payment_is_its_own():
    story = describe(monthly(date(2027, 1, 10), ["100.00"] * 11 + ["99.90"]))
    assert [(r.kind, r.count, r.first, r.last, r.low, r.high) for r in story.runs] == [
        ("regular", 11, date(2027, 1, 10), date(2027, 11, 10), D("100.00"), D("100.00")),
        ("regular", 1, date(2027, 12, 10), date(2027, 12, 10), D("99.90"), D("99.90")),
    ]
    assert (story.next.due_date, story.next.amount) == (date(2027, 1, 10), D("100.00"))


def test_a_higher_first_stretch_is_never_hidden_behind_the_later_payment():
    # Extension for 13800000001: six payments carry the spread arrears, then the plain installment.
    story = describe(monthly(date(2026, 12, 10), ["1893.79"] * 6 + ["1779.76"] * 20 + ["1779.82"]))
    runs = [(r.count, r.low, r.high, r.first) for r in story.runs]
    assert runs == [
        (6, D("1893.79"), D("1893.79"), date(2026, 12, 10)),
        (20, D("1779.76"), D("1779.76"), date(2027, 6, 10)),
        (1, D("1779.82"), D("1779.82"), date(2029, 2, 10)),
    ]
    assert story.next.amount == D("1893.79") == story.largest.amount


def test_payments_a_few_fen_apart_are_one_run_showing_both_ends():
    story = describe(monthly(date(2027, 1, 10), ["3190.73", "3190.72", "3190.74", "2730.09"]))
    assert [(r.count, r.low, r.high) for r in story.runs] == [
        (3, D("3190.72"), D("3190.74")),
        (1, D("2730.09"), D("2730.09")),
    ]
    assert EQUAL_WITHIN == D("0.05")


def test_grace_months_are_interest_only_then_the_payments_resume():
    # Disaster grace for 13800000002: three months of interest, then the installments.
    lines = monthly(date(2026, 12, 10), ["197.34"] * 3, interest_only=True) + [
        line(4 + k, add_months(date(2027, 3, 10), k), "1800.00", "226.86") for k in range(5)
    ]
    story = describe(lines)
    assert [(r.kind, r.count, r.high) for r in story.runs] == [
        ("interest_only", 3, D("197.34")),
        ("regular", 5, D("2026.86")),
    ]
    assert story.largest.amount == D("2026.86")


def test_falling_payments_are_one_changing_run_with_both_ends():
    schedule = build_schedule(D("12000"), D("0.06"), 12, "equal_principal", date(2026, 1, 10))
    story = describe(schedule)
    (run,) = story.runs
    assert (run.equal, run.falling, run.high, run.low, run.count) == (
        False,
        True,
        D("1060.00"),
        D("1005.00"),
        12,
    )


def test_the_final_repayment_of_principal_of_an_interest_first_loan_is_named():
    schedule = build_schedule(D("200000"), D("0.06"), 6, "interest_first", date(2026, 12, 1))
    story = describe(schedule, balloon=True)
    assert [(r.kind, r.count, r.high) for r in story.runs] == [
        ("interest_only", 5, D("1000.00")),
        ("balloon", 1, D("201000.00")),
    ]
    assert story.balloon == story.largest
    assert story.balloon.due_date == date(2027, 5, 1)
    # Without the flag the same payment is just the last one, still shown.
    assert describe(schedule).runs[-1].kind == "regular"


def test_the_upfront_payment_is_told_apart_from_the_first_line():
    lines = [line(1, date(2026, 11, 29), "500.00", "0.00", "100.00")] + monthly(
        date(2026, 12, 10), ["300.00"] * 3
    )
    story = describe(lines, upfront=D("600.00"))
    assert (story.upfront.amount, story.upfront.due_date) == (D("600.00"), date(2026, 11, 29))
    assert [due.amount for due in story.payments] == [D("300.00")] * 3
    # An upfront payment merged with an installment due the same day leaves the installment in the payments.
    merged = [line(1, date(2026, 11, 29), "700.00")] + monthly(date(2026, 12, 29), ["300.00"])
    story = describe(merged, upfront=D("400.00"))
    assert [due.amount for due in story.payments] == [D("300.00"), D("300.00")]


def test_harvest_payments_are_listed_first_for_a_seasonal_plan():
    lines = [
        line(1, date(2026, 12, 10), "0.00", "60.00"),
        line(2, date(2027, 1, 10), "6000.00", "60.00", "97.97"),
        line(3, date(2027, 2, 10), "0.00", "30.00"),
        line(4, date(2027, 7, 10), "6000.00", "30.00", "97.97"),
    ]
    story = describe(lines, income_months=(1, 7))
    assert [(r.kind, r.count) for r in story.runs] == [("harvest", 2), ("interest_only", 2)]
    assert story.runs[0].high == D("6157.97")


# --- affordability on what falls due ----------------------------------------------------------------------


AS_OF = date(2026, 11, 29)


def test_a_plan_fits_only_when_every_payment_does():
    story = describe(monthly(date(2026, 12, 10), ["500.00"] * 6 + ["700.00"] * 6))
    assert judge(story, D("700.00"), AS_OF).fits
    verdict = judge(story, D("699.99"), AS_OF)
    assert not verdict.fits
    assert (verdict.payment.due_date, verdict.payment.amount) == (date(2027, 6, 10), D("700.00"))


def test_a_balloon_beyond_the_first_year_still_has_to_fit():
    schedule = build_schedule(D("200000"), D("0.06"), 24, "interest_first", date(2026, 12, 1))
    story = describe(schedule, balloon=True)
    verdict = judge(story, D("5000.00"), AS_OF)
    assert not verdict.fits
    assert verdict.payment == story.balloon
    assert verdict.payment.amount == D("201000.00")


def test_two_payments_in_one_month_of_the_first_year_are_added_up():
    lines = [line(1, date(2026, 12, 10), "400.00"), line(2, date(2026, 12, 15), "400.00")]
    verdict = judge(describe(lines), D("799.99"), AS_OF)
    assert (verdict.fits, verdict.month_total, verdict.two_in_month) == (False, D("800.00"), True)
    assert judge(describe(lines), D("800.00"), AS_OF).fits
    assert largest_near(describe(lines), AS_OF) == D("800.00")


def test_after_the_first_year_each_payment_is_judged_on_its_own():
    later = add_months(AS_OF, 13)
    lines = [line(1, later, "400.00"), line(2, later + timedelta(days=5), "400.00")]
    assert judge(describe(lines), D("400.00"), AS_OF).fits


def test_the_upfront_payment_is_not_judged_against_the_monthly_amount():
    lines = [line(1, AS_OF, "5000.00")] + monthly(date(2026, 12, 10), ["300.00"] * 3)
    assert judge(describe(lines, upfront=D("5000.00")), D("300.00"), AS_OF).fits


def test_quote_for_an_interest_first_loan_names_the_balloon_that_does_not_fit():
    schedule = tuple(build_schedule(D("200000"), D("0.06"), 12, "interest_first", date(2026, 6, 1)))
    facts = facts_for(
        schedule, as_of=date(2026, 9, 20), method="interest_first", variant="urban", term_months=12
    )
    q = quote("installment_plan", facts, POLICY, Terms(months=6, pay_day=1), D("4000"))
    assert q.available and q.fits is False
    assert q.verdict.payment.kind == "balloon"
    assert q.verdict.payment.amount == max(item.total for item in q.schedule)
    # The old single figure was the interest month, which fits: the rule it replaced said "fits".
    assert q.regular_payment <= q.affordable_limit


# --- properties over random loans, plans and pay days -----------------------------------------------------


@st.composite
def random_quote(draw):
    facts = draw(random_facts())
    kind = draw(st.sampled_from(OPTION_KINDS))
    terms = draw(random_terms(kind, facts))
    disposable = from_fen(draw(st.integers(0, 2 * 10**6)))
    q = quote(kind, facts, POLICY, terms, disposable)
    assume(q.available)
    return facts, q


@PROPERTY
@given(random_quote())
def test_the_story_tells_exactly_the_schedules_payments(drawn):
    facts, q = drawn
    story = q.payments
    upfront = story.upfront.amount if story.upfront else D("0.00")
    # Nothing added or lost: the up-front payment and the payments are the schedule's lines.
    assert upfront + sum(due.amount for due in story.payments) == sum(item.total for item in q.schedule)
    if story.upfront is None:
        assert [(d.due_date, d.amount) for d in story.payments] == [
            (item.due_date, item.total) for item in q.schedule
        ]
    # Every payment is in exactly one run, and each run shows amounts that are payments of it.
    told = sorted((due for run in story.runs for due in run.payments), key=lambda due: due.due_date)
    assert told == sorted(story.payments, key=lambda due: due.due_date)
    for run in story.runs:
        assert run.high in {due.amount for due in run.payments}
        assert run.low in {due.amount for due in run.payments}
        if run.equal:
            assert run.high - run.low <= EQUAL_WITHIN
    # The next payment is the first and the largest is the largest: nothing bigger is hidden.
    if story.payments:
        assert story.next == story.payments[0]
        assert story.largest.amount == max(due.amount for due in story.payments)
        assert story.largest.amount == max(run.high for run in story.runs)


@PROPERTY
@given(random_quote())
def test_fits_holds_only_when_every_payment_in_the_first_year_fits(drawn):
    facts, q = drawn
    limit = q.affordable_limit
    horizon = add_months(facts.as_of, 12)
    months: dict[int, Decimal] = {}
    for due in q.payments.payments:
        if due.due_date <= horizon:
            months[month_index(due.due_date)] = months.get(month_index(due.due_date), D(0)) + due.amount
    every_month_fits = all(total <= limit for total in months.values())
    every_later_fits = all(due.amount <= limit for due in q.payments.payments if due.due_date > horizon)
    assert q.fits == (every_month_fits and every_later_fits)
    if not q.fits:
        # The quote says which payment does not fit, and when; it is one of the schedule's own.
        assert q.verdict.payment in q.payments.payments
        assert q.verdict.month_total > limit
    # The final repayment of principal is never called affordable when it is not.
    if q.payments.balloon is not None and q.payments.balloon.amount > limit:
        assert q.fits is False
