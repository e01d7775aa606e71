"""Helpers for the browser tests: pages, screenshots, signing in, and the figures the pages must show.

Test files import this module by name (`from e2e_support import ...`): pytest puts tests/e2e on sys.path for
them. Do not import `conftest` from a test file: every conftest here is a module named "conftest", so that
import returns whichever conftest pytest loaded last, not the one you meant.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# The app's language codes, the `lang` attribute its pages carry, and the Accept-Language a browser sends.
HTML_LANG = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}
ACCEPT_LANGUAGE = {"zh_Hans": "zh-CN", "zh_Hant": "zh-TW", "en": "en-GB"}
# The language switcher's buttons are named in their own language.
SWITCHER_NAME = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}

DEMO_BORROWER = "13800000001"
DEMO_PASSWORD = "Demo-pass-2026"

# Where the Simplified Chinese wording goes once the zh_Hans catalog is translated and compiled.
# Until then the app shows the English msgid on Chinese pages, and the tests find elements by whatever the
# app renders (see `ui_text`). Fill a value in and the tests also assert the page uses exactly that wording.
# The examples are the catalog's wording on 29 Nov 2026; they are left as None until the wording is final.
ZH_HANS_LABELS: dict[str, str | None] = {
    "Mobile phone number": None,  # e.g. "手机号码"
    "Password": None,  # e.g. "密码"
    "Sign in": None,  # e.g. "登录"
    "Details, schedule and how to pay": None,  # e.g. "查看详情、还款计划和还款方式"
    "Back to your loans": None,  # e.g. "返回我的贷款"
}


def new_page(
    browser: Browser, *, js: bool = True, locale: str = "zh-CN", viewport: dict | None = None
) -> Page:
    """A page in a fresh browser context (its own cookies). Close it with `page.context.close()`."""
    context = browser.new_context(
        viewport=viewport or PHONE,
        locale=locale,
        java_script_enabled=js,
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def shot(page: Page, name: str) -> Path:
    """A full-page PNG of `page` in test-artifacts/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@dataclass
class LivePortal:
    """The app behind the live server, its base URL and its business date."""

    app: Flask
    url: str

    @property
    def as_of(self) -> date:
        from portal.loans.clock import business_date

        with self.app.app_context():
            return business_date()

    def ui_text(self, msgid: str, lang: str) -> str:
        """What the app shows for `msgid` in `lang` right now (the msgid itself while the catalog is empty)."""
        with (
            self.app.test_request_context(headers={"Accept-Language": ACCEPT_LANGUAGE[lang]}),
            force_locale(lang),
        ):
            text = _(msgid)
        if lang == "zh_Hans" and ZH_HANS_LABELS.get(msgid):
            assert text == ZH_HANS_LABELS[msgid], (
                f"zh_Hans for {msgid!r} is {text!r}, expected {ZH_HANS_LABELS[msgid]!r}"
            )
        return text

    def money(self, amount: Decimal, lang: str) -> str:
        """`amount` formatted exactly as the app's pages format it in `lang`."""
        from portal.i18n import current_language, money

        with (
            self.app.test_request_context(headers={"Accept-Language": ACCEPT_LANGUAGE[lang]}),
            force_locale(lang),
        ):
            assert current_language() == lang
            return money(amount)

    def totals_to_bring_current(self, phone: str) -> dict[str, Decimal]:
        """The domain's total to bring current, per loan number, for each of this borrower's overdue loans."""
        from portal import db
        from portal.loans import services
        from portal.loans.models import Borrower

        as_of = self.as_of
        with self.app.app_context():
            borrower = db.session.scalar(select(Borrower).where(Borrower.phone == phone))
            assert borrower is not None, f"no demo borrower {phone}"
            totals = {}
            for loan in services.borrower_loans(db.session, borrower.id):
                report = services.loan_position(db.session, loan, as_of).report
                if report.total_to_bring_current > 0:
                    totals[loan.number] = report.total_to_bring_current
            return totals

    def set_borrower_locale(self, phone: str, lang: str) -> None:
        """Arrange a borrower's saved language (the switcher saves it, so tests must not inherit it)."""
        from portal import db
        from portal.loans.models import Borrower

        with self.app.app_context():
            borrower = db.session.scalar(select(Borrower).where(Borrower.phone == phone))
            borrower.locale = lang
            db.session.commit()


MONEY_JUNK = re.compile(r"[^\d.\-]")


