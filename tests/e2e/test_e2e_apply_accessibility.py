"""axe-core finds no accessibility violations on the pages of the application journey (phone size).

Every step's page is checked as a borrower reaches it (hardship, money with its worked-out total, documents,
plans, one plan's whole schedule, the plan's terms, check your answers), then the application's page right
after sending and again after withdrawing. Folded-away parts (<details>: the schedules) are opened first so
their tables are checked too. In English for a rural borrower (13800000006, an overdue bullet loan: two of the
four plans are closed to it) and in Simplified Chinese for an urban one (13800000003, up to date: the
installment plan is closed). The journey is walked by roles and structure, so it works in both languages.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.helpers.e2e import (
    PHONE,
    LivePortal,
    apply_by_structure,
    expect_lang,
    loan_numbers,
    sign_in,
    switch_language,
    withdraw_open_applications,
)

# axe findings come from the pages, not the database: `make test` runs these on SQLite only.
pytestmark = pytest.mark.page_sweep

AXE = Axe()
BROWSER_LOCALE = {"zh_Hans": "zh-CN", "en": "en-GB"}
CHECKED = ("start", "hardship", "money", "evidence", "options", "schedule", "plan", "check", "sent")


@pytest.mark.parametrize(
    ("lang", "phone", "overdue"),
    [("en", "13800000006", True), ("zh_Hans", "13800000003", False)],
    ids=["en-rural", "zh-urban"],
)
def test_no_axe_violations_on_the_application_journey(
    make_page, live_portal: LivePortal, lang: str, phone: str, overdue: bool
):
    withdraw_open_applications(live_portal, phone)
    live_portal.set_borrower_locale(phone, "zh_Hans")
    loan = None if overdue else loan_numbers(live_portal, phone)[0]
    page = make_page(viewport=PHONE, locale=BROWSER_LOCALE[lang])
    audited: list[str] = []
    violations: list[str] = []

    def audit(step: str) -> None:
        if step not in (*CHECKED, "application"):
            return
        expect_lang(page, lang)
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        results = AXE.run(page)
        audited.append(step)
        for rule in results.response["violations"]:
            for node in rule["nodes"]:
                violations.append(
                    f"{step}: {rule['id']} ({rule['impact']}) at {node['target']}: {rule['help']}"
                )

    try:
        page.goto(f"{live_portal.url}/sign-in")
        sign_in(page, live_portal, lang, phone=phone)
        expect(page).to_have_url(f"{live_portal.url}/")
        if lang != "zh_Hans":
            switch_language(page, lang)
        reference = apply_by_structure(page, audit, loan=loan)
        page.locator(f"a[href='/applications/{reference}/withdraw']").click()  # withdraw: ask first
        expect(page).to_have_url(f"{live_portal.url}/applications/{reference}/withdraw")
        audit("withdraw-confirm")
        page.get_by_role("main").locator("form").get_by_role("button").click()
        expect(page).to_have_url(f"{live_portal.url}/applications/{reference}")
        audit("application")
    finally:
        withdraw_open_applications(live_portal, phone)
        live_portal.set_borrower_locale(phone, "zh_Hans")
    assert audited == [*CHECKED, "application"]
    assert not violations, f"{len(violations)} axe violations ({lang}):\n" + "\n".join(violations)
