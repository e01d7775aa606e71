"""What to pay now: the overdue amount and the next installment, both owed, from the arrears report."""

from datetime import date
from decimal import Decimal

import pytest

from portal.domain.arrears import Payment, PenaltyTerms, assess
from portal.domain.paynow import pay_now
from portal.domain.schedule import Installment

pytestmark = pytest.mark.domain

D = Decimal
TERMS = PenaltyTerms(D("0.06"))
SCHEDULE = [
    Installment(1, date(2026, 1, 10), D("900.00"), D("100.00")),
    Installment(2, date(2026, 2, 10), D("905.00"), D("95.00")),
    Installment(3, date(2026, 3, 10), D("910.00"), D("90.00"), D("40.00")),
]


@pytest.mark.parametrize(
    ("as_of", "payments", "overdue", "next_amount", "next_date", "both"),
    [
        # Before anything falls due: nothing overdue, the first installment next.
        (date(2026, 1, 1), [], D("0.00"), D("1000.00"), date(2026, 1, 10), False),
        # On its due date an installment is the next one, not overdue.
        (date(2026, 1, 10), [], D("0.00"), D("1000.00"), date(2026, 1, 10), False),
        # A day late: the first is overdue with a day's penalty (900 x 0.00025 = 0.225 -> 0.23, 100 x -> 0.03),
        # and the second is next: both owed.
        (date(2026, 1, 11), [], D("1000.26"), D("1000.00"), date(2026, 2, 10), True),
        # A part payment of the next installment counts: what is left of it is next.
        (
            date(2026, 2, 1),
            [Payment("a", date(2026, 1, 10), D("1000.00")), Payment("b", date(2026, 1, 20), D("400.00"))],
            D("0.00"),
            D("600.00"),
            date(2026, 2, 10),
            False,
        ),
        # Carried-over charges are part of the installment that carries them.
        (
            date(2026, 2, 11),
            [Payment("a", date(2026, 1, 10), D("1000.00")), Payment("b", date(2026, 2, 10), D("1000.00"))],
            D("0.00"),
            D("1040.00"),
            date(2026, 3, 10),
            False,
        ),
        # Past the last due date: only the overdue amount is left.
        (
            date(2026, 3, 11),
            [Payment("a", date(2026, 1, 10), D("1000.00")), Payment("b", date(2026, 2, 10), D("1000.00"))],
            D("1040.25"),  # 910 x 0.00025 -> 0.23 penalty, 90 x 0.00025 -> 0.02 compound
            None,
            None,
            False,
        ),
    ],
)
def test_what_to_pay_now_is_the_overdue_amount_and_the_next_installment(
    as_of, payments, overdue, next_amount, next_date, both
):
    report = assess(SCHEDULE, payments, TERMS, as_of)
    now = pay_now(report)
    assert (now.overdue, now.next_amount, now.next_date, now.both_owed) == (
        overdue,
        next_amount,
        next_date,
        both,
    )
    assert now.overdue == report.total_to_bring_current
    assert now.total == overdue + (next_amount or 0)


def test_a_loan_paid_in_full_owes_nothing_now():
    paid = [Payment(str(i.number), i.due_date, i.total) for i in SCHEDULE]
    now = pay_now(assess(SCHEDULE, paid, TERMS, date(2026, 4, 1)))
    assert now.nothing_owed and now.total == 0 and now.next_date is None
