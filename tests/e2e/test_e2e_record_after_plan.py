"""Issue 15's bullets on the record and on what to pay now, replayed in a real browser on a 390×844 phone.

- "After a plan is accepted the loan page loses the record": the loan page lists every payment (those before the
  plan too), each schedule row adds up with carried-over arrears in their own column, the header describes the
  plan in force and links its agreement; the earlier schedule's page lists its payments.
- "Waivers vanish": the penalty a reviewer waives is named on the offer with what is still owed, and the
  agreement does not list it as owed.
- "Nothing says what to pay now": the dashboard says the arrears and the next installment are both owed (and
  the total), the confirmation page says to keep paying and what falls due, and accepting lands on a short page
  with the new schedule's first payment, the agreement one tap away.

Every figure is read off the page as a person sees it and compared with what the database stores. Accepting
restructures the loan for good, so the module serves the demo on a database and port of its own; the tests on
borrower 13800000001 run in file order (before the plan, the plan, after it).

Screenshots: test-artifacts/screenshots/record-*.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.helpers.common import settings
from tests.helpers.e2e import (
    ACCEPT_LANGUAGE,
    DEMO_BORROWER,
    PHONE,
    LivePortal,
    application_status,
    apply_by_structure,
    date_long,
    expect_fits_width,
    own_live_portal,
    parse_money,
    shot,
    sign_in,
    withdraw_open_applications,
)

LANGS = ("zh_Hans", "zh_Hant", "en")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    """The demo on a fresh database, served on a port of its own (accepting a plan changes the loan for good)."""
    with own_live_portal(
        settings,
        tmp_path_factory.mktemp("e2e-record"),
        pg_name=f"portal_e2e_record_{os.getpid()}",
        extra_borrowers=5,
    ) as live:
        yield live


def signed_in(make_page, portal: LivePortal, lang: str, phone: str = DEMO_BORROWER) -> Page:
    """A phone in `lang`, signed in as `phone` (whose saved language is set to `lang` first)."""
    portal.set_borrower_locale(phone, lang)
    page = make_page(viewport=PHONE, locale=ACCEPT_LANGUAGE[lang])
    page.goto(f"{portal.url}/sign-in")
    sign_in(page, portal, lang, phone=phone)
    expect(page).to_have_url(f"{portal.url}/")
    return page


def _loan(portal: LivePortal, phone: str = DEMO_BORROWER):
    from portal import db
    from portal.loans.positions import loan_position
    from portal.loans.queries import borrower_loans
    from portal.people.models import Borrower

    borrower = db.session.scalar(select(Borrower).where(Borrower.phone == phone))
    return next(
        loan
        for loan in borrower_loans(db.session, borrower.id)
        if loan_position(db.session, loan, portal.as_of).report.total_to_bring_current > 0
        or len(loan_position(db.session, loan, portal.as_of).versions) > 1
    )


def stored_pay_now(portal: LivePortal, phone: str = DEMO_BORROWER):
    """What to pay now by the stored schedule and payments of the borrower's overdue (or restructured) loan."""
    from portal import db
    from portal.domain.paynow import pay_now
    from portal.loans.positions import loan_position

    with portal.app.app_context():
        loan = _loan(portal, phone)
        return loan.number, pay_now(loan_position(db.session, loan, portal.as_of).report)


def money_in(locator) -> Decimal:
    return parse_money(locator.inner_text())


# --- before any plan: the dashboard ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_dashboard_says_the_arrears_and_the_next_installment_are_both_owed(make_page, portal, lang):
    number, now = stored_pay_now(portal)
    assert now.both_owed
    page = signed_in(make_page, portal, lang)

    box = page.locator(f"#pay-now-{number}")
    expect(box).to_be_visible()
    assert money_in(box.get_by_test_id("now-overdue")) == now.overdue
    assert money_in(box.get_by_test_id("now-next")) == now.next_amount
    assert money_in(box.get_by_test_id("now-total")) == now.overdue + now.next_amount
    expect(box).to_contain_text(date_long(portal, now.next_date, lang))
    # How to pay, one tap away: the bank account and the loan number as the reference.
    box.locator("summary").click()
    expect(box.locator("details p").first).to_contain_text(number)
    expect(box.locator("details p").first).to_contain_text(portal.app.config["BANK_ACCOUNT"])
    expect_fits_width(page)
    shot(page, f"record-dashboard-{lang}")


# --- sending an application: the confirmation page -------------------------------------------------------------


