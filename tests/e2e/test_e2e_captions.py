"""Table captions read as a line on a phone (390 px), not one character per line: the new schedule on an accepted
plan's offer in each language, where the responsive table stacks its rows as cards."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.helpers.e2e import (
    PHONE,
    SCREENSHOTS,
    LivePortal,
    approved_offer,
    expect_lang,
    shot,
    sign_in,
    withdraw_open_applications,
)

BROWSER_LOCALE = {"zh_Hans": "zh-CN", "zh_Hant": "zh-TW", "en": "en-GB"}


PHONE_NUMBER = "13800000001"
REPORTED = (
    "This plan changes the terms of your loan, so we report it to the credit bureau (the People's Bank of China "
    "credit reference system) as a restructured loan. Your credit report will show that the loan was restructured."
)
WATCHED = (
    "For at least a year from your first payment under the new schedule, the loan is watched closely. Paying every "
    "installment on time is what lets it count as a normal loan again; a missed payment starts that year again."
)


@pytest.fixture(scope="module")
def offer(live_portal: LivePortal):
    """An approved 12-month installment plan for 13800000001 (withdrawn afterwards: the server is shared)."""
    from portal import db
    from portal.clock import business_date
    from portal.people.models import Borrower

    withdraw_open_applications(live_portal, PHONE_NUMBER)
    with live_portal.app.test_request_context():
        borrower = db.session.scalar(select(Borrower).where(Borrower.phone == PHONE_NUMBER))
        loan = borrower.loans[0]
        as_of = business_date()
        row = approved_offer(db.session, loan, as_of, income=Decimal("6000"), food=Decimal("1200"))
        db.session.commit()
        reference = row.reference
    yield reference
    withdraw_open_applications(live_portal, PHONE_NUMBER)


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_a_schedule_caption_is_one_line_as_wide_as_its_table_on_a_phone(
    make_page, live_portal: LivePortal, offer, lang
):
    phone, reference = PHONE_NUMBER, offer
    page = make_page(viewport=PHONE, locale=BROWSER_LOCALE[lang])
    live_portal.set_borrower_locale(phone, lang)
    page.goto(f"{live_portal.url}/sign-in")
    sign_in(page, live_portal, lang, phone=phone)
    expect(page).to_have_url(f"{live_portal.url}/")
    page.goto(f"{live_portal.url}/applications/{reference}/offer")
    expect_lang(page, lang)

    caption = page.locator("table.schedule caption").first
    expect(caption).to_be_visible()
    box = caption.bounding_box()
    table = page.locator("table.schedule").first.bounding_box()
    line = page.evaluate(
        "el => parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.5",
        caption.element_handle(),
    )
    shot(page, f"offer-{lang}")
    page.screenshot(  # the caption may be below the first screen: clip from the whole page
        path=str(SCREENSHOTS / f"offer-caption-{lang}.png"),
        clip={**box, "x": 0, "width": 390, "height": 300},
        full_page=True,
    )
    assert box["width"] >= table["width"] * 0.9, (box, table)
    assert box["height"] <= line * 2.2, (box, line)


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_the_offer_says_in_plain_words_that_the_plan_is_reported_as_a_restructuring(
    make_page, live_portal: LivePortal, offer, lang
):
    page = make_page(viewport=PHONE, locale=BROWSER_LOCALE[lang])
    live_portal.set_borrower_locale(PHONE_NUMBER, lang)
    page.goto(f"{live_portal.url}/sign-in")
    sign_in(page, live_portal, lang, phone=PHONE_NUMBER)
    page.goto(f"{live_portal.url}/applications/{offer}/offer")

    said = page.locator("#credit-report")
    expect(said).to_contain_text(live_portal.ui_text(REPORTED, lang))
    expect(said).to_contain_text(live_portal.ui_text(WATCHED, lang))
    said.screenshot(path=str(SCREENSHOTS / f"offer-credit-report-{lang}.png"))
