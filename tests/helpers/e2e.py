"""Helpers for the browser tests: pages, screenshots, signing in, and the figures the pages must show.

Test files import this module as `from tests.helpers.e2e import ...`. Do not import `conftest` from a test file: every conftest here is a module named "conftest", so that
import returns whichever conftest pytest loaded last, not the one you meant.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, make_url, select
from werkzeug.serving import make_server

from tests.helpers.common import drop_postgres_database, postgres_database

if TYPE_CHECKING:
    from portal.applications.models import Application

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


# PORTAL_TEST_SCREENSHOTS=0 leaves the full-page screenshots out (they are for people to look at, not checks):
# `make test` sets it for the PostgreSQL pass, whose screenshots would only overwrite the SQLite pass's.
TAKE_SCREENSHOTS = os.environ.get("PORTAL_TEST_SCREENSHOTS", "1") != "0"


def shot(page: Page, name: str) -> Path:
    """A full-page PNG of `page` in test-artifacts/screenshots/ (git-ignored); its path (not written when
    PORTAL_TEST_SCREENSHOTS=0)."""
    path = SCREENSHOTS / f"{name}.png"
    if TAKE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
    return path


@dataclass
class LivePortal:
    """The app behind the live server, its base URL and its business date."""

    app: Flask
    url: str

    @property
    def as_of(self) -> date:
        from portal.clock import business_date

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
        from portal.loans.positions import loan_position
        from portal.loans.queries import borrower_loans
        from portal.people.models import Borrower

        as_of = self.as_of
        with self.app.app_context():
            borrower = db.session.scalar(select(Borrower).where(Borrower.phone == phone))
            assert borrower is not None, f"no demo borrower {phone}"
            totals = {}
            for loan in borrower_loans(db.session, borrower.id):
                report = loan_position(db.session, loan, as_of).report
                if report.total_to_bring_current > 0:
                    totals[loan.number] = report.total_to_bring_current
            return totals

    def set_borrower_locale(self, phone: str, lang: str) -> None:
        """Arrange a borrower's saved language (the switcher saves it, so tests must not inherit it)."""
        from portal import db
        from portal.people.models import Borrower

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
    page.wait_for_load_state()  # a page still arriving has no document element to measure yet
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

# Every step's page carries "Step n of 6" (rural: of 7, with a spending page after the money page); the check
# page's "Change" links carry the answer's name.
APPLY_STEPS = ("hardship", "money", "evidence", "options", "plan", "check")


def _application_rows(portal: LivePortal, phone: str):
    from portal import db
    from portal.applications.models import Application
    from portal.people.models import Borrower

    borrower = db.session.scalar(select(Borrower).where(Borrower.phone == phone))
    assert borrower is not None, f"no demo borrower {phone}"
    rows = db.session.scalars(select(Application).where(Application.borrower_id == borrower.id)).all()
    return borrower, rows


def withdraw_open_applications(portal: LivePortal, phone: str) -> list[str]:
    """Arrange a borrower with no draft or sent application (the live server is shared by every test, and an
    open application blocks a new one for the same loan). Returns the references withdrawn."""
    from portal import db
    from portal.applications import transitions
    from portal.domain.lifecycle import WITHDRAWABLE

    with portal.app.app_context():
        borrower, rows = _application_rows(portal, phone)
        withdrawn = []
        for application in rows:
            if application.status in WITHDRAWABLE:
                transitions.withdraw(db.session, application, actor=f"borrower:{borrower.id}")
                withdrawn.append(application.reference)
            elif application.status in (
                "approved",
                "countered",
            ):  # an open offer blocks a new application too
                transitions.move(db.session, application, "expired", role="system", actor="system")
                withdrawn.append(application.reference)
        db.session.commit()
        return withdrawn


def loan_numbers(portal: LivePortal, phone: str) -> list[str]:
    """The borrower's loan numbers, in the order the dashboard lists them."""
    from portal import db
    from portal.loans.queries import borrower_loans
    from portal.people.models import Borrower

    with portal.app.app_context():
        borrower = db.session.scalar(select(Borrower).where(Borrower.phone == phone))
        assert borrower is not None, f"no demo borrower {phone}"
        return [loan.number for loan in borrower_loans(db.session, borrower.id)]


