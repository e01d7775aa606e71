"""A phone agent helps a rural borrower: the borrower shows a support code on their phone, agent1 verifies with it,
fills in the hardship and sends a seasonal plan once the borrower says yes (the portal issues the consent reference);
the borrower then sees the application as sent by phone, and reviewer1 sees it in the queue marked as a phone application. Screenshots of each page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.helpers.e2e import (
    DEMO_PASSWORD,
    SCREENSHOTS,
    LivePortal,
    expect_fits_width,
    expect_lang,
    fill_blank_amounts,
    set_staff_locale,
    shot,
    sign_in,
    staff_sign_in,
    start_from_card,
    withdraw_open_applications,
)

RURAL = "13800000002"


def _agent_sign_in(page: Page, portal: LivePortal) -> None:
    page.goto(f"{portal.url}/staff/sign-in")
    expect_lang(page, "zh_Hans")
    page.get_by_label(portal.ui_text("User name", "zh_Hans"), exact=True).fill("agent1")
    page.get_by_label(portal.ui_text("Password", "zh_Hans"), exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=portal.ui_text("Sign in", "zh_Hans"), exact=True).click()
    expect(page).to_have_url(f"{portal.url}/agent/")


def _arrange(portal: LivePortal) -> None:
    """The rural borrower in Chinese with no open application; agent1's day with a call and callbacks."""
    from portal import db
    from portal.demo.world import agent_calls

    withdraw_open_applications(portal, RURAL)
    portal.set_borrower_locale(RURAL, "zh_Hans")
    set_staff_locale(portal, "agent1", "zh_Hans")
    with portal.app.app_context():
        agent_calls(db.session)
        db.session.commit()


