"""A borrower asks for a repayment plan on a phone, from the dashboard to the acknowledgement.

Urban and rural, with and without JavaScript, in English (found by label, as a person reads the page), and once
in Simplified Chinese by roles and page structure only. Screenshots of every step at 390×844 go to
test-artifacts/screenshots/apply-<run>-<step>.png.

The live server is shared by every browser test, and an open application blocks another for the same loan: each
run uses a borrower of its own, withdraws its application at the end through the page's button, and the
`applicant` fixture withdraws whatever an earlier (or failed) run left open, before and after.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.helpers.e2e import (
    PHONE,
    REFERENCE,
    SCREENSHOTS,
    LivePortal,
    application_status,
    apply_by_structure,
    date_long,
    decision_due,
    english_words,
    expect_fits_width,
    expect_lang,
    figure,
    fill_blank_amounts,
    parse_money,
    reference_in,
    shot,
    sign_in,
    switch_language,
    withdraw_open_applications,
)

INSTALLMENTS = "Pay the overdue amount in installments"
EXTENSION = "Extend the loan term"
SEASONAL = "Pay in the months you earn (seasonal plan)"
FITS = re.compile(r"Fits your budget|Hard to keep up")
# The tests' business date is 29 November 2026 (tests/helpers/common.py); a decision is due 10 days later.
DUE_EN = "9 December 2026"


@pytest.fixture
def applicant(live_portal: LivePortal) -> Iterator[Callable[[str], str]]:
    """`applicant(phone)`: that demo borrower with no open application and Chinese saved, before and after."""
    phones: list[str] = []

    def arrange(phone: str) -> str:
        withdraw_open_applications(live_portal, phone)
        live_portal.set_borrower_locale(phone, "zh_Hans")
        phones.append(phone)
        return phone

    yield arrange
    for phone in phones:
        withdraw_open_applications(live_portal, phone)
        live_portal.set_borrower_locale(phone, "zh_Hans")


class Steps:
    """Screenshots named apply-<run>-<step>, each after checking the phone does not scroll sideways."""

    def __init__(self, page: Page, run: str):
        self.page, self.run = page, run

    def shot(self, step: str) -> None:
        expect_fits_width(self.page)
        shot(self.page, f"apply-{self.run}-{step}")


def sign_in_in_english(page: Page, portal: LivePortal, phone: str) -> None:
    """Sign in from an English browser, then choose English with the header's control (the borrower has
    Chinese saved, which wins over the browser's language once signed in)."""
    page.goto(f"{portal.url}/sign-in")
    expect_lang(page, "en")
    sign_in(page, portal, "en", phone=phone)
    expect(page).to_have_url(f"{portal.url}/")
    switch_language(page, "en")
    expect(page.get_by_role("heading", level=1, name="Your loans")).to_be_visible()


