"""Issue 15, replayed in a browser on a phone: a chosen pay day makes one payment date a month (13800000001),
the upfront payment has a date after acceptance and says how to pay it, and the seasonal plan is built only on
the harvest months the farmer chose (13800000002). Each test reads the dates and amounts a person sees and
compares them with the schedule the portal stores.

Accepting an offer restructures the loan for good, so this module serves the demo on a database of its own
(like test_e2e_staff_approval). Screenshots at 390×844 in all three languages: test-artifacts/screenshots/
payday-*.png.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from test_e2e_apply_journey import (
    INSTALLMENTS,
    SEASONAL,
    Steps,
    sign_in_in_english,
    skip_documents,
    start,
    tell_hardship,
    tell_money,
)

from tests.helpers.common import settings
from tests.helpers.e2e import (
    PHONE,
    SCREENSHOTS,
    LivePortal,
    application_row,
    arrange_decision,
    date_long,
    expect_fits_width,
    own_live_portal,
    parse_money,
    shot,
    switch_language,
)

BANK_ACCOUNT = "6228 4801 2345 6789 012"
AXE = Axe()
LANGS = ("zh_Hans", "zh_Hant", "en")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    with own_live_portal(
        settings,
        tmp_path_factory.mktemp("e2e-payday"),
        pg_name=f"portal_e2e_payday_{os.getpid()}",
        extra_borrowers=4,
    ) as live:
        yield live


def in_three_languages(page: Page, name: str, redo=None, focus=None) -> None:
    """Screenshots of the page in each language (the header's control), ending in English again, each checked
    by axe-core. Switching reloads the page: `redo()` puts back what a form showed (ids and values only)."""
    for lang in LANGS:
        switch_language(page, lang)
        if redo:
            redo()
        expect_fits_width(page)
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        found = [
            f"{rule['id']} at {node['target']}: {rule['help']}"
            for rule in AXE.run(page).response["violations"]
            for node in rule["nodes"]
        ]
        assert not found, f"axe on {name} ({lang}):\n" + "\n".join(found)
        shot(page, f"payday-{name}-{lang}")
        if focus is not None:  # and the screen a person sees there, to look at
            focus.first.evaluate("element => element.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(SCREENSHOTS / f"payday-{name}-{lang}-screen.png"))


def table_rows(page: Page, name: str) -> list[tuple[str, Decimal]]:
    """(due date text, amount due) of each row of the schedule table `name`, as shown."""
    rows = []
    for row in page.get_by_role("table", name=name).locator("tbody tr").all():
        cells = row.locator("td")
        rows.append((cells.nth(1).inner_text().strip(), parse_money(cells.last.inner_text())))
    return rows


def stored_schedule(portal: LivePortal, reference: str) -> tuple[list, date | None]:
    """The schedule version the accepted application put in force, and the agreement's upfront date."""
    from sqlalchemy import select

    from portal import db
    from portal.applications.models import Application
    from portal.domain.money import from_fen
    from portal.loans.models import ScheduleVersion

    with portal.app.app_context():
        row = db.session.scalar(select(Application).where(Application.reference == reference))
        version = db.session.get(ScheduleVersion, row.schedule_version_id)
        lines = [
            (line.due_date, from_fen(line.principal_fen + line.interest_fen + line.charges_fen))
            for line in version.lines
        ]
        due = row.agreement.get("upfront_due")
        return lines, date.fromisoformat(due) if due else None


def test_pay_day_15_makes_one_payment_a_month_and_the_upfront_is_due_after_acceptance(
    make_page, portal: LivePortal
):
    phone = "13800000001"
    page = make_page(js=True, viewport=PHONE, locale="en-GB")
    steps = Steps(page, "payday")
    sign_in_in_english(page, portal, phone)
    reference = start(page, steps)
    tell_hardship(page, steps, ["I lost my job"], "Less than 6 months", "My company closed in September.")
    tell_money(page, portal, steps, {"Wages or salary": "6000", "Food": "1500", "Rent or housing": "1200"})
    skip_documents(page, steps)
    page.get_by_role("region", name=INSTALLMENTS, exact=True).get_by_role(
        "link", name="Choose this plan"
    ).click()

    page.get_by_label("Which day of the month suits you to pay?").select_option("15")
    page.get_by_label("Pay something up front (optional)").fill("500")
    page.get_by_role("button", name="Update the figures").click()
    amount = portal.money(Decimal("500.00"), "en")
    upfront = page.get_by_role("region", name="Your up-front payment")
    expect(upfront).to_contain_text(f"Pay {amount} within 7 days of accepting our offer.")
    expect(upfront).to_contain_text(BANK_ACCOUNT)
    page.get_by_role("region", name="With these choices").get_by_text("See the whole new schedule").click()
    preview = table_rows(page, "New schedule")
    # Before acceptance the upfront is dated as if accepted today; every other date is the 15th.
    assert [day for day, _amount in preview if not day.startswith("15 ")] == [
        date_long(portal, portal.as_of + timedelta(days=7), "en")
    ]

    def redo_plan():
        page.locator("#pay_day").select_option("15")
        page.locator("#upfront").fill("500")
        page.locator('button[value="preview"]').click()

    in_three_languages(page, "plan", redo_plan, page.locator("#preview-title"))

    page.get_by_role("button", name="Choose this plan and continue").click()
    expect(page.get_by_role("heading", level=1, name="Check your answers before sending")).to_be_visible()
    expect(page.get_by_text(re.compile(r"paid on day 15 of each month"))).to_be_visible()
    upfront = page.get_by_role("region", name="Your up-front payment")
    expect(upfront).to_contain_text("within 7 days of accepting our offer")
    expect(upfront).to_contain_text(BANK_ACCOUNT)
    in_three_languages(page, "check", focus=page.locator("dl.summary").nth(2))
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("region", name="Your up-front payment")).to_contain_text(BANK_ACCOUNT)

    assert arrange_decision(portal, reference, "reviewer1") == "approved"
    page.goto(f"{portal.url}/applications/{reference}/offer")
    upfront = page.get_by_role("region", name="Your up-front payment")
    (shown,) = re.findall(rf"Pay {re.escape(amount)} by (\d{{1,2}} \w+ \d{{4}})\.", upfront.inner_text())
    expect(upfront).to_contain_text(BANK_ACCOUNT)
    offered = table_rows(page, "Offered schedule")
    in_three_languages(page, "offer", focus=page.locator("#upfront"))

    page.get_by_label("Your password", exact=True).fill("Demo-pass-2026")
    page.get_by_role("button", name="Accept the plan", exact=True).click()
    # Accepting lands on the short "your plan is in force" page, which says the up-front date too...
    expect(page).to_have_url(f"{portal.url}/applications/{reference}?accepted=1")
    expect(page.get_by_role("region", name="Your up-front payment")).to_contain_text(
        f"Pay {amount} by {shown}."
    )
    # ...and the agreement is one tap away.
    page.get_by_role("link", name="Read and print your agreement").click()
    expect(page).to_have_url(f"{portal.url}/applications/{reference}/agreement")
    expect(page.get_by_role("region", name="Your up-front payment")).to_contain_text(
        f"Pay {amount} by {shown}."
    )
    agreed = table_rows(page, "New schedule")
    in_three_languages(page, "agreement", focus=page.locator("#upfront"))

    lines, upfront_due = stored_schedule(portal, reference)
    assert application_row(portal, reference)["status"] == "active"
    # What the pages showed is what is stored, line by line.
    assert agreed == [(date_long(portal, day, "en"), amount) for day, amount in lines]
    assert offered[: len(agreed)] == agreed[: len(offered)]
    # The upfront: after the day of acceptance, within the pack's 7 days, as the offer said.
    assert date_long(portal, upfront_due, "en") == shown
    assert portal.as_of < upfront_due <= portal.as_of + timedelta(days=7)
    # One due date a month, the 15th, apart from the upfront payment's own date.
    others = [day for day, _amount in lines if day != upfront_due]
    assert {day.day for day in others} == {15}
    months = [day.year * 12 + day.month for day in others]
    assert months == list(range(months[0], months[0] + len(months)))


