"""The borrower's journey in every language and variant, by keyboard alone, and the reviewer's decision and the
borrower's acceptance without JavaScript.

- The matrix: sign in, the arrears on the dashboard, hardship, money, documents, plans, the plan, check, send, in
  Simplified Chinese, Traditional Chinese and English, for an urban (13800000001) and a rural (13800000002)
  borrower. Phone-size screenshots of each step go to test-artifacts/screenshots/matrix/<lang>-<variant>-<step>.png.
  The rural borrower is offered the seasonal plan; the urban one is not.
- Keyboard only: the same journey with Tab, Shift+Tab, Space, Enter (and typing into the fields), the focused
  control visibly marked at every stop, up to the acknowledgement.
- No JavaScript: a reviewer takes a sent case and approves it; the borrower accepts the offer with their password.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.helpers.common import settings
from tests.helpers.e2e import (
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    LivePortal,
    apply_by_structure,
    arrange_submitted_application,
    expect_fits_width,
    expect_lang,
    own_live_portal,
    set_staff_locale,
    sign_in,
    staff_sign_in,
    withdraw_open_applications,
)

pytestmark = pytest.mark.page_sweep

MATRIX = SCREENSHOTS / "matrix"
BROWSER_LOCALE = {"zh_Hans": "zh-CN", "zh_Hant": "zh-TW", "en": "en-GB"}
VARIANTS = {"urban": "13800000001", "rural": "13800000002"}


@pytest.fixture
def journey_borrower(live_portal: LivePortal) -> Iterator[callable]:
    """`journey_borrower(phone, lang)`: no open application, `lang` saved; put back (Chinese, none open) after."""
    phones: list[str] = []

    def arrange(phone: str, lang: str) -> str:
        withdraw_open_applications(live_portal, phone)
        live_portal.set_borrower_locale(phone, lang)
        phones.append(phone)
        return phone

    yield arrange
    for phone in phones:
        withdraw_open_applications(live_portal, phone)
        live_portal.set_borrower_locale(phone, "zh_Hans")


@pytest.mark.parametrize("variant", ["urban", "rural"])
@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_the_journey_in_every_language_and_variant(make_page, live_portal, journey_borrower, lang, variant):
    phone = journey_borrower(VARIANTS[variant], lang)
    page = make_page(viewport=PHONE, locale=BROWSER_LOCALE[lang])
    MATRIX.mkdir(parents=True, exist_ok=True)
    seen: list[str] = []

    def at(step: str) -> None:
        expect_lang(page, lang)
        expect_fits_width(page)
        page.screenshot(path=str(MATRIX / f"{lang}-{variant}-{step}.png"), full_page=True)
        seen.append(step)
        if step == "dashboard":
            expect(page.get_by_test_id("total-to-bring-current").first).to_be_visible()
            # The help offered in the footer: a loan officer's visit for rural borrowers, a call back for urban.
            expect(page.locator("#help-visit")).to_have_count(1 if variant == "rural" else 0)
            expect(page.locator("#help-callback")).to_have_count(0 if variant == "rural" else 1)
        if step == "options":
            seasonal = page.get_by_role("main").locator("a[href$='/plan/seasonal']")
            expect(seasonal).to_have_count(1 if variant == "rural" else 0)
            if variant == "urban":
                expect(page.locator("#opt-seasonal")).to_have_count(0)

    page.goto(f"{live_portal.url}/sign-in")
    expect_lang(page, lang)
    page.screenshot(path=str(MATRIX / f"{lang}-{variant}-sign-in.png"), full_page=True)
    sign_in(page, live_portal, lang, phone=phone)
    expect(page).to_have_url(f"{live_portal.url}/")
    reference = apply_by_structure(page, at)

    money = ["income", "money"] if variant == "rural" else ["money"]  # rural: income, then spending
    assert seen == [
        "dashboard",
        "start",
        "hardship",
        *money,
        "evidence",
        "options",
        "schedule",
        "plan",
        "check",
        "sent",
    ]
    expect(page.get_by_role("status").locator("strong").first).to_have_text(reference)


# --- keyboard only -----------------------------------------------------------------------------------------------

FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "nothing focused";
  const style = getComputedStyle(el);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadowed = style.boxShadow && style.boxShadow !== "none";
  return outlined || shadowed ? "" : `${el.tagName.toLowerCase()} ${el.name || el.textContent.trim().slice(0, 30)}`;
}"""


def tab_to(page: Page, matches: str, unseen: list[str], limit: int = 60) -> None:
    """Press Tab until the focused element satisfies the JS predicate `matches` (given the element), checking at
    every stop that the focus is visible (an outline or a ring). Falls back to Shift+Tab when it runs past."""
    for key in ("Tab", "Shift+Tab"):
        for _ in range(limit):
            page.keyboard.press(key)
            problem = page.evaluate(FOCUS_SHOWN)
            if problem:
                unseen.append(f"{page.url}: {problem}")
            if page.evaluate(
                f"() => {{ const el = document.activeElement; return !!el && ({matches})(el); }}"
            ):
                return
    raise AssertionError(f"{page.url}: Tab never reached {matches}")


def by_name(name: str) -> str:
    return f"(el) => el.name === {name!r}"