def test_agent_verifies_with_a_support_code_and_sends_a_seasonal_plan_for_the_borrower(
    make_page, live_portal: LivePortal
):
    portal = live_portal
    t = lambda msgid: portal.ui_text(msgid, "zh_Hans")  # noqa: E731
    _arrange(portal)

    # The borrower, on their phone, asks for a support code.
    phone = make_page(viewport={"width": 390, "height": 844})
    phone.goto(f"{portal.url}/sign-in")
    sign_in(phone, portal, "zh_Hans", phone=RURAL)
    expect(phone).to_have_url(f"{portal.url}/")
    phone.get_by_role("button", name=t("Get a support code"), exact=True).click()
    code_box = phone.get_by_test_id("support-code")
    expect(code_box).to_have_text(re.compile(r"^\d{6}$"))
    code = code_box.inner_text()
    expect_fits_width(phone)
    code_box.scroll_into_view_if_needed()
    shot(phone, "agent-01-borrower-support-code-390")

    # The agent: their page, find the caller, verify with the code.
    desk = make_page(viewport={"width": 1280, "height": 900})
    _agent_sign_in(desk, portal)
    expect(desk.get_by_role("heading", level=1, name=t("My calls"))).to_be_visible()
    expect(desk.get_by_role("heading", level=2, name=t("Callbacks for today"))).to_be_visible()
    shot(desk, "agent-02-agent-page-1280")
    desk.get_by_role("link", name=t("Find a caller"), exact=True).first.click()
    desk.get_by_label(t("Phone number"), exact=True).fill(RURAL)
    desk.get_by_role("button", name=t("Find"), exact=True).click()
    results = desk.get_by_role("table")
    expect(results).to_contain_text("王大山")
    expect(results).to_contain_text("138****0002")
    expect(desk.locator("main")).not_to_contain_text(RURAL)
    shot(desk, "agent-03-find-1280")
    results.get_by_role("link").first.click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text(t("Verify the caller"))
    shot(desk, "agent-04-verify-1280")
    desk.get_by_label(t("Support code"), exact=True).fill(code)
    desk.get_by_role("button", name=t("Check the code"), exact=True).click()
    expect(desk).to_have_url(re.compile(r"/agent/borrowers/\d+$"))
    banner = desk.get_by_role("region", name=t("Assisted session"))
    expect(banner).to_contain_text(t("Assisting %(name)s by phone").replace("%(name)s", "王大山"))

    # In the borrower's pages, under the banner: hardship, money, a seasonal plan, send with consent.
    desk.get_by_role("link", name=t("Open the borrower's pages"), exact=True).click()
    expect(desk).to_have_url(f"{portal.url}/")
    expect(banner).to_be_visible()
    main = desk.get_by_role("main")
    card = main.get_by_role("region").filter(has=desk.get_by_test_id("total-to-bring-current")).first
    start_from_card(desk, card)
    expect(desk).to_have_url(re.compile(r"/applications/RA\d{10}/hardship$"))
    base = desk.url.rsplit("/", 1)[0]
    reference = base.rsplit("/", 1)[1]
    main.get_by_role("checkbox").first.check()
    main.get_by_role("radio").first.check()
    main.get_by_role("textbox").fill("今年发大水，稻子淹了，要到十月卖了玉米才有钱。")
    desk.mouse.wheel(0, 600)
    expect(banner).to_be_in_viewport()  # the banner stays at the top while the page scrolls
    assert banner.bounding_box()["y"] == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    desk.screenshot(
        path=str(SCREENSHOTS / "agent-05-banner-on-borrower-page-1280.png")
    )  # the window, scrolled
    main.get_by_role("button").click()
    expect(desk).to_have_url(f"{base}/money")
    main.get_by_role("group").first.get_by_role("textbox").first.fill("3000")  # rural: income on this page,
    fill_blank_amounts(main)
    main.get_by_role("button").last.click()
    expect(desk).to_have_url(f"{base}/spending")  # spending on the next
    main.get_by_role("group").first.get_by_role("textbox").first.fill("900")
    fill_blank_amounts(main)
    main.get_by_role("button").last.click()
    expect(desk).to_have_url(f"{base}/evidence")
    main.get_by_role("link").last.click()
    expect(desk).to_have_url(f"{base}/options")
    desk.goto(f"{base}/plan/seasonal")
    form = main.locator("form")
    form.get_by_role("checkbox").nth(8).check()  # September: no month is chosen for the borrower
    form.get_by_role("button").last.click()  # choose this plan and continue
    expect(desk).to_have_url(f"{base}/check")
    shot(desk, "agent-06-check-with-consent-1280")
    main.get_by_role("button").last.click()
    expect(desk).to_have_url(f"{base}?sent=1")
    status, channel, consent = portal_status(portal, reference)
    assert (status, channel) == ("submitted", "phone") and consent.startswith("CR-")
    expect(desk.get_by_role("main")).to_contain_text(consent)  # issued by the portal, to read to the borrower

    # The borrower sees it as sent by phone, in the history too.
    phone.goto(f"{portal.url}/applications/{reference}")
    summary = phone.get_by_role("main")
    expect(summary).to_contain_text(t("by phone, with the help of our staff"))
    expect(summary.locator(".history")).to_contain_text("孙晓燕")
    expect_fits_width(phone)
    shot(phone, "agent-07-borrower-history-390")

    # reviewer1 sees it in the queue, marked as a phone application.
    reviewer = make_page(viewport={"width": 1280, "height": 900})
    set_staff_locale(portal, "reviewer1", "zh_Hans")  # another test may have left reviewer1 in English
    staff_sign_in(reviewer, portal, "reviewer1", "zh_Hans")
    row = reviewer.get_by_role("row").filter(has=reviewer.get_by_role("link", name=reference, exact=True))
    expect(row).to_contain_text(t("phone"))
    shot(reviewer, "agent-08-queue-phone-tag-1280")


def portal_status(portal: LivePortal, reference: str) -> tuple:
    from sqlalchemy import select

    from portal import db
    from portal.applications.models import Application

    with portal.app.app_context():
        row = db.session.scalar(select(Application).where(Application.reference == reference))
        return row.status, row.channel, row.submit_consent_reference