def application_status(portal: LivePortal, reference: str) -> str | None:
    """The stored status of an application, or None when there is no such reference."""
    from portal import db
    from portal.applications.models import Application

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


def fill_blank_amounts(scope) -> None:
    """Put 0 in every money line left blank, as a person must: the money page refuses a blank line."""
    for box in scope.locator("input[inputmode='decimal']").all():
        if not box.input_value():
            box.fill("0")


def start_from_card(page: Page, card) -> None:
    """The card's "ask for a plan" link leads to the start page; its only button starts the application."""
    card.locator("a.button[href$='/help']").click()
    expect(page).to_have_url(re.compile(r"/loans/[^/]+/help$"))
    page.get_by_role("main").locator("form").get_by_role("button").click()


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
    card.locator("a.button[href$='/help']").click()  # ask for a repayment plan: the start page first
    expect(page).to_have_url(re.compile(r"/loans/[^/]+/help$"))
    at("start")
    main.locator("form").get_by_role("button").click()  # its only button starts the application
    expect(page).to_have_url(re.compile(r"/applications/RA\d{10}/hardship$"))
    reference = reference_in(page.url)
    base = page.url.rsplit("/", 1)[0]
    at("hardship")
    main.get_by_role("checkbox").first.check()
    main.get_by_role("radio").first.check()
    main.get_by_role("textbox").fill(account)
    main.get_by_role("button").click()
    expect(page).to_have_url(f"{base}/money")
    if main.locator("input[name^='spending_']").count() == 0:
        # Rural: income (and dependants) on this page, spending on the next.
        main.get_by_role("group").nth(0).get_by_role("textbox").first.fill("5000")
        fill_blank_amounts(main)
        at("income")
        main.get_by_role("button").last.click()
        expect(page).to_have_url(f"{base}/spending")
        main.get_by_role("group").nth(0).get_by_role("textbox").first.fill("1500")
    else:
        income, spending = main.get_by_role("group").nth(0), main.get_by_role("group").nth(1)
        income.get_by_role("textbox").first.fill("5000")
        spending.get_by_role("textbox").first.fill("1500")
    fill_blank_amounts(main)
    main.get_by_role("button").first.click()  # the first button works out what is left, on the server
    expect(main.get_by_role("status")).to_be_visible()
    at("money")
    main.get_by_role("button").last.click()  # save and continue
    expect(page).to_have_url(f"{base}/evidence")
    at("evidence")
    main.get_by_role("link").last.click()  # carry on without documents
    expect(page).to_have_url(f"{base}/options")
    at("options")
    # The plans' cards (not the "none of these fits" box); closed plans have no links.
    on_offer = main.locator("section.option").filter(has=page.get_by_role("link")).first
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
    """English words in the main content (to spot what a Chinese page leaves untranslated), by the rule the
    test-client sweep uses (tests.helpers.pages.english_words): text outside scripts, styles and parts marked as
    another language, plus the title, alt, aria-label and placeholder attributes."""
    from tests.helpers.pages import english_words as words_in

    texts = page.evaluate(
        r"""() => {
        const main = document.querySelector("main");
        const pageLang = (document.documentElement.lang || "").slice(0, 2);
        const out = [];
        const walk = document.createTreeWalker(main, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) {
          const node = walk.currentNode;
          const element = node.nodeType === 1 ? node : node.parentElement;
          if (element.closest("script, style, template")) continue;
          const marked = element.closest("[lang]");
          if (marked && !marked.lang.startsWith(pageLang)) continue;
          if (node.nodeType === 3) { if (node.textContent.trim()) out.push(node.textContent.trim()); continue; }
          for (const name of ["title", "alt", "aria-label", "placeholder"]) {
            if (node.getAttribute(name)) out.push(node.getAttribute(name));
          }
        }
        return out;
      }"""
    )
    found: list[str] = []
    for piece in texts:
        found += [word for word in words_in(piece) if word not in found]
    return found


# --- A live server of one's own, for journeys that change data for good (accepting restructures a loan) -----


class OwnLiveServer:
    """A werkzeug server for `portal.app` in a daemon thread, served exactly as the shared `live_portal` is.
    `close` stops it, disposes of the app's engine and calls `cleanup` (drop the database), once."""

    def __init__(self, app: Flask, cleanup: Callable[[], None] = lambda: None, name: str = "e2e-own-server"):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
        self._thread.start()
        self._cleanup = cleanup
        self.portal = LivePortal(app=app, url=f"http://127.0.0.1:{self._server.server_port}")
        self.closed = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
        self.portal.app.extensions["db_engine"].dispose()
        self._cleanup()


