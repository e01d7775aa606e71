"""The kept loan page (portal/web/page_cache.py, as the dashboard): a repeat view reads only the session check, a
payment shows on the very next view, and a kept page is never another borrower's."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from portal import db, i18n
from portal.loans import services
from portal.loans.models import Loan
from portal.loans.positions import loan_position
from portal.people.models import Borrower
from tests.helpers.common import BUSINESS_DATE, sign_in, statements_of_get

OVERDUE = "13800000001"  # one overdue loan, no application
TOTAL_RE = re.compile(r'data-testid="total-to-bring-current">([^<]*)<')
PAYMENTS_RE = re.compile(r'<table class="responsive" data-testid="payments">.*?</table>', re.S)


def _loan(app, phone: str = OVERDUE) -> tuple[str, str]:
    """(loan number, the total to bring it current as the page should show it now, computed afresh)."""
    with app.test_request_context():
        loan = db.session.scalars(select(Loan).join(Borrower).where(Borrower.phone == phone)).one()
        total = loan_position(db.session, loan, BUSINESS_DATE).report.total_to_bring_current
        return loan.number, i18n.money(total)


def _signed_in(app, phone: str = OVERDUE):
    client = app.test_client()
    assert sign_in(client, phone).status_code == 302
    return client


def test_a_repeat_view_of_the_loan_page_reads_only_the_session_check(demo):
    number, total = _loan(demo)
    client = _signed_in(demo)

    first, page = statements_of_get(demo, client, f"/loans/{number}")
    again, kept = statements_of_get(demo, client, f"/loans/{number}")

    assert first >= 4  # the loan, its ledger, its schedules and its applications
    assert again == 1  # the borrower row: session version and view version
    assert TOTAL_RE.findall(kept) == TOTAL_RE.findall(page) == [total]


def test_a_payment_shows_on_the_loan_page_at_the_very_next_view(demo):
    number, before = _loan(demo)
    client = _signed_in(demo)
    client.get(f"/loans/{number}")
    assert "KEPT-LOAN-PAY" not in client.get(f"/loans/{number}").get_data(as_text=True)  # kept
    with demo.app_context():
        loan = db.session.scalar(select(Loan).where(Loan.number == number))
        services.record_payment(
            db.session, loan, reference="KEPT-LOAN-PAY", amount=Decimal("100.00"), paid_on=BUSINESS_DATE
        )
        db.session.commit()

    page = client.get(f"/loans/{number}").get_data(as_text=True)

    assert TOTAL_RE.findall(page) == [_loan(demo)[1]] != [before]
    assert "KEPT-LOAN-PAY" in PAYMENTS_RE.search(page).group(0)


def test_a_kept_loan_page_is_never_shown_to_another_borrower(demo):
    number, _total = _loan(demo)
    owner = _signed_in(demo)
    owner.get(f"/loans/{number}")
    assert owner.get(f"/loans/{number}").status_code == 200  # kept now
    with demo.app_context():
        other = db.session.scalar(
            select(Borrower.phone).join(Loan).where(Borrower.phone != OVERDUE).order_by(Borrower.phone)
        )

    assert _signed_in(demo, other).get(f"/loans/{number}").status_code == 404


def test_the_loan_page_lists_the_latest_12_payments_and_sums_up_the_older_ones(demo):
    number, _total = _loan(demo)
    with demo.test_request_context():  # money() formats for a request's language
        loan = db.session.scalar(select(Loan).where(Loan.number == number))
        for n in range(12):
            services.record_payment(
                db.session, loan, reference=f"MANY-{n:02d}", amount=Decimal("10.00"), paid_on=BUSINESS_DATE
            )
        db.session.commit()
        payments = loan_position(db.session, loan, BUSINESS_DATE).all_payments
        newest_first = payments[::-1]
        older_sum = i18n.money(sum((p.amount for p in newest_first[12:]), Decimal(0)))
    assert len(payments) > 12

    page = _signed_in(demo).get(f"/loans/{number}").get_data(as_text=True)

    listed = re.findall(r'<td data-label="[^"]*">([A-Z][A-Z0-9-]+)</td>', PAYMENTS_RE.search(page).group(0))
    assert listed == [p.reference for p in newest_first[:12]]
    older = re.search(r'<p data-testid="older-payments">(.*?)</p>', page, re.S).group(1)
    assert f"较早的{len(payments) - 12}笔还款共{older_sum}" in older
    assert f'href="/loans/{number}/schedules/1"' in older
    version_page = _signed_in(demo).get(f"/loans/{number}/schedules/1").get_data(as_text=True)
    assert all(p.reference in version_page for p in newest_first[12:])