def by_text(text: str) -> str:
    return f"(el) => el.textContent.trim().startsWith({text!r})"


def test_the_journey_by_keyboard_alone(make_page, live_portal, journey_borrower):
    phone = journey_borrower("13800000003", "en")
    page = make_page(viewport=PHONE, locale="en-GB")
    unseen: list[str] = []
    page.goto(f"{live_portal.url}/sign-in")

    tab_to(page, by_name("phone"), unseen)
    page.keyboard.type(phone)
    tab_to(page, by_name("password"), unseen)
    page.keyboard.type("Demo-pass-2026")
    tab_to(page, "(el) => el.type === 'submit' && el.closest('main')", unseen)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_portal.url}/")

    tab_to(page, "(el) => el.tagName === 'A' && /\\/loans\\/[^/]+\\/help$/.test(el.href)", unseen)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/loans/[^/]+/help$"))  # the start page
    tab_to(page, "(el) => el.tagName === 'BUTTON' && !!el.closest('main form[action$=\"/help\"]')", unseen)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/applications/RA\d{10}/hardship$"))
    base = page.url.rsplit("/", 1)[0]

    tab_to(page, by_name("reasons"), unseen)
    page.keyboard.press("Space")
    tab_to(page, by_name("duration"), unseen)
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys
    tab_to(page, by_name("account"), unseen)
    page.keyboard.type("My hours were cut.")
    tab_to(page, by_text("Save and continue"), unseen)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/money")

    tab_to(page, by_name("income_wages"), unseen)
    page.keyboard.type("6000")
    # Every other line in page order, by keyboard: food 1500, the rest 0 (a blank line is refused).
    for name in page.eval_on_selector_all(
        "main input[inputmode='decimal']", "(els) => els.filter((e) => !e.value).map((e) => e.name)"
    ):
        tab_to(page, by_name(name), unseen)
        page.keyboard.type("1500" if name == "spending_food" else "0")
    tab_to(page, by_text("Save and continue"), unseen)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/evidence")

    tab_to(page, "(el) => el.tagName === 'A' && el.textContent.trim() === 'Continue'", unseen)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/options")

    tab_to(page, by_text("Choose this plan"), unseen)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(f"{base}/plan/") + r"\w+$"))

    tab_to(page, by_text("Choose this plan and continue"), unseen)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/check")

    tab_to(page, by_text("Send my application"), unseen)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(base.rsplit("/", 1)[0]) + r"/RA\d{10}\?sent=1$"))
    expect(page.get_by_role("heading", name="Application sent")).to_be_visible()
    assert unseen == [], f"focus not visible at {len(unseen)} stops: {unseen[:10]}"


# --- without JavaScript: the reviewer's decision and the borrower's acceptance ---------------------------------


@pytest.fixture(scope="module")
def own_portal(tmp_path_factory) -> Iterator[LivePortal]:
    """Accepting restructures a loan for good: a portal of this module's own."""
    with own_live_portal(settings, tmp_path_factory.mktemp("nojs"), pg_name="test_sweeps_nojs") as portal:
        yield portal


def test_a_reviewer_approves_and_the_borrower_accepts_without_javascript(make_page, own_portal: LivePortal):
    portal = own_portal
    phone = "13800000006"  # a 30,000 seasonal loan: within reviewer1's limit
    reference = arrange_submitted_application(portal, phone)

    reviewer = make_page(js=False, viewport=DESKTOP, locale="en-GB")
    set_staff_locale(portal, "reviewer1", "en")
    staff_sign_in(reviewer, portal, "reviewer1", "en")
    reviewer.goto(f"{portal.url}/staff/cases/{reference}")
    reviewer.get_by_role("button", name="Take this case", exact=True).click()
    expect(reviewer.get_by_text("You hold this case now.")).to_be_visible()
    reviewer.get_by_label("Internal note, for staff only (optional)").first.fill("Checked by phone.")
    reviewer.get_by_role("button", name="Approve", exact=True).click()
    expect(reviewer.get_by_text("Approved. The borrower has been told.")).to_be_visible()
    reviewer.screenshot(path=str(SCREENSHOTS / "nojs-staff-approved.png"), full_page=True)

    borrower = make_page(js=False, viewport=PHONE, locale="en-GB")
    portal.set_borrower_locale(phone, "en")
    borrower.goto(f"{portal.url}/sign-in")
    sign_in(borrower, portal, "en", phone=phone)
    expect(borrower).to_have_url(f"{portal.url}/")
    borrower.goto(f"{portal.url}/applications/{reference}/offer")
    expect(borrower.get_by_role("heading", level=1, name="Your plan is approved")).to_be_visible()
    borrower.get_by_label("Your password", exact=True).fill("Demo-pass-2026")
    borrower.get_by_role("button", name="Accept the plan").click()
    expect(borrower).to_have_url(f"{portal.url}/applications/{reference}?accepted=1")
    expect(borrower.get_by_text("Done. Your new repayment schedule is in force.")).to_be_visible()
    expect_fits_width(borrower)
    borrower.screenshot(path=str(SCREENSHOTS / "nojs-borrower-accepted.png"), full_page=True)