@contextmanager
def own_live_portal(
    settings: Callable[[str], dict],
    workdir: Path,
    *,
    pg_name: str,
    extra_borrowers: int = 10,
    arrange: Callable | None = None,
) -> Iterator[LivePortal]:
    """The demo portal on a fresh database and a port of its own: a migrated SQLite file in `workdir`, or, when
    PORTAL_TEST_DATABASE_URL is set, a new PostgreSQL database `pg_name` on that server, dropped afterwards.
    `settings(url)` is the test configuration (tests/helpers/common.py's `settings`). `arrange(session)`, if given,
    builds the data instead of the plain demo (for example tests.helpers.pages.arrange_catalog_demo)."""
    from portal import create_app, db
    from portal.demo.world import build_demo
    from portal.migrations import upgrade

    pg_url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if pg_url:
        url = postgres_database(
            make_url(pg_url).set(database=pg_name).render_as_string(hide_password=False), empty=True
        )

        def cleanup() -> None:
            drop_postgres_database(url)
    else:
        url = f"sqlite:///{workdir / 'portal.sqlite3'}"

        def cleanup() -> None:
            pass

    try:
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
        app = create_app(settings(url))
        with app.app_context():
            if arrange is None:
                build_demo(db.session, extra_borrowers=extra_borrowers)
            else:
                arrange(db.session)
            db.session.commit()
    except BaseException:
        cleanup()
        raise
    live = OwnLiveServer(app, cleanup, name=f"e2e-server-{pg_name}")
    try:
        yield live.portal
    finally:
        live.close()


# --- Staff pages ---------------------------------------------------------------------------------------------


def set_staff_locale(portal: LivePortal, username: str, lang: str) -> None:
    """Arrange a member of staff's saved language (the switcher saves it, and it wins once signed in)."""
    from portal import db
    from portal.people.models import StaffUser

    with portal.app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        assert staff is not None, f"no demo staff user {username}"
        staff.locale = lang
        db.session.commit()


def staff_sign_in(
    page: Page,
    portal: LivePortal,
    username: str,
    lang: str = "en",
    password: str = DEMO_PASSWORD,
    lands_on: str | None = None,
) -> None:
    """Sign a member of staff in at /staff/sign-in, by the form's labels in `lang` (the browser's language, before
    the saved one takes over): the password, then for reviewers, senior reviewers and administrators the code
    their authenticator app would show (pyotp, from the demo secret), and land on their first page
    (`lands_on` when given)."""
    from tests.helpers.common import free_totp_step, totp_code, totp_secret_of

    page.goto(f"{portal.url}/staff/sign-in")
    expect_lang(page, lang)
    page.get_by_label(portal.ui_text("User name", lang), exact=True).fill(username)
    page.get_by_label(portal.ui_text("Password", lang), exact=True).fill(password)
    page.get_by_role("button", name=portal.ui_text("Sign in", lang), exact=True).click()
    page.wait_for_load_state()
    if page.url == f"{portal.url}/staff/sign-in/code":
        free_totp_step(portal.app, username)
        code = totp_code(totp_secret_of(portal.app, username))
        page.get_by_label(portal.ui_text("Code from your authenticator app", lang), exact=True).fill(code)
        page.get_by_role("button", name=portal.ui_text("Sign in", lang), exact=True).click()
    if lands_on is not None:
        expect(page).to_have_url(f"{portal.url}{lands_on}")
    else:
        expect(page).to_have_url(
            re.compile(re.escape(portal.url) + r"/(staff/(queue|borrowers|outcomes)|agent/)$")
        )


def application_row(portal: LivePortal, reference: str) -> dict:
    """What the database holds for an application, for checking what the pages say."""
    from portal import db
    from portal.applications.models import Application
    from portal.people.models import StaffUser

    with portal.app.app_context():
        a = db.session.scalar(select(Application).where(Application.reference == reference))
        assert a is not None, f"no application {reference}"

        def username(staff_id: int | None) -> str | None:
            return db.session.get(StaffUser, staff_id).username if staff_id else None

        return {
            "status": a.status,
            "option": a.option,
            "amount_fen": a.amount_fen,
            "claimed_by": username(a.claimed_by_id),
            "first_approver": username(a.first_approver_id),
            "decided_by": username(a.decided_by_id),
            "agreement_hash": a.agreement_hash,
            "info_request": a.info_request,
            "info_response": a.info_response,
        }


