"""The borrower's own proposal: the monthly amount is money, positive and bounded; staff answer it with a
counter-offer; its fit is judged on the policy's share of disposable income."""

from decimal import Decimal

import pytest

from portal.domain.proposal import PROPOSAL, approvable_as_asked, assess, check_monthly

pytestmark = pytest.mark.domain

D = Decimal
OWED = D("12000.00")


@pytest.mark.parametrize(
    ("typed", "amount", "error"),
    [
        ("800", D("800.00"), None),
        ("800.5", D("800.50"), None),
        (" 0.01 ", D("0.01"), None),
        ("12000.00", D("12000.00"), None),
        (D("300"), D("300.00"), None),
        ("", None, "monthly_required"),
        ("   ", None, "monthly_required"),
        (None, None, "monthly_required"),
        ("abc", None, "monthly_invalid"),
        ("NaN", None, "monthly_invalid"),
        ("Infinity", None, "monthly_invalid"),
        ("1.005", None, "monthly_invalid"),
        ("0", None, "monthly_not_positive"),
        ("0.00", None, "monthly_not_positive"),
        ("-5", None, "monthly_not_positive"),
        ("12000.01", None, "monthly_too_large"),
        ("1e9", None, "monthly_too_large"),
    ],
)
def test_proposed_monthly_amount_is_positive_money_no_more_than_what_is_owed(typed, amount, error):
    assert check_monthly(typed, OWED) == (amount, error)


@pytest.mark.parametrize(
    ("monthly", "disposable", "fits", "limit"),
    [
        (D("500.00"), D("1000.00"), True, D("500.00")),
        (D("500.01"), D("1000.00"), False, D("500.00")),
        (D("1.00"), D("-200.00"), False, D("0.00")),
        (D("500.00"), None, None, None),
    ],
)
def test_proposal_fits_when_at_most_the_policy_share_of_disposable_income(monthly, disposable, fits, limit):
    proposal = assess(
        monthly,
        disposable=disposable,
        share=D("0.5"),
        regular_payment=D("900.00"),
        arrears=D("2000.00"),
        owed=OWED,
    )
    assert (proposal.fits, proposal.affordable_limit, proposal.monthly) == (fits, limit, monthly)


def test_only_a_proposal_must_be_answered_with_a_counter_offer():
    assert not approvable_as_asked(PROPOSAL)
    for kind in ("installment_plan", "extension", "seasonal", "grace", None):
        assert approvable_as_asked(kind)
