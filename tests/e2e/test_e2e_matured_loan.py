"""13800000006's matured bullet loan, read on a phone in each language: the interest on overdue interest the page
shows is what the ledger computes, and its explanation agrees with it (the product charges none); the collection
stage is said in plain words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.helpers.e2e import (
    PHONE,
    LivePortal,
    expect_fits_width,
    expect_lang,
    loan_numbers,
    parse_money,
    shot,
    sign_in,
)

BROWSER_LOCALE = {"zh_Hans": "zh-CN", "zh_Hant": "zh-TW", "en": "en-GB"}
MATURED = "13800000006"


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_the_matured_loan_shows_compound_interest_as_its_explanation_says(
    make_page, live_portal: LivePortal, lang
):
    from portal import db
    from portal.loans.models import Loan
    from portal.loans.positions import loan_position

    number = loan_numbers(live_portal, MATURED)[0]
    with live_portal.app.app_context():
        loan = db.session.scalar(select(Loan).where(Loan.number == number))
        report = loan_position(db.session, loan, live_portal.as_of).report
        charges_compound = loan.product.compound_interest

    page = make_page(viewport=PHONE, locale=BROWSER_LOCALE[lang])
    live_portal.set_borrower_locale(MATURED, lang)
    page.goto(f"{live_portal.url}/sign-in")
    sign_in(page, live_portal, lang, phone=MATURED)
    page.goto(f"{live_portal.url}/loans/{number}")
    expect_lang(page, lang)

    row = page.locator("table.sum-table tr").filter(has=page.locator("#compound-hint"))
    shown = parse_money(row.locator("td.num").inner_text())
    hint = page.locator("#compound-hint").inner_text()
    assert shown == report.compound
    if charges_compound:
        assert hint == live_portal.ui_text(
            "Charged each day on overdue interest, at the same rate as penalty interest", lang
        )
    else:
        assert shown == 0
        assert hint == live_portal.ui_text(
            "This loan's contract charges no interest on overdue interest", lang
        )
    expect(page.locator("#bucket-explained")).to_contain_text(report.bucket)
    expect_fits_width(page)
    shot(page, f"loan-matured-{lang}")
