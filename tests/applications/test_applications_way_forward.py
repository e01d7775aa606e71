"""Issue 15 items 6 and 8: a way forward when no plan fits (the borrower's own offer, answered by staff with a
counter-offer; a call back or a visit from the plans page), an approved plan above the affordable amount that
says why, and forms that hold a person's hand (every line required, errors in page order and in the title,
the worked-out result where the person is looking, a start page and a Back link on every step)."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.applications import decisions, drafting, offers, serialisation
from portal.loans.services import ServiceError
from portal.people.models import StaffUser
from tests.helpers.applications import (
    URBAN,
    application,
    budget_data,
    database,
    error_ids,
    hardship_data,
    loan_number,
    move,
    path_of,
    plan_data,
    reference_of,
    signed_in,
    snapshot,
    start,
    submit_budget,
    summary_errors,
    text,
)

# Income far below spending: disposable income is negative, so no plan fits.
SHORT = {"income_wages": "1000", "income_business": "0"}


def _draft(app, **budget):
    """A signed-in client and a draft with the hardship and the money pages filled in: (client, reference)."""
    client = signed_in(app, URBAN)
    reference = reference_of(start(client, loan_number(app, URBAN)))
    base = f"/applications/{reference}"
    assert client.submit(f"{base}/hardship", hardship_data()).status_code == 303
    submit_budget(client, base, **budget)
    return client, reference


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def _reviewer(session) -> StaffUser:
    return session.scalars(select(StaffUser).where(StaffUser.username == "reviewer1")).one()


# --- item 6: a way forward -------------------------------------------------------------------------------


def test_when_no_plan_fits_the_plans_page_offers_an_own_offer_and_a_call_back_first(demo):
    client, reference = _draft(demo, **SHORT)
    html = client.get(f"/applications/{reference}/options").get_data(as_text=True)

    heading = html.index(text(demo, "No plan fits what you have left"))
    assert heading < html.index('<div class="option-grid">')  # before the plans, not after them
    assert f'href="/applications/{reference}/propose"' in html
    assert f'href="/help/callback?from={reference}"' in html


def test_when_a_plan_fits_the_way_forward_is_still_offered_after_the_plans(demo):
    client, reference = _draft(demo, income_wages="90000")
    html = client.get(f"/applications/{reference}/options").get_data(as_text=True)

    assert text(demo, "No plan fits what you have left") not in html
    assert html.index(text(demo, "None of these right for you?")) > html.index('<div class="option-grid">')


def test_a_call_back_asked_from_the_plans_page_comes_back_to_the_plans(demo):
    client, reference = _draft(demo, **SHORT)
    page = client.get(f"/help/callback?from={reference}").get_data(as_text=True)
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)

    assert f'<a href="/applications/{reference}/options">{text(demo, "Back to the plans")}</a>' in page
    response = client.submit(f"/help/callback?from={reference}", {"key": key, "window": "morning"})
    assert path_of(response) == f"/applications/{reference}/options"
    # Only the borrower's own draft is a way back; anything else goes to the help page as before.
    other = client.get("/help/callback?from=https://evil.example/").get_data(as_text=True)
    assert 'href="https://evil' not in other
    assert '<p class="back"><a href="/help">' in other


def test_the_own_offer_is_money_positive_and_no_more_than_what_is_owed(demo):
    client, reference = _draft(demo, **SHORT)
    url = f"/applications/{reference}/propose"
    for typed, message in (
        ("", "Enter the amount you can pay each month."),
        ("abc", "Enter an amount like 1500 or 1500.50."),
        ("0", "Enter an amount more than 0."),
        ("-5", "The amount cannot be negative."),
    ):
        html = client.submit(url, {"monthly": typed}).get_data(as_text=True)
        assert error_ids(html) == ["monthly"], typed
        assert text(demo, message) in html, typed
        assert _title(html).startswith("错误：")
    too_much = client.submit(url, {"monthly": "9999999"}).get_data(as_text=True)
    assert error_ids(too_much) == ["monthly"]
    assert snapshot(demo, reference)["option"] is None  # nothing was stored

    response = client.submit(url, {"monthly": "800"})
    assert path_of(response) == f"/applications/{reference}/check"
    check = client.get(path_of(response)).get_data(as_text=True)
    assert text(demo, "You can pay each month") in check and "¥800.00" in check


def test_an_own_offer_is_sent_then_answered_only_with_a_counter_offer_the_borrower_sees(demo):
    client, reference = _draft(demo, **SHORT)
    client.submit(f"/applications/{reference}/propose", {"monthly": "800"})
    sent = client.submit(f"/applications/{reference}/check")
    assert path_of(sent) == f"/applications/{reference}?sent=1"
    with database(demo) as session:
        row = application(session, reference)
        assert (row.status, row.option) == ("submitted", "proposal")
        assert row.quote["regular_payment"] == "800.00" and row.quote["schedule"] == []

    move(demo, reference, "in_review")
    with database(demo) as session:
        row, staff = application(session, reference), _reviewer(session)
        row.claimed_by_id = staff.id
        try:
            decisions.approve(
                session, row, staff, as_of=demo.config["BUSINESS_DATE"], seen_version=row.row_version
            )
        except ServiceError as error:
            assert error.code == "counter_offer_needed"
        else:
            raise AssertionError("a proposal was approved as asked")
        session.rollback()
        row, staff = application(session, reference), _reviewer(session)
        row.claimed_by_id = staff.id
        terms = serialisation.terms_from_json({"months": 24, "pay_day": 10})
        status = decisions.counter(
            session,
            row,
            staff,
            as_of=demo.config["BUSINESS_DATE"],
            seen_version=row.row_version,
            kind="installment_plan",
            terms=terms,
            message="按您每月800元的能力，分24个月还逾期部分。",
        )
        session.commit()
        offered = offers.offered_quote(session, row, demo.config["BUSINESS_DATE"])
    assert status == "countered"

    offer = client.get(f"/applications/{reference}/offer").get_data(as_text=True)
    assert text(demo, "We offer you a different plan") in offer
    assert "按您每月800元的能力" in offer
    assert re.search(r"¥800\.00", offer)  # what the borrower offered, in the "you asked for" column
    assert "schedule you asked for" not in offer
    first = offered.schedule[0]
    assert f"{first.total:,.2f}" in offer


def test_an_approved_plan_above_the_affordable_amount_says_why_it_is_offered(demo):
    client, reference = _draft(demo, **SHORT)
    assert client.submit(f"/applications/{reference}/plan/installment_plan", plan_data(12)).status_code == 303
    assert path_of(client.submit(f"/applications/{reference}/check")).endswith("?sent=1")
    move(demo, reference, "in_review", "approved")
    why = text(demo, "Why we offer this plan although it is more than we suggest")

    offer = client.get(f"/applications/{reference}/offer").get_data(as_text=True)
    assert why in offer
    assert text(demo, "The reviewer's message to you:") not in offer  # no message: the standard reason
    standard = (
        "This is the plan you asked for. No plan within %(limit)s a month clears what is owed within the time "
        "our rules allow, so it is offered as you asked."
    )
    assert text(demo, standard, limit="¥0.00") in offer  # nothing is left each month: ¥0.00 is affordable

    move(demo, reference, decision_note="您的收入暂时不够，但这是最短期限的方案。")
    offer = client.get(f"/applications/{reference}/offer").get_data(as_text=True)
    assert why in offer and "您的收入暂时不够" in offer


def test_a_plan_within_the_affordable_amount_is_offered_without_an_explanation(demo):
    client, reference = _draft(demo, income_wages="90000")
    assert client.submit(f"/applications/{reference}/plan/installment_plan", plan_data(12)).status_code == 303
    client.submit(f"/applications/{reference}/check")
    move(demo, reference, "in_review", "approved")
    offer = client.get(f"/applications/{reference}/offer").get_data(as_text=True)
    assert text(demo, "Why we offer this plan although it is more than we suggest") not in offer


# --- item 8: forms that hold a person's hand -------------------------------------------------------------


def test_an_empty_money_page_is_refused_at_every_line_in_page_order_with_error_in_the_title(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))
    url = f"/applications/{reference}/money"
    page = client.get(url).get_data(as_text=True)
    fields = re.findall(r'<input[^>]*name="((?:income|spending)_[a-z_]+|other_debt|dependants)"', page)

    html = client.submit(url, {"dependants": ""}).get_data(as_text=True)

    assert [field for field, _message in summary_errors(html)] == fields  # every line, in page order
    assert error_ids(html) == fields
    wages = text(demo, "Wages or salary")
    named = text(demo, "%(field)s: enter an amount, or 0 if there is none.", field=wages)
    assert summary_errors(html)[0] == ("income_wages", named)  # each blank line named in the summary
    assert html.count(named) == 2  # in the summary and at the field
    assert _title(html).startswith("错误：")
    assert re.search(r'<div class="error-summary"[^>]*autofocus', html)
    assert 'class="total-box"' not in html  # no result beside errors
    assert snapshot(demo, reference)["budget"] == {}


def test_zero_entered_as_0_is_accepted_and_work_it_out_lands_on_the_focused_result(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))
    url = f"/applications/{reference}/money"
    response = client.submit(url, {**budget_data(), "action": "calculate"})

    assert response.headers["Location"].endswith(f"{url}?worked=1#result")
    html = client.get(f"{url}?worked=1").get_data(as_text=True)
    assert re.search(r'<div class="total-box" role="status" id="result" tabindex="-1" autofocus>', html)
    # The result sits right above the buttons, where "work it out" was pressed.
    assert html.index('id="result"') < html.index('name="action" value="calculate"')
    assert not _title(html).startswith("错误：")


def test_money_fields_show_the_currency_and_say_it_to_screen_readers(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))
    html = client.get(f"/applications/{reference}/money").get_data(as_text=True)
    wages = re.search(r'<input[^>]*name="income_wages"[^>]*>', html).group(0)

    assert "income_wages-unit" in wages
    assert (
        f'<span class="visually-hidden" id="income_wages-unit">{text(demo, "Amount in yuan")}</span>' in html
    )
    assert '<span class="input-unit" aria-hidden="true">元</span>' in html


def test_the_ask_for_a_plan_button_leads_to_a_start_page_that_starts_nothing_until_its_button(demo):
    client = signed_in(demo, URBAN)
    number = loan_number(demo, URBAN)
    dashboard = client.get("/").get_data(as_text=True)
    assert f'href="/loans/{number}/help"' in dashboard

    page = client.get(f"/loans/{number}/help").get_data(as_text=True)
    assert text(demo, "What you will need") in page and text(demo, "How long it takes") in page
    assert text(demo, "What happens next") in page
    assert f'<p class="back"><a href="/loans/{number}">' in page
    with database(demo) as session:
        assert (
            drafting.open_application(session, _loan(session, number)) is None
        )  # opening it changed nothing

    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    response = client.submit(f"/loans/{number}/help", {"key": key})
    assert re.search(r"/applications/RA\d+/hardship$", path_of(response))


def _loan(session, number):
    from portal.loans.models import Loan

    return session.scalars(select(Loan).where(Loan.number == number)).one()


def test_every_step_has_a_back_link_to_the_step_before(demo):
    client, reference = _draft(demo)
    number = loan_number(demo, URBAN)
    base = f"/applications/{reference}"
    client.submit(f"{base}/plan/installment_plan", plan_data(12))
    expected = {
        "hardship": f"/loans/{number}/help",
        "money": f"{base}/hardship",
        "evidence": f"{base}/money",
        "options": f"{base}/evidence",
        "plan/installment_plan": f"{base}/options",
        "propose": f"{base}/options",
        "check": f"{base}/plan/installment_plan",
        "money?return=check": f"{base}/check",
    }
    for step, back in expected.items():
        html = client.get(f"{base}/{step}").get_data(as_text=True)
        assert f'<p class="back"><a href="{back}">{text(demo, "Back")}</a></p>' in html, step


def test_the_title_starts_with_error_on_every_step_form_with_errors(demo):
    client, reference = _draft(demo)
    base = f"/applications/{reference}"
    for url, data in (
        (f"{base}/hardship", {}),
        (f"{base}/plan/installment_plan", {"upfront": "abc", "months": "12", "pay_day": "10"}),
        (f"{base}/propose", {"monthly": ""}),
    ):
        html = client.submit(url, data).get_data(as_text=True)
        assert _title(html).startswith("错误："), url
        assert re.search(r'<div class="error-summary"[^>]*autofocus', html), url
    assert not _title(client.get(f"{base}/hardship").get_data(as_text=True)).startswith("错误")


def test_staff_find_a_borrowers_own_offer_in_the_queue_and_its_case_asks_for_a_counter_offer(demo):
    from tests.helpers.common import staff_sign_in

    client, reference = _draft(demo, **SHORT)
    client.submit(f"/applications/{reference}/propose", {"monthly": "800"})
    client.submit(f"/applications/{reference}/check")
    staff = demo.test_client()
    assert staff_sign_in(staff, "reviewer1").status_code in (302, 303)

    proposals = staff.get("/staff/queue?kind=proposal").get_data(as_text=True)
    plans = staff.get("/staff/queue?kind=installment_plan").get_data(as_text=True)
    assert reference in proposals and reference not in plans

    case = staff.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assert text(demo, "The borrower proposes to pay %(amount)s a month.", amount="¥800.00") in case
    version = re.search(r'id="claim-version" name="version" type="hidden" value="(\d+)"', case).group(1)
    assert (
        staff.submit(
            f"/staff/cases/{reference}/claim", {"version": version}, page=f"/staff/cases/{reference}"
        ).status_code
        == 303
    )
    held = staff.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assert f'action="/staff/cases/{reference}/counter"' in held
    assert f'action="/staff/cases/{reference}/approve"' not in held  # nothing to approve as asked
    assert text(demo, "A proposal cannot be approved as asked: send a counter-offer below.") in held
