"""The staff second factor in a real browser without JavaScript: the code step after the password, enrolment with
the server-drawn QR code, and the decision form asking for the code again when the last one is over 5 minutes old.
Screenshots (1280×900) in test-artifacts/screenshots/staff-totp-*.png."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.helpers.common import DEMO_PASSWORD, free_totp_step, settings, totp_code, totp_secret_of
from tests.helpers.e2e import (
    DESKTOP,
    SCREENSHOTS,
    LivePortal,
    application_row,
    arrange_submitted_application,
    new_page,
    own_live_portal,
    shot,
    staff_sign_in,
)

pytestmark = pytest.mark.e2e
COOKIE = "portal_session"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    with own_live_portal(
        settings,
        tmp_path_factory.mktemp("e2e-totp"),
        pg_name=f"portal_e2e_totp_{os.getpid()}",
        extra_borrowers=0,
    ) as live:
        yield live


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    """A desktop browser with JavaScript off (every step must work without it), in Simplified Chinese."""
    page = new_page(browser, js=False, locale="zh-CN", viewport=DESKTOP)
    yield page
    page.context.close()


def _password(page: Page, portal: LivePortal, username: str) -> None:
    page.goto(f"{portal.url}/staff/sign-in")
    page.get_by_label(portal.ui_text("User name", "zh_Hans"), exact=True).fill(username)
    page.get_by_label(portal.ui_text("Password", "zh_Hans"), exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=portal.ui_text("Sign in", "zh_Hans"), exact=True).click()


def _age_second_factor(page: Page, portal: LivePortal, seconds: int) -> None:
    """Make this browser's last code confirmation `seconds` old (as if the reviewer had been reading that long)."""
    serializer = portal.app.session_interface.get_signing_serializer(portal.app)
    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
    data = serializer.loads(cookie["value"])
    data["totp_at"] = int(time.time()) - seconds
    page.context.add_cookies([{**cookie, "value": serializer.dumps(data)}])


def test_the_code_step_follows_the_password_and_signs_in(desk: Page, portal: LivePortal):
    _password(desk, portal, "reviewer1")

    expect(desk).to_have_url(f"{portal.url}/staff/sign-in/code")
    expect(desk.get_by_role("heading", level=1)).to_have_text(
        portal.ui_text("Enter your authenticator code", "zh_Hans")
    )
    shot(desk, "staff-totp-code-step")
    free_totp_step(portal.app, "reviewer1")
    code_label = portal.ui_text("Code from your authenticator app", "zh_Hans")
    desk.get_by_label(code_label, exact=True).fill(totp_code())
    desk.get_by_role("button", name=portal.ui_text("Sign in", "zh_Hans"), exact=True).click()
    expect(desk).to_have_url(f"{portal.url}/staff/queue")


def test_staff_without_an_authenticator_enrol_with_the_qr_code_or_the_key(desk: Page, portal: LivePortal):
    from portal import db
    from portal.people.models import StaffUser

    with portal.app.app_context():
        db.session.scalar(select(StaffUser).where(StaffUser.username == "reviewer2")).totp_enrolled_at = None
        db.session.commit()
    _password(desk, portal, "reviewer2")

    expect(desk).to_have_url(f"{portal.url}/staff/sign-in/enrol")
    qr = desk.get_by_role("img", name=re.compile("还款帮扶"))
    expect(qr).to_be_visible()
    box = qr.locator("svg").bounding_box()
    assert box and box["width"] >= 150 and box["height"] >= 150  # big enough to scan from the screen
    key = desk.locator("#totp-secret").inner_text().replace(" ", "")
    assert key == totp_secret_of(portal.app, "reviewer2")
    shot(desk, "staff-totp-enrol")
    desk.get_by_label(portal.ui_text("Code from your authenticator app", "zh_Hans"), exact=True).fill(
        totp_code(key)
    )
    desk.get_by_role("button", name=portal.ui_text("Confirm and sign in", "zh_Hans"), exact=True).click()
    expect(desk).to_have_url(f"{portal.url}/staff/queue")


def test_the_decision_form_asks_for_the_code_after_five_minutes_and_keeps_what_was_typed(
    desk: Page, portal: LivePortal
):
    reference = arrange_submitted_application(portal, "13800000001")
    staff_sign_in(desk, portal, "reviewer1", "zh_Hans")
    desk.goto(f"{portal.url}/staff/cases/{reference}")
    desk.get_by_role("button", name=portal.ui_text("Take this case", "zh_Hans"), exact=True).click()
    # The claim's responses set the session cookie: edit it only once the claimed page is here (its notice and
    # the release button prove the claim and the redirect after it have finished), or they overwrite the edit.
    expect(
        desk.get_by_role("status").filter(has_text=portal.ui_text("You hold this case now.", "zh_Hans"))
    ).to_be_visible()
    expect(
        desk.get_by_role("button", name=portal.ui_text("Put back in the queue", "zh_Hans"), exact=True)
    ).to_be_visible()
    desk.wait_for_load_state("load")
    _age_second_factor(desk, portal, 6 * 60)
    desk.goto(f"{portal.url}/staff/cases/{reference}")

    confirm = desk.get_by_label(portal.ui_text("Confirm with your authenticator code", "zh_Hans"), exact=True)
    expect(confirm).to_be_visible()
    note = desk.get_by_label(
        portal.ui_text("Message to the borrower (optional)", "zh_Hans"), exact=True
    ).first
    note.fill("已核对工资单。")
    approve = desk.locator("form.decision-form").first.get_by_role(
        "button", name=portal.ui_text("Approve", "zh_Hans")
    )
    approve.click()  # no code: the same form comes back asking for it
    expect(desk.locator("#approve-totp-error")).to_be_visible()
    expect(note).to_have_value("已核对工资单。")
    assert application_row(portal, reference)["status"] == "in_review"
    desk.locator("#approve-totp").scroll_into_view_if_needed()  # the decision panel scrolls on its own
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(SCREENSHOTS / "staff-totp-decision-asks-for-code.png"))  # what the reviewer sees

    free_totp_step(portal.app, "reviewer1")
    confirm.fill(totp_code())
    approve.click()
    expect(
        desk.get_by_role("status").filter(
            has_text=portal.ui_text("Approved. The borrower has been told.", "zh_Hans")
        )
    ).to_be_visible()
    assert application_row(portal, reference)["status"] == "approved"