def test_the_confirmation_page_says_to_keep_paying_and_what_falls_due(make_page, portal):
    withdraw_open_applications(portal, DEMO_BORROWER)
    page = signed_in(make_page, portal, "zh_Hans")
    reference = apply_by_structure(page, lambda step: None)

    number, now = stored_pay_now(portal)
    box = page.get_by_test_id("pay-now")
    expect(box.get_by_test_id("keep-paying")).to_contain_text(
        portal.ui_text("Keep paying while we decide.", "zh_Hans")
    )
    assert money_in(box.get_by_test_id("now-next")) == now.next_amount
    assert money_in(box.get_by_test_id("now-overdue")) == now.overdue
    assert money_in(box.get_by_test_id("now-total")) == now.total
    expect(box).to_contain_text(date_long(portal, now.next_date, "zh_Hans"))
    box.locator("summary").click()
    box.locator("details a").click()
    expect(page).to_have_url(f"{portal.url}/loans/{number}#pay-title")
    page.go_back()
    expect_fits_width(page)
    shot(page, "record-sent-zh_Hans")
    withdraw_open_applications(portal, DEMO_BORROWER)
    assert application_status(portal, reference) == "withdrawn"


# --- an offer with a waiver, accepted -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def offer_with_waiver(portal: LivePortal) -> dict:
    """Borrower 13800000001's installment plan, approved by reviewer1 with the penalty interest waived (through
    the services). Returns the reference and what the waiver forgoes today by the stored ledger."""
    from portal import db
    from portal.applications import decisions
    from portal.applications.models import Application
    from portal.domain import arrears as arrears_rules
    from portal.loans.positions import loan_position
    from portal.people.models import StaffUser
    from tests.helpers.e2e import arrange_submitted_application

    withdraw_open_applications(portal, DEMO_BORROWER)
    reference = arrange_submitted_application(portal, DEMO_BORROWER)
    with portal.app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == reference))
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == "reviewer1"))
        decisions.claim(db.session, application, staff, seen_version=application.row_version)
        status = decisions.approve(
            db.session,
            application,
            staff,
            as_of=portal.as_of,
            seen_version=application.row_version,
            waivers={"penalty": True},
        )
        assert status == "approved"
        report = loan_position(db.session, application.loan, portal.as_of).report
        db.session.commit()
        return {
            "reference": reference,
            "waived": arrears_rules.waivable(report)["penalty"],
            "before": report.total_to_bring_current,
        }


@pytest.mark.parametrize("lang", LANGS)
def test_the_offer_names_the_waived_penalty_and_what_is_still_owed(
    make_page, portal, offer_with_waiver, lang
):
    reference = offer_with_waiver["reference"]
    assert offer_with_waiver["waived"] > 0
    page = signed_in(make_page, portal, lang)
    page.goto(f"{portal.url}/applications/{reference}/offer")

    box = page.get_by_test_id("waivers")
    expect(box).to_be_visible()
    assert money_in(box.get_by_test_id("waived-penalty")) == offer_with_waiver["waived"]
    assert money_in(box.get_by_test_id("owed-before-waiver")) == offer_with_waiver["before"]
    assert money_in(box.get_by_test_id("owed-after-waiver")) == (
        offer_with_waiver["before"] - offer_with_waiver["waived"]
    )
    expect(box.get_by_test_id("waived-compound")).to_have_count(0)
    expect_fits_width(page)
    box.scroll_into_view_if_needed()
    shot(page, f"record-offer-{lang}")


def _version_lines(portal: LivePortal, reference: str) -> list:
    from portal import db
    from portal.applications.models import Application
    from portal.loans.models import ScheduleVersion

    with portal.app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == reference))
        version = db.session.get(ScheduleVersion, application.schedule_version_id)
        return [
            (line.number, line.due_date, line.principal_fen, line.interest_fen, line.charges_fen)
            for line in version.lines
        ]


def test_accepting_lands_on_what_to_pay_now_with_the_agreement_one_tap_away(
    make_page, portal, offer_with_waiver
):
    reference = offer_with_waiver["reference"]
    page = signed_in(make_page, portal, "zh_Hans")
    page.goto(f"{portal.url}/applications/{reference}/offer")
    page.get_by_label(portal.ui_text("Your password", "zh_Hans"), exact=True).fill("Demo-pass-2026")
    page.get_by_role("button", name=portal.ui_text("Accept the plan", "zh_Hans"), exact=True).click()

    expect(page).to_have_url(f"{portal.url}/applications/{reference}?accepted=1")
    assert application_status(portal, reference) == "active"
    box = page.get_by_test_id("pay-now")
    first = next(line for line in _version_lines(portal, reference) if line[1] >= portal.as_of)
    assert money_in(box.get_by_test_id("now-next")) == Decimal(first[2] + first[3] + first[4]) / 100
    expect(box).to_contain_text(date_long(portal, first[1], "zh_Hans"))
    expect(box.get_by_test_id("keep-paying")).to_have_count(0)
    # The box and the way to the agreement are on the first screen, not below a long document.
    assert box.bounding_box()["y"] < PHONE["height"]
    link = page.get_by_role("link", name=portal.ui_text("Read and print your agreement", "zh_Hans"))
    assert link.bounding_box()["y"] < PHONE["height"]
    landing_height = page.evaluate("document.documentElement.scrollHeight")
    expect_fits_width(page)
    shot(page, "record-accepted-zh_Hans")

    link.click()
    expect(page).to_have_url(f"{portal.url}/applications/{reference}/agreement")
    assert landing_height < page.evaluate("document.documentElement.scrollHeight")
    # The agreement names the waiver and does not list the waived penalty as owed.
    waived = offer_with_waiver["waived"]
    box = page.get_by_test_id("waivers")
    assert money_in(box.get_by_test_id("waived-penalty")) == waived
    penalty_row = (
        page.locator("table.sum-table")
        .first.get_by_role("row")
        .filter(
            has=page.get_by_role("rowheader", name=portal.ui_text("Penalty interest", "zh_Hans"), exact=True)
        )
    )
    assert money_in(penalty_row.get_by_role("cell")) == 0
    assert money_in(page.get_by_test_id("agreement-total-overdue")) == offer_with_waiver["before"] - waived
    assert money_in(box.get_by_test_id("owed-after-waiver")) == offer_with_waiver["before"] - waived
    expect_fits_width(page)
    shot(page, "record-agreement-zh_Hans")


