"""Payments: recording is idempotent by external reference, and the loan page shows how a payment was applied."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import i18n
from portal.loans import services
from portal.loans.models import Payment
from portal.loans.positions import loan_position
from tests.helpers.common import BUSINESS_DATE, sign_in
from tests.helpers.loans import database, first_loan


def test_the_same_reference_twice_makes_one_payment(demo):
    with database(demo) as session:
        loan = first_loan(session, "13800000001")
        before = session.scalar(select(func.count()).select_from(Payment))
        total_before = loan_position(session, loan, BUSINESS_DATE).report.total_to_bring_current

        first, created = services.record_payment(
            session, loan, reference="BANK-TEST-0001", amount=Decimal("1000.00"), paid_on=BUSINESS_DATE
        )
        again, created_again = services.record_payment(
            session, loan, reference="BANK-TEST-0001", amount=Decimal("1000.00"), paid_on=BUSINESS_DATE
        )
        session.commit()

        assert created is True
        assert created_again is False
        assert again.id == first.id
        assert session.scalar(select(func.count()).select_from(Payment)) == before + 1
        total_after = loan_position(session, loan, BUSINESS_DATE).report.total_to_bring_current
        assert total_after == total_before - Decimal("1000.00")


def test_a_repeat_in_a_later_transaction_is_still_one_payment(demo):
    with database(demo) as session:
        loan = first_loan(session, "13800000001")
        services.record_payment(
            session, loan, reference="BANK-TEST-0002", amount=Decimal("10"), paid_on=BUSINESS_DATE
        )
        session.commit()
    with database(demo) as session:
        loan = first_loan(session, "13800000001")
        payment, created = services.record_payment(
            session, loan, reference="BANK-TEST-0002", amount=Decimal("10"), paid_on=BUSINESS_DATE
        )
        session.commit()
        assert created is False
        assert session.scalar(select(func.count()).where(Payment.reference == "BANK-TEST-0002")) == 1


def test_a_reference_already_used_for_another_loan_is_refused(demo):
    with database(demo) as session:
        mine = first_loan(session, "13800000001")
        theirs = first_loan(session, "13800000002")
        services.record_payment(
            session, mine, reference="BANK-TEST-0003", amount=Decimal("5"), paid_on=BUSINESS_DATE
        )

        with pytest.raises(services.ServiceError) as refused:
            services.record_payment(
                session, theirs, reference="BANK-TEST-0003", amount=Decimal("5"), paid_on=BUSINESS_DATE
            )

        assert refused.value.code == "reference_used_for_other_loan"


@pytest.mark.parametrize("amount", ["0", "-1.00"])
def test_a_payment_must_be_positive(demo, amount):
    with database(demo) as session:
        loan = first_loan(session, "13800000001")
        with pytest.raises(services.ServiceError):
            services.record_payment(
                session, loan, reference="BANK-TEST-0004", amount=Decimal(amount), paid_on=BUSINESS_DATE
            )


def test_the_loan_page_shows_how_a_payment_was_applied(demo, client):
    with database(demo) as session:
        loan = first_loan(session, "13800000001")
        number = loan.number
        services.record_payment(
            session, loan, reference="BANK-TEST-0005", amount=Decimal("1500.00"), paid_on=BUSINESS_DATE
        )
        session.commit()
    with demo.test_request_context():  # the borrower's language, zh_Hans, as the page will use
        from portal import db

        loan = first_loan(db.session, "13800000001")
        report = loan_position(db.session, loan, BUSINESS_DATE).report
        allocations = [a for a in report.allocations if a.reference == "BANK-TEST-0005"]
        expected = [(a.installment, i18n.money(a.total)) for a in allocations]
        paid = i18n.money(Decimal("1500.00"))
    assert allocations and sum(a.total for a in allocations) == Decimal("1500.00")
    assert allocations[0].penalty > 0  # an overdue installment: penalty interest is paid first

    sign_in(client, "13800000001")
    html = client.get(f"/loans/{number}").get_data(as_text=True)

    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if "BANK-TEST-0005" in row]
    assert len(rows) == 1
    row = rows[0]
    assert paid in row
    for installment, amount in expected:
        assert re.search(rf"(?<!\d){installment}(?!\d)[^<]*{re.escape(amount)}", row), (
            installment,
            amount,
            row,
        )
