"""A reviewer opens the case of a loan restructured today (a borrower of this test's own, so the shared demo
people are left as they are) and reads its classification, special mention, with the observation period from
the first new payment to a year later, in each language; the dates are the ones the stored schedule gives."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.domain.classification import add_months
from tests.helpers.e2e import (
    DESKTOP,
    PHONE,
    LivePortal,
    approved_offer,
    date_long,
    set_staff_locale,
    shot,
    staff_sign_in,
)

BROWSER_LOCALE = {"zh_Hans": "zh-CN", "zh_Hant": "zh-TW", "en": "en-GB"}


@pytest.fixture(scope="module")
def restructured(live_portal: LivePortal) -> tuple[str, date]:
    """A new borrower whose consumer loan, two installments behind (about 60 days: special mention), was restructured today by an accepted
    12-month installment plan: (the application's reference, the first payment date of the new schedule)."""
    from portal import db
    from portal.applications import offers
    from portal.clock import business_date
    from portal.loans import services
    from portal.loans.models import LoanProduct
    from portal.people.models import Borrower

    with live_portal.app.test_request_context():
        as_of = business_date()
        model = db.session.scalar(select(Borrower).where(Borrower.phone == "13800000001"))
        borrower = services.register_borrower(
            db.session,
            phone="13899990010",
            name="观察期",
            id_number="110101199001011237",
            birth_date=date(1990, 1, 1),
            branch=model.home_branch,
            password_hash=model.password_hash,
        )
        product = db.session.scalar(select(LoanProduct).where(LoanProduct.code == "CONSUMER"))
        loan = services.open_loan(
            db.session,
            number=f"DKE2E{secrets.randbelow(10**7):07d}",
            borrower=borrower,
            branch=model.home_branch,
            product=product,
            principal=Decimal("24000"),
            annual_rate=Decimal("0.06"),
            months=24,
            start_date=add_months(as_of, -3),
            first_due=add_months(as_of, -2),
            purpose="consumption",
        )
        row = approved_offer(db.session, loan, as_of, income=Decimal("9000"), food=Decimal("1500"))
        actor = f"borrower:{borrower.id}"
        offers.accept(db.session, row, actor=actor, as_of=as_of, confirmation="password")
        db.session.commit()
        _version, lines = services.current_schedule(db.session, loan)
        first = next(line.due_date for line in lines if line.due_date >= as_of)
        return row.reference, first


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_case_page_shows_the_restructured_loans_class_and_observation_period(
    make_page, live_portal: LivePortal, restructured, lang, viewport
):
    reference, first = restructured
    ends = add_months(first, 12)
    set_staff_locale(live_portal, "reviewer1", lang)
    page = make_page(viewport=viewport, locale=BROWSER_LOCALE[lang])
    staff_sign_in(page, live_portal, "reviewer1", lang)
    page.goto(f"{live_portal.url}/staff/cases/{reference}")

    block = page.locator("#classification-observation")
    expect(block).to_be_visible()
    tier = live_portal.ui_text("Special mention", lang)
    expect(block).to_contain_text(live_portal.ui_text("Observation period", lang))
    heading = block.locator("strong").first.inner_text()
    assert tier in heading, heading
    period = page.locator("#observation-period").inner_text()
    end = page.locator("#observation-end").inner_text()
    with live_portal.app.test_request_context():
        from flask_babel import force_locale

        from portal import i18n

        with force_locale(lang):
            expected_period = (i18n.date_short(first), i18n.date_short(ends - timedelta(days=1)))
            expected_end = i18n.date_short(ends)
    assert expected_period[0] in period and expected_period[1] in period, period
    assert end == expected_end
    assert date_long  # the long form is for borrower pages; staff tables use the short one
    block.scroll_into_view_if_needed()
    name = "phone" if viewport is PHONE else "desktop"
    block.screenshot(
        path=str(
            shot(page, f"case-classification-{lang}-{name}").with_name(
                f"case-classification-block-{lang}-{name}.png"
            )
        )
    )
