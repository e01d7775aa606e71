"""The dashboard and the loan page show the figures the arrears rules compute, formatted for the borrower."""

from __future__ import annotations

import re
from contextlib import contextmanager

from flask_babel import gettext, ngettext
from markupsafe import escape
from sqlalchemy import select

from portal import db, i18n
from portal.loans.models import Loan
from portal.loans.positions import loan_position
from portal.people.models import Borrower
from tests.helpers.common import BUSINESS_DATE, sign_in

TOTAL_RE = re.compile(r'data-testid="total-to-bring-current">([^<]*)<')


@contextmanager
def figures(app):
    """A request context in the borrowers' language (zh_Hans) with the database, to compute what pages show."""
    with app.test_request_context():
        yield db.session


def _positions(session, phone: str):
    loans = session.scalars(
        select(Loan).join(Borrower).where(Borrower.phone == phone).order_by(Loan.id)
    ).all()
    return [loan_position(session, loan, BUSINESS_DATE) for loan in loans]


def _page(app, phone: str, path: str = "/") -> str:
    client = app.test_client()
    sign_in(client, phone)
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _loan_cards(html: str) -> list[str]:
    return re.findall(r'<section class="card loan-card[^"]*".*?</section>', html, re.S)


def test_dashboard_total_to_bring_current_is_the_computed_figure(demo):
    with figures(demo) as session:
        (position,) = _positions(session, "13800000001")
        expected = i18n.money(position.report.total_to_bring_current)
    assert position.report.total_to_bring_current > 0

    html = _page(demo, "13800000001")

    assert TOTAL_RE.findall(html) == [expected]


def test_loan_page_shows_days_past_due_and_the_four_parts(demo):
    with figures(demo) as session:
        (position,) = _positions(session, "13800000001")
        report = position.report
        number = position.loan.number
        parts = [
            i18n.money(v)
            for v in (report.overdue_principal, report.overdue_interest, report.penalty, report.compound)
        ]
        total = i18n.money(report.total_to_bring_current)
        days = ngettext("%(num)d day overdue", "%(num)d days overdue", report.days_past_due)
    assert report.days_past_due > 0
    assert all(
        v > 0 for v in (report.overdue_principal, report.overdue_interest, report.penalty, report.compound)
    )

    html = _page(demo, "13800000001", f"/loans/{number}")

    assert TOTAL_RE.findall(html) == [total]
    assert days in html
    sum_table = re.search(r'<table class="sum-table">(.*?)</table>', html, re.S).group(1)
    body = re.search(r"<tbody>(.*?)</tbody>", sum_table, re.S).group(1)
    shown = re.findall(r'<td class="num">([^<]*)</td>', body)
    assert shown[:4] == parts
    assert total in re.search(r"<tfoot>(.*?)</tfoot>", sum_table, re.S).group(1)


def test_an_up_to_date_borrower_sees_no_overdue_section(demo):
    with figures(demo) as session:
        (position,) = _positions(session, "13800000003")
        number = position.loan.number
    assert position.report.total_to_bring_current == 0

    dashboard = _page(demo, "13800000003")
    loan_page = _page(demo, "13800000003", f"/loans/{number}")

    for html in (dashboard, loan_page):
        assert "total-to-bring-current" not in html
        assert "card-overdue" not in html
        assert "tag-overdue" not in html
        assert "tag-current" in html
    assert 'class="sum-table"' not in loan_page


def test_a_borrower_with_two_loans_sees_both(demo):
    with figures(demo) as session:
        positions = _positions(session, "13800000004")
        numbers = [p.loan.number for p in positions]
        overdue = [p.in_arrears for p in positions]
        totals = [i18n.money(p.report.total_to_bring_current) for p in positions if p.in_arrears]
    assert len(numbers) == 2
    assert overdue == [False, True]

    html = _page(demo, "13800000004")

    cards = _loan_cards(html)
    assert len(cards) == 2
    for card, number in zip(cards, numbers, strict=True):
        assert number in card
    assert "tag-overdue" not in cards[0]
    assert "tag-overdue" in cards[1]
    assert TOTAL_RE.findall(html) == totals


def test_the_bullet_loan_whose_single_payment_was_missed_shows_as_overdue(demo):
    with figures(demo) as session:
        (position,) = _positions(session, "13800000006")
        number = position.loan.number
        total = i18n.money(position.report.total_to_bring_current)
    assert position.loan.method == "bullet"
    assert position.report.days_past_due > 0

    html = _page(demo, "13800000006")

    (card,) = _loan_cards(html)
    assert number in card
    assert "tag-overdue" in card
    assert TOTAL_RE.findall(card) == [total]
    loan_page = _page(demo, "13800000006", f"/loans/{number}")
    assert TOTAL_RE.findall(loan_page) == [total]


def test_the_bullet_loan_fell_due_about_six_weeks_ago(demo):
    with figures(demo) as session:
        (position,) = _positions(session, "13800000006")

    assert 35 <= position.report.days_past_due <= 55
    assert position.report.bucket == "M2"


def test_dashboard_shows_the_business_date_of_the_figures(demo):
    with figures(demo):
        as_of = i18n.date_long(BUSINESS_DATE)

    assert as_of in _page(demo, "13800000002")


def _compound_hint(html: str) -> str:
    match = re.search(r'<span class="hint" id="compound-hint">([^<]*)</span>', html)
    assert match, "the loan page explains interest on overdue interest"
    return match.group(1)


def test_interest_on_overdue_interest_is_explained_as_the_loan_charges_it(app, demo):
    # 13800000006: a matured seasonal bullet loan whose product charges no compound interest: CN¥0.00, and the
    # explanation says so rather than "charged each day". 13800000001's consumer loan charges it.
    with figures(demo) as session:
        matured = _positions(session, "13800000006")[0]
        consumer = _positions(session, "13800000001")[0]
        assert matured.loan.product.compound_interest is False and matured.report.overdue_interest > 0
        assert matured.report.compound == 0
        assert consumer.loan.product.compound_interest is True and consumer.report.compound > 0
        charged = str(
            escape(gettext("Charged each day on overdue interest, at the same rate as penalty interest"))
        )
        none = str(escape(gettext("This loan's contract charges no interest on overdue interest")))
        matured_number, consumer_number = matured.loan.number, consumer.loan.number

    assert _compound_hint(_page(demo, "13800000006", f"/loans/{matured_number}")) == none
    assert _compound_hint(_page(demo, "13800000001", f"/loans/{consumer_number}")) == charged
