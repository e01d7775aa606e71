"""A borrower changes their password on a phone (390×844, Simplified Chinese): from the dashboard's link, a
mistake first (the repeat differs: the error summary and the message beside the field), then the change. They
stay signed in and see the confirmation; a phone signed in earlier is signed out; the new password signs in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.helpers.e2e import DEMO_PASSWORD, PHONE, LivePortal, expect_fits_width, expect_lang, shot, sign_in

# An up-to-date urban borrower. The live server is shared by every browser test, so the demo password is put
# back afterwards (and the saved language set, since the switcher saves it).
BORROWER = "13800000003"
NEW_PASSWORD = "kettle orbit marmalade 7"


@pytest.fixture
def changing_borrower(live_portal: LivePortal) -> Iterator[str]:
    from portal import db
    from portal.people.models import Borrower

    live_portal.set_borrower_locale(BORROWER, "zh_Hans")
    with live_portal.app.app_context():
        saved = db.session.scalar(select(Borrower.password_hash).where(Borrower.phone == BORROWER))
    yield BORROWER
    with live_portal.app.app_context():
        db.session.scalar(select(Borrower).where(Borrower.phone == BORROWER)).password_hash = saved
        db.session.commit()


def test_borrower_changes_their_password_on_a_phone(
    make_page, live_portal: LivePortal, changing_borrower: str
):
    base, lang = live_portal.url, "zh_Hans"

    def text(msgid: str) -> str:
        return live_portal.ui_text(msgid, lang)

    other_phone = make_page(viewport=PHONE, locale="zh-CN")
    other_phone.goto(f"{base}/sign-in")
    sign_in(other_phone, live_portal, lang, phone=changing_borrower)
    expect(other_phone).to_have_url(f"{base}/")

    page = make_page(viewport=PHONE, locale="zh-CN")
    page.goto(f"{base}/sign-in")
    sign_in(page, live_portal, lang, phone=changing_borrower)
    expect(page).to_have_url(f"{base}/")
    page.get_by_role("link", name=text("Change your password"), exact=True).click()

    expect(page).to_have_url(f"{base}/account/password")
    expect_lang(page, lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Change your password"))
    current = page.get_by_label(text("Current password"), exact=True)
    new = page.get_by_label(text("New password"), exact=True)
    repeat = page.get_by_label(text("Repeat the new password"), exact=True)
    expect(current).to_have_attribute("autocomplete", "current-password")
    expect(new).to_have_attribute("autocomplete", "new-password")
    expect_fits_width(page)
    shot(page, "password-change-zh")

    # A slip: the repeat differs. The summary links to the field; the message sits beside it.
    current.fill(DEMO_PASSWORD)
    new.fill(NEW_PASSWORD)
    repeat.fill(NEW_PASSWORD + "!")
    page.get_by_role("button", name=text("Change password"), exact=True).click()
    mismatch = text("The two new passwords are not the same. Type them again.")
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name=mismatch)).to_be_visible()
    expect(page.locator("#confirm_password-error")).to_contain_text(mismatch)
    expect(repeat).to_have_attribute("aria-invalid", "true")
    expect_fits_width(page)
    shot(page, "password-change-zh-error")

    page.get_by_label(text("Current password"), exact=True).fill(DEMO_PASSWORD)
    page.get_by_label(text("New password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_label(text("Repeat the new password"), exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name=text("Change password"), exact=True).click()

    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("status").first).to_have_text(
        text("Your password has been changed. You have been signed out on every other device.")
    )
    expect_fits_width(page)
    shot(page, "password-change-zh-done")

    other_phone.reload()
    expect(other_phone).to_have_url(re.compile(re.escape(f"{base}/sign-in")))

    again = make_page(viewport=PHONE, locale="zh-CN")
    again.goto(f"{base}/sign-in")
    sign_in(again, live_portal, lang, phone=changing_borrower, password=NEW_PASSWORD)
    expect(again).to_have_url(f"{base}/")
