"""A borrower signs in on a phone and sees the same total to bring current as the domain computes,
on the dashboard and on the loan page, in Chinese and in English, with and without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.helpers.e2e import (
    PHONE,
    LivePortal,
    expect_fits_width,
    expect_lang,
    parse_money,
    shot,
    sign_in,
    switch_language,
)


def check_totals(page: Page, portal: LivePortal, totals: dict, lang: str, *, loan: str | None = None) -> None:
    """Each overdue loan's total on the page equals the domain's, as a number and exactly as formatted."""
    shown = totals if loan is None else {loan: totals[loan]}
    for number, expected in shown.items():
        scope = page.locator(f"section[aria-labelledby='loan-{number}']") if loan is None else page
        box = scope.get_by_test_id("total-to-bring-current").first
        expect(box).to_be_visible()
        text = box.inner_text().strip()
        assert parse_money(text) == expected, (
            f"{number} ({lang}): page shows {text!r}, domain says {expected}"
        )
        assert text == portal.money(expected, lang), (
            f"{number} ({lang}): {text!r} is not formatted as the app's money"
        )


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_borrower_sees_total_to_bring_current(make_page, live_portal: LivePortal, borrower: str, js: bool):
    base = live_portal.url
    totals = live_portal.totals_to_bring_current(borrower)
    assert totals, "the demo borrower should have an overdue loan"
    number = next(iter(totals))
    suffix = "" if js else "-nojs"
    page = make_page(js=js, viewport=PHONE, locale="zh-CN")

    # Sign-in page: Chinese from the browser's Accept-Language, English through the header control.
    page.goto(f"{base}/sign-in")
    expect_lang(page, "zh_Hans")
    expect_fits_width(page)
    shot(page, f"sign-in-zh{suffix}")
    switch_language(page, "en")
    expect(page).to_have_url(f"{base}/sign-in")
    expect_fits_width(page)
    shot(page, f"sign-in-en{suffix}")
    switch_language(page, "zh_Hans")

    # Dashboard, in the borrower's saved language (Simplified Chinese).
    sign_in(page, live_portal, "zh_Hans", phone=borrower)
    expect(page).to_have_url(f"{base}/")
    expect_lang(page, "zh_Hans")
    check_totals(page, live_portal, totals, "zh_Hans")
    expect_fits_width(page)
    shot(page, f"dashboard-zh{suffix}")

    # The loan page, through its link on the card.
    details = live_portal.ui_text("Details, schedule and how to pay", "zh_Hans")
    link = page.get_by_role("link", name=details).and_(page.locator(f"a[href='/loans/{number}']"))
    link.click()
    expect(page).to_have_url(f"{base}/loans/{number}")
    expect_lang(page, "zh_Hans")
    check_totals(page, live_portal, totals, "zh_Hans", loan=number)
    expect_fits_width(page)
    shot(page, f"loan-zh{suffix}")

    # Switch to English on the loan page: the same page comes back in English, with the same figure.
    switch_language(page, "en")
    expect(page).to_have_url(f"{base}/loans/{number}")
    check_totals(page, live_portal, totals, "en", loan=number)
    expect_fits_width(page)
    shot(page, f"loan-en{suffix}")

    page.get_by_role("link", name=live_portal.ui_text("Back to your loans", "en"), exact=True).click()
    expect(page).to_have_url(f"{base}/")
    expect_lang(page, "en")
    check_totals(page, live_portal, totals, "en")
    expect_fits_width(page)
    shot(page, f"dashboard-en{suffix}")

    # The choice was saved: back to Chinese leaves the borrower as the demo had them.
    switch_language(page, "zh_Hans")
    check_totals(page, live_portal, totals, "zh_Hans")


def test_signed_out_visitor_is_sent_to_sign_in(page: Page, live_server: str):
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(re.escape(f"{live_server}/sign-in")))
    expect_lang(page, "zh_Hans")