def schedule_versions(portal: LivePortal, loan_number: str) -> list[int]:
    """The loan's schedule version numbers, oldest first."""
    from portal import db
    from portal.loans.models import Loan, ScheduleVersion

    with portal.app.app_context():
        loan = db.session.scalar(select(Loan).where(Loan.number == loan_number))
        return list(
            db.session.scalars(
                select(ScheduleVersion.version)
                .where(ScheduleVersion.loan_id == loan.id)
                .order_by(ScheduleVersion.version)
            )
        )


def arrange_submitted_application(portal: LivePortal, phone: str, kind: str = "installment_plan") -> str:
    """A sent application for the borrower's first overdue loan, made through the services (no browser), with a
    budget that fits and the plan's suggested terms. Returns its reference."""
    from portal import db
    from portal.applications import drafting, transitions
    from portal.loans.positions import loan_position
    from portal.loans.queries import borrower_loans
    from portal.people.models import Borrower
    from tests.helpers.common import fill_draft

    as_of = portal.as_of
    with portal.app.app_context():
        borrower = db.session.scalar(select(Borrower).where(Borrower.phone == phone))
        assert borrower is not None, f"no demo borrower {phone}"
        loan = next(
            loan
            for loan in borrower_loans(db.session, borrower.id)
            if loan_position(db.session, loan, as_of).report.total_to_bring_current > 0
        )
        who = {"actor": f"borrower:{borrower.id}", "channel": "web"}
        application = drafting.start(db.session, loan, create_key=f"e2e-{loan.number}", as_of=as_of, **who)
        rural = borrower.variant == "rural"
        fill_draft(
            db.session,
            application,
            as_of,
            reason="crop_failure" if rural else "lost_job",
            account="E2E: arranged without a browser.",
            income_source="farming" if rural else "wages",
            income=Decimal("8000"),
            food=Decimal("1500"),
            kind=kind,
        )
        transitions.submit(db.session, application, as_of=as_of, **who)
        db.session.commit()
        return application.reference


def approved_offer(session, loan, as_of, *, income: Decimal, food: Decimal) -> Application:
    """An installment plan with its suggested terms for `loan`, sent and approved as asked, through the services
    (no browser, nothing committed): for tests that start from an offer."""
    import secrets

    from portal.applications import drafting, transitions
    from tests.helpers.common import fill_draft

    actor = f"borrower:{loan.borrower_id}"
    row = drafting.start(session, loan, actor=actor, create_key=secrets.token_urlsafe(24), as_of=as_of)
    fill_draft(session, row, as_of, account="Hours cut.", income=income, food=food)
    transitions.submit(session, row, actor=actor, as_of=as_of)
    for target in ("in_review", "approved"):
        transitions.move(session, row, target, role="reviewer", actor="staff:1")
    return row


def arrange_decision(
    portal: LivePortal, reference: str, username: str, *, counter_months: int | None = None
) -> str:
    """`username` takes the sent application and, through the services (no browser), approves it as asked or,
    with `counter_months`, counter-offers an installment plan over that many months. Returns the new status
    (awaiting_second_approval above that reviewer's limit)."""
    from dataclasses import replace

    from portal import db
    from portal.applications import calculation, decisions
    from portal.applications.models import Application
    from portal.people.models import StaffUser

    as_of = portal.as_of
    with portal.app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == reference))
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        decisions.claim(db.session, application, staff, seen_version=application.row_version)
        if counter_months is None:
            status = decisions.approve(
                db.session, application, staff, as_of=as_of, seen_version=application.row_version
            )
        else:
            terms = calculation.calculator(db.session, application, as_of).default_terms("installment_plan")
            status = decisions.counter(
                db.session,
                application,
                staff,
                as_of=as_of,
                seen_version=application.row_version,
                kind="installment_plan",
                terms=replace(terms, months=counter_months),
            )
        db.session.commit()
        return status
