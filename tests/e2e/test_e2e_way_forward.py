"""Issue 15, opening list: "When no plan fits there is no way forward: every plan shows '可能还不上' and nothing
else is offered". Replayed in Chromium with JavaScript on and off: the borrower whose plans all show "hard to
keep up" offers the amount they can pay, sends it, and reads the staff's counter-offer, whose figures are the
ones the portal stores. And the forms hold a person's hand: an empty money page is refused, the title starts
with the word for "Error", the error summary has the focus, "work it out" lands on the result, Back links."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.helpers.e2e import (
    ACCEPT_LANGUAGE,
    PHONE,
    LivePortal,
    expect_fits_width,
    fill_blank_amounts,
    parse_money,
    shot,
    sign_in,
    withdraw_open_applications,
)

PHONE_NUMBER = "13800000001"  # urban, two installments overdue
ERROR_WORD = {"zh_Hans": "错误：", "zh_Hant": "錯誤：", "en": "Error: "}


def _close_offers(portal: LivePortal, phone: str) -> None:
    """Arrange no open offer for the borrower (a countered application blocks a new one): decline it."""
    from portal import db
    from portal.applications import transitions
    from portal.applications.models import Application
    from portal.people.models import Borrower

    with portal.app.app_context():
        borrower = db.session.scalar(select(Borrower).where(Borrower.phone == phone))
        for row in db.session.scalars(
            select(Application).where(
                Application.borrower_id == borrower.id, Application.status.in_(("countered", "approved"))
            )
        ):
            target = "declined" if row.status == "countered" else "expired"
            transitions.move(
                db.session, row, target, role="borrower" if target == "declined" else "system", actor="system"
            )
        db.session.commit()


def _fresh(portal: LivePortal, lang: str) -> None:
    withdraw_open_applications(portal, PHONE_NUMBER)
    _close_offers(portal, PHONE_NUMBER)
    portal.set_borrower_locale(PHONE_NUMBER, lang)


def _counter_offer(portal: LivePortal, reference: str, note: str):
    """reviewer1 takes the case and answers the proposal with a 24-month installment plan (the services, as the
    staff case page's counter-offer form calls them). Returns the offer as the portal works it out."""
    from portal import db
    from portal.applications import decisions, offers, serialisation
    from portal.applications.models import Application
    from portal.people.models import StaffUser

    as_of = portal.as_of
    with portal.app.app_context():
        row = db.session.scalar(select(Application).where(Application.reference == reference))
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == "reviewer1"))
        decisions.claim(db.session, row, staff, seen_version=row.row_version)
        terms = serialisation.terms_from_json({"months": 24, "pay_day": 10})
        status = decisions.counter(
            db.session,
            row,
            staff,
            as_of=as_of,
            seen_version=row.row_version,
            kind="installment_plan",
            terms=terms,
            message=note,
        )
        db.session.commit()
        assert status == "countered"
        return offers.offered_quote(db.session, row, as_of)


def _stored(portal: LivePortal, reference: str) -> tuple[str, str | None, dict]:
    from portal import db
    from portal.applications.models import Application

    with portal.app.app_context():
        row = db.session.scalar(select(Application).where(Application.reference == reference))
        return row.status, row.option, dict(row.quote or {})


def _start(page: Page, t) -> str:
    """Dashboard → the first overdue loan's "ask for a plan" link → the start page → its button → step 1."""
    main = page.get_by_role("main")
    card = main.get_by_role("region").filter(has=page.get_by_test_id("total-to-bring-current")).first
    card.get_by_role("link", name=re.compile("^" + re.escape(t("Ask for a repayment plan")))).click()
    expect(page).to_have_url(re.compile(r"/loans/[^/]+/help$"))
    expect(page.get_by_role("heading", level=2, name=t("What you will need"))).to_be_visible()
    page.get_by_role("button", name=t("Start now")).click()
    expect(page).to_have_url(re.compile(r"/applications/RA\d{10}/hardship$"))
    return page.url.rsplit("/", 2)[1]


def _hardship(page: Page, t) -> None:
    page.get_by_role("checkbox", name=t("My income went down"), exact=True).check()
    page.get_by_role("radio", name=t("Less than 6 months"), exact=True).check()
    page.get_by_role("button", name=t("Save and continue")).click()