# --- after the plan: the loan page keeps the record -----------------------------------------------------------


def _stored_record(portal: LivePortal) -> dict:
    from portal import db
    from portal.loans.positions import loan_position

    with portal.app.app_context():
        loan = _loan(portal)
        position = loan_position(db.session, loan, portal.as_of)
        return {
            "number": loan.number,
            "payments": sorted((p.reference, p.amount) for p in position.all_payments),
            "versions": [v.version for v in position.versions],
            "lines": {
                line.number: (line.principal_fen, line.interest_fen, line.charges_fen)
                for line in position.version.lines
            },
        }


@pytest.mark.parametrize("lang", LANGS)
def test_the_loan_page_keeps_every_payment_and_its_columns_add_up_after_the_plan(
    make_page, portal, offer_with_waiver, lang
):
    reference = offer_with_waiver["reference"]
    assert application_status(portal, reference) == "active", "runs after the acceptance test"
    record = _stored_record(portal)
    assert record["versions"] == [1, 2] and record["payments"]
    page = signed_in(make_page, portal, lang)
    page.goto(f"{portal.url}/loans/{record['number']}")

    # Every payment, those before the plan too.
    rows = page.get_by_test_id("payments").locator("tbody tr")
    expect(rows).to_have_count(len(record["payments"]))
    shown = sorted(
        (rows.nth(i).locator("td").nth(1).inner_text().strip(), money_in(rows.nth(i).locator("td").nth(2)))
        for i in range(rows.count())
    )
    assert shown == record["payments"]
    # Every row adds up: principal + interest + carried-over arrears = amount due, and equals the stored line.
    schedule = page.locator("table.schedule tbody tr")
    assert schedule.count() > 0
    for i in range(schedule.count()):
        cells = schedule.nth(i).locator("td")
        number = int(cells.nth(0).inner_text())
        principal, interest, carried, due = (money_in(cells.nth(k)) for k in (2, 3, 4, 5))
        assert principal + interest + carried == due, (number, principal, interest, carried, due)
        assert (principal, interest, carried) == tuple(Decimal(f) / 100 for f in record["lines"][number])
    # The plan in force, with its agreement.
    plan = page.get_by_test_id("plan-in-force")
    with portal.app.test_request_context(headers={"Accept-Language": ACCEPT_LANGUAGE[lang]}):
        from flask_babel import force_locale

        from portal.i18n import labels

        with force_locale(lang):
            kind = str(labels.OPTIONS["installment_plan"])
    expect(plan.get_by_test_id("plan-kind")).to_have_text(kind)
    expect(plan).to_contain_text(date_long(portal, portal.as_of, lang))
    expect_fits_width(page)
    shot(page, f"record-loan-after-plan-{lang}")
    plan.get_by_role("link").click()
    expect(page).to_have_url(f"{portal.url}/applications/{reference}/agreement")
    expect(page.get_by_test_id("waivers")).to_be_visible()
    expect_fits_width(page)
    shot(page, f"record-agreement-{lang}")


def test_the_earlier_schedule_page_lists_the_payments_made_under_it(make_page, portal, offer_with_waiver):
    assert application_status(portal, offer_with_waiver["reference"]) == "active", "runs after acceptance"
    record = _stored_record(portal)
    page = signed_in(make_page, portal, "zh_Hans")
    page.goto(f"{portal.url}/loans/{record['number']}/schedules/1")
    rows = page.get_by_test_id("payments").locator("tbody tr")
    expect(rows).to_have_count(len(record["payments"]))
    expect_fits_width(page)
    shot(page, "record-schedule-1-zh_Hans")