def parse_money(text: str) -> Decimal:
    """¥1,234.56 / CN¥1,234.56 -> Decimal("1234.56"): drop the currency sign and the thousands separators."""
    cleaned = MONEY_JUNK.sub("", text)
    assert cleaned, f"no amount in {text!r}"
    return Decimal(cleaned)


def overflowing_elements(page: Page) -> list[str]:
    """Elements that stick out past the right edge of the viewport (a phone must never scroll sideways)."""
    return page.evaluate(
        """() => {
        const width = document.documentElement.clientWidth;
        return [...document.querySelectorAll("body *")]
          .filter((el) => el.getBoundingClientRect().right > width + 1 && !el.closest(".visually-hidden, .skip"))
          .map((el) => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : ""));
      }"""
    )


def expect_fits_width(page: Page) -> None:
    """No sideways scrolling: the document is no wider than the viewport."""
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, (
        f"{page.url} is {scroll}px wide on a {client}px screen: {overflowing_elements(page)[:10]}"
    )


def expect_lang(page: Page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[lang])


def switch_language(page: Page, lang: str) -> None:
    """Use the header's language control as a person would: press the button named in that language."""
    page.get_by_role("button", name=SWITCHER_NAME[lang], exact=True).click()
    expect_lang(page, lang)


def sign_in(
    page: Page, portal: LivePortal, lang: str, phone: str = DEMO_BORROWER, password: str = DEMO_PASSWORD
):
    """Fill in the sign-in form by its labels and press the button."""
    page.get_by_label(portal.ui_text("Mobile phone number", lang), exact=True).fill(phone)
    page.get_by_label(portal.ui_text("Password", lang), exact=True).fill(password)
    page.get_by_role("button", name=portal.ui_text("Sign in", lang), exact=True).click()


# --- The application journey (hardship → money → documents → options → plan → check → sent) ---------------

# Every step's page carries "Step n of 6"; the check page's "Change" links carry the answer's name.
APPLY_STEPS = ("hardship", "money", "evidence", "options", "plan", "check")


def _application_rows(portal: LivePortal, phone: str):
    from portal import db
    from portal.loans.models import Application, Borrower

    borrower = db.session.scalar(select(Borrower).where(Borrower.phone == phone))
    assert borrower is not None, f"no demo borrower {phone}"
    rows = db.session.scalars(select(Application).where(Application.borrower_id == borrower.id)).all()
    return borrower, rows


def withdraw_open_applications(portal: LivePortal, phone: str) -> list[str]:
    """Arrange a borrower with no draft or sent application (the live server is shared by every test, and an
    open application blocks a new one for the same loan). Returns the references withdrawn."""
    from portal import db
    from portal.domain.lifecycle import WITHDRAWABLE
    from portal.loans import applications as apps

    with portal.app.app_context():
        borrower, rows = _application_rows(portal, phone)
        withdrawn = []
        for application in rows:
            if application.status in WITHDRAWABLE:
                apps.withdraw(db.session, application, actor=f"borrower:{borrower.id}")
                withdrawn.append(application.reference)
        db.session.commit()
        return withdrawn


def loan_numbers(portal: LivePortal, phone: str) -> list[str]:
    """The borrower's loan numbers, in the order the dashboard lists them."""
    from portal import db
    from portal.loans import services
    from portal.loans.models import Borrower

    with portal.app.app_context():
        borrower = db.session.scalar(select(Borrower).where(Borrower.phone == phone))
        assert borrower is not None, f"no demo borrower {phone}"
        return [loan.number for loan in services.borrower_loans(db.session, borrower.id)]


def application_status(portal: LivePortal, reference: str) -> str | None:
    """The stored status of an application, or None when there is no such reference."""
    from portal import db
    from portal.loans.models import Application

    with portal.app.app_context():
        return db.session.scalar(select(Application.status).where(Application.reference == reference))


def date_long(portal: LivePortal, value: date, lang: str) -> str:
    """`value` written out exactly as the app's pages write dates in `lang` (9 December 2026 / 2026年12月9日)."""
    from portal.i18n import date_long as app_date_long

    with (
        portal.app.test_request_context(headers={"Accept-Language": ACCEPT_LANGUAGE[lang]}),
        force_locale(lang),
    ):
        return app_date_long(value)


def decision_due(portal: LivePortal) -> date:
    """When a decision on an application sent today is due: the business date plus the policy's 10 days."""
    from datetime import timedelta

    return portal.as_of + timedelta(days=10)