@pytest.mark.parametrize(("js", "lang"), [(True, "en"), (False, "zh_Hans")], ids=["js-en", "nojs-zh_Hans"])
def test_when_no_plan_fits_the_borrower_offers_an_amount_and_reads_the_staff_counter_offer(
    make_page, live_portal: LivePortal, js: bool, lang: str
):
    _fresh(live_portal, lang)
    page = make_page(js=js, viewport=PHONE, locale=ACCEPT_LANGUAGE[lang])

    def t(msgid: str) -> str:
        return live_portal.ui_text(msgid, lang)

    def money(amount) -> str:
        return live_portal.money(Decimal(amount), lang)

    run = f"forward-{'js' if js else 'nojs'}-{lang}"
    try:
        page.goto(f"{live_portal.url}/sign-in")
        sign_in(page, live_portal, lang, phone=PHONE_NUMBER)
        expect(page).to_have_url(f"{live_portal.url}/")
        reference = _start(page, t)
        _hardship(page, t)
        # Money: 1,000 in, 1,500 on food, the rest 0: nothing is left, so no plan can fit.
        page.get_by_label(t("Wages or salary"), exact=True).fill("1000")
        page.get_by_label(t("Food"), exact=True).fill("1500")
        fill_blank_amounts(page.get_by_role("main"))
        page.get_by_role("button", name=t("Save and continue")).click()
        page.get_by_role("link", name=t("Continue"), exact=True).click()
        expect(page).to_have_url(re.compile(r"/options$"))

        main = page.get_by_role("main")
        forward = main.get_by_role("region", name=t("No plan fits what you have left"))
        expect(forward).to_be_visible()
        cards = main.locator("section.option:not(.option-off)")
        assert cards.count() >= 1
        expect(cards.locator(".fit-yes")).to_have_count(0)  # every plan is "hard to keep up"...
        expect(cards.locator(".fit-no")).to_have_count(cards.count())
        # ...and the way forward comes before them, where the person starts reading.
        assert forward.bounding_box()["y"] < cards.first.bounding_box()["y"]
        call_back = forward.get_by_role("link", name=t("Ask us to call you back"))
        expect(call_back).to_have_attribute("href", f"/help/callback?from={reference}")
        expect_fits_width(page)
        shot(page, f"{run}-options")

        forward.get_by_role("link", name=t("Tell us what you can pay")).click()
        expect(page.get_by_role("heading", level=1, name=t("Tell us what you can pay"))).to_be_visible()
        amount = page.get_by_label(t("How much can you pay each month?"), exact=True)
        amount.fill("0")
        page.get_by_role("button", name=t("Continue")).click()
        expect(page).to_have_title(re.compile("^" + re.escape(ERROR_WORD[lang])))
        expect(page.get_by_role("main").locator(".error-message")).to_contain_text(
            t("Enter an amount more than 0.")
        )
        page.get_by_label(t("How much can you pay each month?"), exact=True).fill("800")
        shot(page, f"{run}-propose")
        page.get_by_role("button", name=t("Continue")).click()
        expect(page).to_have_url(re.compile(r"/check$"))
        figure = page.locator("dl.summary div").filter(has_text=t("You can pay each month")).locator("dd.num")
        expect(figure).to_have_text(money("800"))
        shot(page, f"{run}-check")
        page.get_by_role("button", name=t("Send my application")).click()
        expect(page).to_have_url(re.compile(rf"/applications/{reference}\?sent=1$"))
        status, option, quote = _stored(live_portal, reference)
        assert (status, option, quote["regular_payment"]) == ("submitted", "proposal", "800.00")

        note = "按您每月能还的800元，逾期部分分24个月还。"
        offered = _counter_offer(live_portal, reference, note)
        page.goto(f"{live_portal.url}/applications/{reference}/offer")
        expect(page.get_by_role("heading", level=1, name=t("We offer you a different plan"))).to_be_visible()
        expect(page.get_by_role("main")).to_contain_text(note)
        compare = page.get_by_role("table", name=t("Compared"))
        asked = compare.locator("tbody tr").first.locator("td").nth(1)
        assert parse_money(asked.inner_text()) == Decimal("800.00")  # what the borrower offered
        # The offered schedule as a person reads it: every listed payment is the portal's own figure.
        rows = page.get_by_role("table", name=t("Offered schedule")).locator("tbody tr")
        shown = [parse_money(rows.nth(i).locator("td").last.inner_text()) for i in range(rows.count())]
        assert shown == [line.total for line in offered.schedule[: len(shown)]]
        expect_fits_width(page)
        shot(page, f"{run}-offer")
        if not js:  # the borrower can say no, without a script
            page.get_by_role("button", name=t("Decline this offer")).click()
            assert _stored(live_portal, reference)[0] == "declined"
    finally:
        _fresh(live_portal, "zh_Hans")