def test_the_seasonal_plan_uses_only_the_harvest_months_the_farmer_chose(make_page, portal: LivePortal):
    phone = "13800000002"
    page = make_page(viewport=PHONE, locale="en-GB")  # axe needs scripts (evaluate hangs without)
    steps = Steps(page, "payday-seasonal")
    sign_in_in_english(page, portal, phone)
    reference = start(page, steps)
    tell_hardship(
        page, steps, ["Crop failure"], "Less than 6 months", "The floods ruined the rice.", rural=True
    )
    tell_money(page, portal, steps, {"Farming and livestock income": "5000", "Food": "1200"}, rural=True)
    skip_documents(page, steps, total=7)

    card = page.get_by_role("region", name=SEASONAL, exact=True)
    expect(card.locator("dl.figures")).to_have_count(0)  # nothing built on months never chosen
    expect(card).to_contain_text("Choose them to see what it costs.")
    in_three_languages(page, "options", focus=page.locator("#opt-seasonal"))
    card.get_by_role("link", name=re.compile(r"^Choose your harvest months")).click()

    harvest = page.get_by_role("group", name="In which months do you sell your harvest or livestock?")
    assert [box.is_checked() for box in harvest.get_by_role("checkbox").all()] == [False] * 12
    expect(page.get_by_role("region", name="With these choices").locator("dl.figures")).to_have_count(0)
    page.get_by_role("button", name="Choose this plan and continue").click()
    expect(harvest.locator(".error-message")).to_contain_text("Choose 1 to 4 months.")  # at the field
    in_three_languages(
        page,
        "seasonal-none",
        lambda: page.locator('button[value="choose"]').click(),
        page.locator("fieldset"),
    )

    harvest.get_by_role("checkbox", name="March", exact=True).check()
    harvest.get_by_role("checkbox", name="September", exact=True).check()
    page.get_by_role("button", name="Choose this plan and continue").click()
    expect(page.get_by_role("heading", level=1, name="Check your answers before sending")).to_be_visible()
    shown_harvest = [item.inner_text().strip() for item in page.locator(".seasonal-harvest li").all()]
    shown_other = page.locator(".seasonal-other dd").first.inner_text()
    in_three_languages(page, "seasonal-check", focus=page.locator(".seasonal-harvest"))

    from sqlalchemy import select

    from portal import db
    from portal.applications import serialisation
    from portal.applications.models import Application

    with portal.app.app_context():
        row = db.session.scalar(select(Application).where(Application.reference == reference))
        assert row.terms["income_months"] == [3, 9]
        stored = serialisation.schedule_from_json(row.quote["schedule"])
    # Principal only in the chosen months; each harvest payment listed with its date, the rest as a range.
    assert {line.due_date.month for line in stored if line.principal} <= {3, 9}
    harvest_lines = [line for line in stored if line.due_date.month in (3, 9)]
    assert shown_harvest == [
        f"{date_long(portal, line.due_date, 'en')}: {portal.money(line.total, 'en')}"
        for line in harvest_lines
    ]
    other = [line.total for line in stored if line.due_date.month not in (3, 9)]
    assert portal.money(min(other), "en") in shown_other and portal.money(max(other), "en") in shown_other
    assert f"{len(other)} months" in shown_other
