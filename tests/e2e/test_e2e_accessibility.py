"""axe-core finds no accessibility violations on the borrower's pages (phone size, both languages).

axe.min.js ships inside axe-playwright-python, so this runs offline.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.helpers.e2e import PHONE, LivePortal, expect_lang, sign_in

# axe findings come from the pages, not the database: `make test` runs these on SQLite only.
pytestmark = pytest.mark.page_sweep

AXE = Axe()
BROWSER_LOCALE = {"zh_Hans": "zh-CN", "en": "en-GB"}


def open_page(make_page, portal: LivePortal, borrower: str, which: str, lang: str) -> Page:
    page = make_page(viewport=PHONE, locale=BROWSER_LOCALE[lang])
    page.goto(f"{portal.url}/sign-in")
    if which == "sign-in":
        expect_lang(page, lang)
        return page
    portal.set_borrower_locale(borrower, lang)
    sign_in(page, portal, lang, phone=borrower)
    expect(page).to_have_url(f"{portal.url}/")
    if which == "loan":
        number = next(iter(portal.totals_to_bring_current(borrower)))
        page.goto(f"{portal.url}/loans/{number}")
    expect_lang(page, lang)
    return page


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
@pytest.mark.parametrize("which", ["sign-in", "dashboard", "loan"])
def test_no_axe_violations(make_page, live_portal: LivePortal, borrower: str, which: str, lang: str):
    page = open_page(make_page, live_portal, borrower, which, lang)
    results = AXE.run(page)
    assert results.violations_count == 0, f"{which} ({lang}) at {page.url}:\n{results.generate_report()}"


def test_axe_runs_offline_and_catches_a_planted_violation(page: Page, live_server: str):
    """The bundled axe.min.js loads without a network and despite the CSP, and really reports problems."""
    page.goto(f"{live_server}/sign-in")
    page.evaluate("() => document.querySelector('main').append(Object.assign(new Image(), {src: 'data:,'}))")
    results = AXE.run(page)
    assert "image-alt" in {v["id"] for v in results.response["violations"]}, results.generate_report()