@pytest.mark.parametrize(("js", "lang"), [(True, "zh_Hant"), (False, "en")], ids=["js-zh_Hant", "nojs-en"])
def test_the_money_page_refuses_an_empty_form_says_error_first_and_every_step_has_back(
    make_page, live_portal: LivePortal, js: bool, lang: str
):
    _fresh(live_portal, lang)
    page = make_page(js=js, viewport=PHONE, locale=ACCEPT_LANGUAGE[lang])

    def t(msgid: str) -> str:
        return live_portal.ui_text(msgid, lang)

    run = f"forms-{'js' if js else 'nojs'}-{lang}"
    try:
        page.goto(f"{live_portal.url}/sign-in")
        sign_in(page, live_portal, lang, phone=PHONE_NUMBER)
        expect(page).to_have_url(f"{live_portal.url}/")
        reference = _start(page, t)
        base = f"{live_portal.url}/applications/{reference}"

        page.get_by_role("button", name=t("Save and continue")).click()  # the hardship page, empty
        expect(page).to_have_title(re.compile("^" + re.escape(ERROR_WORD[lang])))
        _hardship(page, t)
        expect(page).to_have_url(f"{base}/money")
        expect(page).not_to_have_title(re.compile("^" + re.escape(ERROR_WORD[lang])))
        main = page.get_by_role("main")
        names = main.locator("input[inputmode='decimal'], input[name='dependants']").evaluate_all(
            "(els) => els.map((e) => e.name)"
        )
        page.get_by_label(t("How many people depend on your income?"), exact=True).fill("")

        page.get_by_role("button", name=t("Save and continue")).click()  # nothing filled in

        expect(page).to_have_url(f"{base}/money")
        expect(page).to_have_title(re.compile("^" + re.escape(ERROR_WORD[lang])))
        summary = main.locator(".error-summary")
        expect(summary).to_be_focused()  # the summary takes the focus, with or without a script
        links = summary.get_by_role("link").evaluate_all("(els) => els.map((e) => e.hash.slice(1))")
        assert links == names  # every line, in the order of the page
        expect(main.locator(".error-message")).to_have_count(len(names))
        expect(main.locator(".error-message").first).to_contain_text(
            t("%(field)s: enter an amount, or 0 if there is none.").replace("%(field)s", t("Wages or salary"))
        )
        expect(main.get_by_role("status")).to_have_count(0)  # no result beside errors
        shot(page, f"{run}-money-errors")

        page.get_by_label(t("Wages or salary"), exact=True).fill("6000")
        page.get_by_label(t("Food"), exact=True).fill("1500")
        fill_blank_amounts(main)
        page.get_by_label(t("How many people depend on your income?"), exact=True).fill("0")
        page.get_by_role("button", name=t("Work out what is left")).click()
        expect(page).to_have_url(f"{base}/money?worked=1#result")
        result = main.locator("#result")
        expect(result).to_be_focused()
        expect(result).to_be_in_viewport()
        expect(result).to_contain_text(live_portal.money(Decimal("4500"), lang))
        unit = "¥" if lang == "en" else "元"
        expect(main.locator(".input-money").first.locator(".input-unit")).to_have_text(unit)
        shot(page, f"{run}-money-worked-out")

        # Back, step by step, to the start page and the loan.
        page.get_by_role("link", name=t("Back"), exact=True).click()
        expect(page).to_have_url(f"{base}/hardship")
        page.get_by_role("link", name=t("Back"), exact=True).click()
        expect(page).to_have_url(re.compile(r"/loans/[^/]+/help$"))
        page.get_by_role("link", name=t("Back"), exact=True).click()
        expect(page).to_have_url(re.compile(r"/loans/[^/]+$"))
        for step, before in (("evidence", "money"), ("options", "evidence"), ("check", "options")):
            page.goto(f"{base}/{step}")
            page.get_by_role("link", name=t("Back"), exact=True).click()
            expect(page).to_have_url(f"{base}/{before}")
    finally:
        _fresh(live_portal, "zh_Hans")