def start(page: Page, steps: Steps) -> str:
    """Dashboard → "Ask for a repayment plan" → step 1. Returns the new application's reference."""
    steps.shot("dashboard")
    # Rural wording: "Ask for an easier way to repay", "What happened"; rural journeys have 7 steps.
    page.get_by_role("link", name=re.compile(r"^Ask for (a repayment plan|an easier way to repay)")).click()
    expect(page.get_by_role("heading", level=2, name="What you will need")).to_be_visible()
    steps.shot("start")
    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_url(re.compile(r"/applications/RA\d{10}/hardship$"))
    expect(
        page.get_by_role("heading", level=1, name=re.compile(r"^(Why it is hard to pay|What happened)$"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Step 1 of [67]$"))).to_be_visible()
    return reference_in(page.url)


def tell_hardship(
    page: Page, steps: Steps, reasons: list[str], duration: str, account: str, rural: bool = False
) -> None:
    why = page.get_by_role("group", name="Why is it hard to pay at the moment?")
    for reason in reasons:
        why.get_by_role("checkbox", name=reason, exact=True).check()
    page.get_by_role("group", name="How long do you think it will last?").get_by_role(
        "radio", name=duration, exact=True
    ).check()
    page.get_by_label("Tell us what happened").fill(account)
    steps.shot("hardship")
    page.get_by_role("button", name="Save and continue").click()
    heading = "Money coming in each month" if rural else "Your money each month"
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    expect(page.get_by_text(f"Step 2 of {7 if rural else 6}", exact=True)).to_be_visible()


def tell_money(
    page: Page, portal: LivePortal, steps: Steps, amounts: dict[str, str], rural: bool = False
) -> None:
    """Fill the monthly figures by label, work out what is left (on the server), check it, continue.

    Rural asks income on one page (step 2 of 7) and spending on the next (step 3 of 7)."""
    total = 7 if rural else 6
    if rural:
        for label, value in amounts.items():
            if label in INCOME_LABELS:
                page.get_by_label(label, exact=True).fill(value)
        fill_blank_amounts(page.get_by_role("main"))
        steps.shot("money-income")
        page.get_by_role("button", name="Save and continue").click()
        expect(page.get_by_role("heading", level=1, name="Money going out each month")).to_be_visible()
        expect(page.get_by_text(f"Step 3 of {total}", exact=True)).to_be_visible()
    spending_amounts = {k: v for k, v in amounts.items() if not rural or k not in INCOME_LABELS}
    for label, value in spending_amounts.items():
        page.get_by_label(label, exact=True).fill(value)
    fill_blank_amounts(page.get_by_role("main"))
    steps.shot("money")
    page.get_by_role("button", name="Add it up" if rural else "Work out what is left").click()
    income = sum(Decimal(v) for k, v in amounts.items() if k in INCOME_LABELS)
    spending = sum(Decimal(v) for k, v in amounts.items() if k not in INCOME_LABELS)
    left = page.get_by_role("status").filter(has_text="Left each month")
    expect(left).to_contain_text(portal.money(income - spending, "en"))
    for label, value in spending_amounts.items():  # the figures are kept, as typed
        assert parse_money(page.get_by_label(label, exact=True).input_value()) == Decimal(value)
    steps.shot("money-worked-out")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1, name="Documents (optional)")).to_be_visible()
    expect(page.get_by_text(f"Step {total - 3} of {total}", exact=True)).to_be_visible()


INCOME_LABELS = {"Wages or salary", "Farming and livestock income"}


def skip_documents(page: Page, steps: Steps, total: int = 6) -> None:
    expect(page.get_by_label("Add a file")).to_be_visible()
    steps.shot("documents")
    page.get_by_role("link", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Plans you can choose")).to_be_visible()
    expect(page.get_by_text(f"Step {total - 2} of {total}", exact=True)).to_be_visible()


# Where a plan's payments are read (issue 15: no single "usual" figure): the next payment, big, and the list of
# every payment; a seasonal plan's harvest months change its list, not its first (interest) payment.
NEXT_PAYMENT = "[data-due=next] dd"
EVERY_PAYMENT = "ul.payments"


def monthly_label(plan: str) -> str:
    """What changes when a plan's terms change: the list of payments for a seasonal plan, else the next one."""
    return EVERY_PAYMENT if plan == SEASONAL else NEXT_PAYMENT


def plan_figure(scope, label: str):
    """A payment figure (NEXT_PAYMENT, EVERY_PAYMENT) or the value beside a label in a list of figures."""
    if label in (NEXT_PAYMENT, EVERY_PAYMENT):
        return scope.locator(label).first
    return figure(scope, label)


def check_options(page: Page, steps: Steps, offered: list[str], not_offered: list[str]):
    """Each plan is a card named by its heading; each plan on offer says whether it fits the budget."""
    cards = {}
    for title in offered:
        card = page.get_by_role("region", name=title, exact=True)
        expect(card).to_be_visible()
        expect(card.get_by_role("link", name="Choose this plan")).to_be_visible()
        expect(card.get_by_text(FITS)).to_have_count(1)
        expect(plan_figure(card, monthly_label(title))).to_have_text(re.compile(r"\d"))
        cards[title] = card
    for title in not_offered:
        expect(page.get_by_role("region", name=title, exact=True)).to_have_count(0)
    for card in (
        page.get_by_role("region").filter(has=page.get_by_role("link", name="Choose this plan")).all()
    ):
        expect(card.get_by_text(FITS)).to_have_count(1)  # also any plan this test did not name
    steps.shot("options")
    return cards


def see_schedule(page: Page, steps: Steps, card, title: str) -> None:
    """ "See the whole new schedule" opens the plan's schedule table; "Back" returns to the plans."""
    options_url = page.url
    card.get_by_role("link", name="See the whole new schedule").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    table = page.get_by_role("table", name="New schedule")
    expect(table).to_be_visible()
    assert table.get_by_role("row").count() >= 2, "the new schedule has no installments"
    expect(page.get_by_text(FITS)).to_have_count(1)
    steps.shot("schedule")
    page.get_by_role("link", name="Back", exact=True).click()
    expect(page).to_have_url(options_url)


def preview(page: Page) -> Callable[[str], object]:
    region = page.get_by_role("region", name="With these choices")
    return lambda label: plan_figure(region, label)


def choose_and_send(page: Page, portal: LivePortal, steps: Steps, reference: str, plan: str, terms: str):
    """From the plan page: choose, check the answers, send, and read the acknowledgement."""
    monthly = preview(page)(monthly_label(plan)).inner_text()
    page.get_by_role("button", name="Choose this plan and continue").click()
    expect(page.get_by_role("heading", level=1, name="Check your answers before sending")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Step (6 of 6|7 of 7)$"))).to_be_visible()
    expect(figure(page, "Plan")).to_contain_text(plan)
    expect(figure(page, "Plan")).to_contain_text(terms)
    expect(plan_figure(page, monthly_label(plan))).to_have_text(monthly)
    changes = page.get_by_role("link", name=re.compile(r"^Change\b"))
    for answer in ("Reasons", "How long it may last", "Income", "Essential spending", "Documents", "Plan"):
        expect(page.get_by_role("link", name=f"Change {answer}", exact=True)).to_be_visible()
    assert changes.count() >= 7
    steps.shot("check")

    page.get_by_role("button", name="Send my application").click()
    expect(page).to_have_url(f"{portal.url}/applications/{reference}?sent=1")
    panel = page.get_by_role("status").filter(has=page.get_by_role("heading", name="Application sent"))
    expect(panel).to_be_visible()
    expect(panel.locator("strong")).to_have_text(REFERENCE)
    expect(panel.locator("strong")).to_have_text(reference)
    assert date_long(portal, decision_due(portal), "en") == DUE_EN
    expect(page.get_by_text(f"We will decide by {DUE_EN}")).to_be_visible()
    expect(figure(page, "Decision due by")).to_have_text(DUE_EN)
    expect(figure(page, "Status")).to_have_text("Sent, waiting for review")
    expect(figure(page, "Plan asked for")).to_contain_text(plan)
    steps.shot("sent")
    assert application_status(portal, reference) == "submitted"


def withdraw(page: Page, portal: LivePortal, steps: Steps, reference: str) -> None:
    """The acknowledgement's "Withdraw this application" link, then the confirmation (also frees the loan for the
    next test)."""
    page.get_by_role("link", name="Withdraw this application").click()
    expect(page.get_by_role("button", name="Yes, withdraw it")).to_be_visible()  # the confirmation has loaded
    steps.shot("withdraw-confirm")
    page.get_by_role("button", name="Yes, withdraw it").click()
    expect(page.get_by_role("status").filter(has_text="Your application has been withdrawn.")).to_be_visible()
    expect(figure(page, "Status")).to_have_text("Withdrawn")
    expect(page.get_by_role("link", name="Withdraw this application")).to_have_count(0)
    steps.shot("withdrawn")
    assert application_status(portal, reference) == "withdrawn"


@pytest.mark.parametrize(
    ("phone", "js", "run"),
    [("13800000001", True, "urban"), ("13800000005", False, "urban-nojs")],
    ids=["13800000001-js", "13800000005-no-js"],
)
def test_urban_borrower_asks_for_an_installment_plan(
    make_page, live_portal: LivePortal, applicant, phone: str, js: bool, run: str
):
    applicant(phone)
    page = make_page(js=js, viewport=PHONE, locale="en-GB")
    steps = Steps(page, run)
    sign_in_in_english(page, live_portal, phone)

    reference = start(page, steps)
    why = page.get_by_role("group", name="Why is it hard to pay at the moment?")
    expect(why.get_by_role("checkbox", name="Crop failure")).to_have_count(0)  # rural only
    tell_hardship(
        page,
        steps,
        ["I lost my job"],
        "Less than 6 months",
        "My company closed in September. I start a new job in January.",
    )
    expect(page.get_by_label("Seed", exact=True)).to_have_count(0)  # rural only
    tell_money(
        page, live_portal, steps, {"Wages or salary": "6000", "Food": "1500", "Rent or housing": "1200"}
    )
    skip_documents(page, steps)

    expect(
        page.get_by_text(f"You told us {live_portal.money(Decimal('3300'), 'en')} is left")
    ).to_be_visible()
    cards = check_options(page, steps, [INSTALLMENTS, EXTENSION], [SEASONAL])
    see_schedule(page, steps, cards[EXTENSION], EXTENSION)

    page.get_by_role("region", name=INSTALLMENTS, exact=True).get_by_role(
        "link", name="Choose this plan"
    ).click()
    expect(page.get_by_role("heading", level=1, name=INSTALLMENTS)).to_be_visible()
    expect(page.get_by_text("Step 5 of 6", exact=True)).to_be_visible()
    figures = preview(page)
    months = page.get_by_label("Over how many months?")
    before = {label: figures(label).inner_text() for label in (NEXT_PAYMENT, "Overdue amount cleared by")}
    steps.shot("plan")
    assert months.input_value() != "6"
    months.select_option("6")
    page.get_by_role("button", name="Update the figures").click()
    expect(figures(NEXT_PAYMENT)).not_to_have_text(before[NEXT_PAYMENT])
    expect(figures("Overdue amount cleared by")).not_to_have_text(before["Overdue amount cleared by"])
    expect(months).to_have_value("6")
    # The overdue amount over 6 months instead of more: a larger monthly payment, up to date sooner.
    assert parse_money(figures(NEXT_PAYMENT).inner_text()) > parse_money(before[NEXT_PAYMENT])
    steps.shot("plan-updated")

    choose_and_send(page, live_portal, steps, reference, INSTALLMENTS, "Overdue amount in 6 monthly parts")
    withdraw(page, live_portal, steps, reference)


def test_urban_borrower_changes_an_answer_from_the_check_page(make_page, live_portal: LivePortal, applicant):
    """A "Change" link leads to the step with the answers kept, and saving it leads back to the check page."""
    phone = applicant("13800000001")
    page = make_page(viewport=PHONE, locale="en-GB")
    steps = Steps(page, "urban-change")
    sign_in_in_english(page, live_portal, phone)
    start(page, steps)
    tell_hardship(page, steps, ["My salary is paid late"], "Less than 6 months", "")
    page.get_by_label("Wages or salary", exact=True).fill("6000")
    page.get_by_label("Food", exact=True).fill("1500")
    fill_blank_amounts(page.get_by_role("main"))
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("link", name="Continue", exact=True).click()
    page.get_by_role("region", name=EXTENSION, exact=True).get_by_role(
        "link", name="Choose this plan"
    ).click()
    page.get_by_role("button", name="Choose this plan and continue").click()
    check_url = page.url
    expect(figure(page, "Left each month")).to_have_text(live_portal.money(Decimal("4500"), "en"))

    page.get_by_role("link", name="Change Essential spending", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Your money each month")).to_be_visible()
    assert parse_money(page.get_by_label("Food", exact=True).input_value()) == Decimal("1500")
    page.get_by_label("Rent or housing", exact=True).fill("1200")
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(check_url)
    expect(figure(page, "Left each month")).to_have_text(live_portal.money(Decimal("3300"), "en"))
    expect(figure(page, "Plan")).to_contain_text(EXTENSION)


@pytest.mark.both_databases  # an application made through a real browser on each database
def test_rural_borrower_without_javascript_asks_for_a_seasonal_plan(
    make_page, live_portal: LivePortal, applicant
):
    phone = applicant("13800000002")
    page = make_page(js=False, viewport=PHONE, locale="en-GB")
    steps = Steps(page, "rural")
    sign_in_in_english(page, live_portal, phone)

    reference = start(page, steps)
    why = page.get_by_role("group", name="Why is it hard to pay at the moment?")
    expect(why.get_by_role("checkbox", name="My salary is paid late")).to_have_count(0)  # urban only
    tell_hardship(
        page,
        steps,
        ["Crop failure", "Farm prices fell"],
        "Less than 6 months",
        "The summer floods ruined half of the rice. We sell the rest in July and October.",
        rural=True,
    )
    expect(page.get_by_label("Farming and livestock income", exact=True)).to_be_visible()
    tell_money(
        page,
        live_portal,
        steps,
        {
            "Farming and livestock income": "5000",
            "Food": "1200",
            "Seed": "400",
            "Fertiliser and pesticide": "300",
        },
        rural=True,
    )
    skip_documents(page, steps, total=7)

    cards = check_options(page, steps, [INSTALLMENTS, EXTENSION], [])
    see_schedule(page, steps, cards[EXTENSION], EXTENSION)

    # The seasonal plan has no figures until the farmer chooses their own harvest months.
    seasonal = page.get_by_role("region", name=SEASONAL, exact=True)
    expect(seasonal.locator("dl.figures")).to_have_count(0)
    seasonal.get_by_role("link", name=re.compile(r"^Choose your harvest months")).click()
    expect(page.get_by_role("heading", level=1, name=SEASONAL)).to_be_visible()
    figures = preview(page)
    expect(page.get_by_role("region", name="With these choices").locator("dl.figures")).to_have_count(0)
    steps.shot("plan")
    harvest = page.get_by_role("group", name="In which months do you sell your harvest or livestock?")
    assert not any(box.is_checked() for box in harvest.get_by_role("checkbox").all())
    harvest.get_by_role("checkbox", name="July", exact=True).check()
    harvest.get_by_role("checkbox", name="October", exact=True).check()
    page.get_by_role("button", name="Update the figures").click()
    expect(figures(monthly_label(SEASONAL))).to_have_text(re.compile(r"\d"))
    checked = [
        box.get_attribute("value") for box in harvest.get_by_role("checkbox").all() if box.is_checked()
    ]
    assert checked == ["7", "10"]
    # The new schedule's largest payments fall in July and October.
    page.get_by_role("region", name="With these choices").get_by_text("See the whole new schedule").click()
    table = page.get_by_role("table", name="New schedule")
    expect(table).to_be_visible()
    steps.shot("plan-updated")

    choose_and_send(page, live_portal, steps, reference, SEASONAL, "Larger payments in: July and October.")
    withdraw(page, live_portal, steps, reference)


def test_chinese_run_by_roles_and_structure(make_page, live_portal: LivePortal, applicant):
    """Simplified Chinese, found by roles and page structure only: 13800000004 has two loans, one overdue."""
    phone = applicant("13800000004")
    page = make_page(viewport=PHONE, locale="zh-CN")
    steps = Steps(page, "zh")
    page.goto(f"{live_portal.url}/sign-in")
    sign_in(page, live_portal, "zh_Hans", phone=phone)
    expect(page).to_have_url(f"{live_portal.url}/")
    loans = page.get_by_role("main").get_by_role("region").filter(has=page.locator("a[href^='/loans/']"))
    expect(loans).to_have_count(2)

    english: dict[str, list[str]] = {}

    def at(step: str) -> None:
        expect_lang(page, "zh_Hans")
        english[step] = english_words(page)
        steps.shot(step)

    reference = apply_by_structure(page, at)
    SCREENSHOTS.joinpath("apply-zh-english-left.json").write_text(
        json.dumps(english, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    assert not any(english.values()), f"English left on Chinese pages: {english}"
    panel = page.get_by_role("status").filter(has=page.get_by_role("heading", level=1))
    expect(panel.locator("strong")).to_have_text(REFERENCE)
    expect(panel.locator("strong")).to_have_text(reference)
    due = date_long(live_portal, decision_due(live_portal), "zh_Hans")
    assert due == "2026年12月9日"
    expect(page.get_by_role("main").get_by_role("listitem").filter(has_text=due)).to_have_count(1)
    assert application_status(live_portal, reference) == "submitted"

    page.locator(f"a[href='/applications/{reference}/withdraw']").click()  # withdraw: the page asks first
    expect(page).to_have_url(f"{live_portal.url}/applications/{reference}/withdraw")
    page.get_by_role("main").locator("form").get_by_role("button").click()
    expect(page).to_have_url(f"{live_portal.url}/applications/{reference}")
    steps.shot("withdrawn")
    assert application_status(live_portal, reference) == "withdrawn"