def figure(scope, label: str):
    """The value beside `label` in a list of figures (<dl>: <dt>label</dt><dd>value</dd>), as a Locator."""
    page = scope if isinstance(scope, Page) else scope.page
    pair = scope.locator("dl > div").filter(has=page.locator("dt").get_by_text(label, exact=True))
    return pair.locator("dd").first


REFERENCE = re.compile(r"^RA\d{10}$")  # RA + year and month (yymm) + a six-digit number, e.g. RA2611000123
APPLICATION_URL = re.compile(r"/applications/(RA\d{10})/")


def reference_in(url: str) -> str:
    match = APPLICATION_URL.search(url)
    assert match, f"no application reference in {url}"
    return match.group(1)


def apply_by_structure(
    page: Page, at, *, loan: str | None = None, account: str = "今年收成不好，收入减少了。"
) -> str:
    """Ask for a plan for `loan` (default: the first overdue loan on the dashboard) by roles and page structure
    only, never the words (so it works in any language): the first reason, the first duration, one income and
    one spending figure, no documents, the first plan on offer with its suggested terms, then send.

    Calls `at(step)` on each page once it has loaded (dashboard, hardship, money, evidence, options, schedule,
    plan, check, sent) and returns the application's reference. Starts on the signed-in dashboard."""
    main = page.get_by_role("main")
    at("dashboard")
    if loan is None:
        card = main.get_by_role("region").filter(has=page.get_by_test_id("total-to-bring-current")).first
    else:
        card = main.locator(f"section[aria-labelledby='loan-{loan}']")
    card.get_by_role("button").click()  # the card's only button: ask for a repayment plan
    expect(page).to_have_url(re.compile(r"/applications/RA\d{10}/hardship$"))
    reference = reference_in(page.url)
    base = page.url.rsplit("/", 1)[0]
    at("hardship")
    main.get_by_role("checkbox").first.check()
    main.get_by_role("radio").first.check()
    main.get_by_role("textbox").fill(account)
    main.get_by_role("button").click()
    expect(page).to_have_url(f"{base}/money")
    income, spending = main.get_by_role("group").nth(0), main.get_by_role("group").nth(1)
    income.get_by_role("textbox").first.fill("5000")
    spending.get_by_role("textbox").first.fill("1500")
    main.get_by_role("button").last.click()  # the second button works out what is left, on the server
    expect(main.get_by_role("status")).to_be_visible()
    at("money")
    main.get_by_role("button").first.click()  # save and continue
    expect(page).to_have_url(f"{base}/evidence")
    at("evidence")
    main.get_by_role("link").last.click()  # carry on without documents
    expect(page).to_have_url(f"{base}/options")
    at("options")
    on_offer = main.get_by_role("region").filter(has=page.get_by_role("link")).first  # closed plans: no links
    on_offer.get_by_role("link").first.click()  # the whole new schedule
    expect(page).to_have_url(re.compile(re.escape(f"{base}/options/") + r"\w+$"))
    expect(main.get_by_role("table").first).to_be_visible()
    at("schedule")
    page.go_back()
    expect(page).to_have_url(f"{base}/options")
    on_offer.get_by_role("link").last.click()  # choose this plan
    expect(page).to_have_url(re.compile(re.escape(f"{base}/plan/") + r"\w+$"))
    at("plan")
    form = main.locator("form")
    with page.expect_navigation():
        form.get_by_role("button").first.click()  # update the figures (no change: the suggested terms)
    form.get_by_role("button").last.click()  # choose this plan and continue
    expect(page).to_have_url(f"{base}/check")
    at("check")
    main.get_by_role("button").last.click()  # send
    expect(page).to_have_url(f"{base.rsplit('/', 1)[0]}/{reference}?sent=1")
    at("sent")
    return reference


def english_words(page: Page) -> list[str]:
    """Runs of English words in the main content (to spot what a Chinese page leaves untranslated)."""
    return page.evaluate(
        r"""() => {
        const main = document.querySelector("main");
        const found = new Set();
        const walk = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) {
          const node = walk.currentNode;
          if (node.parentElement.closest(".visually-hidden, script, style")) continue;
          for (const m of node.textContent.matchAll(/[A-Za-z][A-Za-z' ,.?:()-]{3,}[A-Za-z.?:)]/g)) {
            if (/[a-z]{3}/.test(m[0])) found.add(m[0].trim());
          }
        }
        return [...found];
      }"""
    )
