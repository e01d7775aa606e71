"""The borrower's journey through HTTP, urban and rural: start, hardship, money, options, plan, check, submit."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.applications.models import Application
from portal.core.models import Notification
from portal.people.models import Borrower
from tests.helpers.applications import (
    DECISION_DUE,
    DISPOSABLE,
    RURAL,
    URBAN,
    application,
    budget_data,
    database,
    date_long,
    error_ids,
    field_errors,
    hardship_data,
    loan_number,
    money,
    path_of,
    plain,
    plan_data,
    reference_of,
    signed_in,
    snapshot,
    start,
    submit_budget,
    text,
)

VARIANTS = [
    pytest.param(URBAN, "urban", "salary_late", "crop_failure", id="urban"),
    pytest.param(RURAL, "rural", "crop_failure", "salary_late", id="rural"),
]

RURAL_ONLY_SPENDING = ("seed", "fertiliser", "feed")


def _reason_values(html: str) -> list[str]:
    return re.findall(r'name="reasons"[^>]*value="([^"]+)"', html)


@pytest.mark.parametrize(("phone", "variant", "offered", "not_offered"), VARIANTS)
def test_start_redirects_to_the_hardship_step_of_a_new_draft(demo, phone, variant, offered, not_offered):
    client = signed_in(demo, phone)
    number = loan_number(demo, phone)

    response = start(client, number)

    assert response.status_code == 303
    reference = reference_of(response)
    assert path_of(response) == f"/applications/{reference}/hardship"
    assert re.fullmatch(r"RA\d{4}\d{6}", reference)
    with database(demo) as session:
        row = application(session, reference)
        assert (row.status, row.variant, row.loan.number, row.borrower.phone) == (
            "draft",
            variant,
            number,
            phone,
        )
        assert row.policy_pack.variant == variant


@pytest.mark.parametrize(("phone", "variant", "offered", "not_offered"), VARIANTS)
def test_hardship_page_offers_the_reasons_of_the_variant(demo, phone, variant, offered, not_offered):
    client = signed_in(demo, phone)
    reference = reference_of(start(client, loan_number(demo, phone)))

    html = client.get(f"/applications/{reference}/hardship").get_data(as_text=True)

    values = _reason_values(html)
    assert offered in values
    assert not_offered not in values
    assert values[-1] == "other"
    if variant == "rural":
        assert {"crop_failure", "livestock_disease", "farm_price_drop"} <= set(values)
    else:
        assert values.count("salary_late") == 1 and "livestock_disease" not in values


@pytest.mark.parametrize(("phone", "variant", "offered", "not_offered"), VARIANTS)
def test_hardship_refuses_a_reason_not_offered_in_the_variant(demo, phone, variant, offered, not_offered):
    client = signed_in(demo, phone)
    reference = reference_of(start(client, loan_number(demo, phone)))

    response = client.submit(
        f"/applications/{reference}/hardship", hardship_data(reasons=("income_reduced", not_offered))
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_ids(html) == ["reasons"]
    assert snapshot(demo, reference)["reasons"] == []
    assert snapshot(demo, reference)["duration"] is None


@pytest.mark.parametrize(("phone", "variant", "offered", "not_offered"), VARIANTS)
def test_hardship_saves_the_reasons_duration_and_account(demo, phone, variant, offered, not_offered):
    client = signed_in(demo, phone)
    reference = reference_of(start(client, loan_number(demo, phone)))

    response = client.submit(
        f"/applications/{reference}/hardship",
        hardship_data(reasons=(offered, "other"), duration="longer", account="  The harvest failed.  "),
    )

    assert response.status_code == 303
    assert path_of(response) == f"/applications/{reference}/money"
    saved = snapshot(demo, reference)
    assert (saved["reasons"], saved["duration"], saved["account"]) == (
        [offered, "other"],
        "longer",
        "The harvest failed.",
    )
    # Shown again when the borrower comes back.
    html = client.get(f"/applications/{reference}/hardship").get_data(as_text=True)
    assert re.search(rf'checked[^>]*value="{offered}"|value="{offered}"[^>]*checked', html)
    assert re.search(r'checked[^>]*value="longer"|value="longer"[^>]*checked', html)


def test_hardship_does_not_store_a_reason_twice(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))

    response = client.submit(
        f"/applications/{reference}/hardship", hardship_data(reasons=("lost_job", "lost_job"))
    )

    assert response.status_code in (200, 303)
    assert snapshot(demo, reference)["reasons"] in ([], ["lost_job"])


def test_hardship_requires_a_reason_and_a_duration(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))

    response = client.submit(f"/applications/{reference}/hardship", {"account": "x"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_ids(html) == ["reasons", "duration"]
    assert field_errors(html) == [
        text(demo, "Choose at least one reason."),
        text(demo, "Choose how long you think it will last."),
    ]


def test_hardship_account_over_2000_characters_is_refused(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))

    response = client.submit(f"/applications/{reference}/hardship", hardship_data(account="x" * 2001))

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True)) == [text(demo, "Write at most 2,000 characters.")]
    assert snapshot(demo, reference)["reasons"] == []
    assert (
        client.submit(f"/applications/{reference}/hardship", hardship_data(account="x" * 2000)).status_code
        == 303
    )


@pytest.mark.parametrize(("phone", "variant"), [(URBAN, "urban"), (RURAL, "rural")])
def test_money_page_offers_the_variant_spending_and_shows_what_is_left(demo, phone, variant):
    client = signed_in(demo, phone)
    reference = reference_of(start(client, loan_number(demo, phone)))
    # Rural asks income on one page and spending on the next; urban asks both on one page.
    spending_page = f"/applications/{reference}/{'spending' if variant == 'rural' else 'money'}"
    money_page = client.get(f"/applications/{reference}/money").get_data(as_text=True)
    if variant == "rural":
        assert 'name="spending_food"' not in money_page
        response = client.submit(f"/applications/{reference}/money", budget_data(variant))
        assert path_of(response) == spending_page
    page = client.get(spending_page).get_data(as_text=True)
    for code in RURAL_ONLY_SPENDING:
        assert (f'name="spending_{code}"' in page) is (variant == "rural")
    left = text(demo, "Left each month after essentials and other debts")
    assert left not in page

    response = client.submit(spending_page, {**budget_data(variant), "action": "calculate"})

    assert response.status_code == 303
    assert path_of(response) == f"{spending_page}?worked=1"  # scrolled to the result (#result), focused
    html = client.get(spending_page).get_data(as_text=True)
    total_box = re.search(r'<div class="total-box" role="status"[^>]*>(.*?)</div>', html, re.S).group(1)
    if variant == "urban":
        assert left in total_box
    assert f'<p class="total-amount">{money(demo, DISPOSABLE)}</p>' in total_box
    assert money(demo, DISPOSABLE) == "¥1,234.50"
    # The stored figures are in fen and come back in the form.
    budget = snapshot(demo, reference)["budget"]
    assert budget["income"]["wages"] == 300000 and budget["income"]["business"] == 100050
    assert budget["other_debt"] == 50000 and budget["dependants"] == 2 and budget["complete"] is True
    income_html = client.get(f"/applications/{reference}/money").get_data(as_text=True)
    shown = re.search(r'name="income_business" type="text" value="([^"]*)"', income_html).group(1)
    assert Decimal(shown) == Decimal("1000.50")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Enter an amount like 1500 or 1500.50."),
        ("-5", "The amount cannot be negative."),
        ("1.234", "Enter the amount in yuan with at most 2 decimal places."),
        ("99999999999", "That amount is too large. Check it and try again."),
    ],
)
def test_money_refuses_a_bad_amount_with_a_field_error_and_saves_nothing(demo, value, message):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))

    response = client.submit(f"/applications/{reference}/money", budget_data(income_wages=value))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_ids(html) == ["income_wages"]
    assert field_errors(html) == [text(demo, message)]
    assert snapshot(demo, reference)["budget"] == {}


def test_money_refuses_a_bad_amount_and_keeps_the_earlier_budget(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))
    assert client.submit(f"/applications/{reference}/money", budget_data()).status_code == 303
    before = snapshot(demo, reference)["budget"]

    response = client.submit(
        f"/applications/{reference}/money", budget_data(income_wages="99999", other_debt="-5")
    )

    assert response.status_code == 200
    assert error_ids(response.get_data(as_text=True)) == ["other_debt"]
    assert snapshot(demo, reference)["budget"] == before


@pytest.mark.parametrize(("phone", "variant"), [(URBAN, "urban"), (RURAL, "rural")])
def test_options_page_lists_the_policy_options(demo, phone, variant):
    client = signed_in(demo, phone)
    reference = reference_of(start(client, loan_number(demo, phone)))
    submit_budget(client, f"/applications/{reference}", variant)
    with database(demo) as session:
        offered = list(application(session, reference).policy_pack.data["options"])

    html = client.get(f"/applications/{reference}/options").get_data(as_text=True)

    assert re.findall(r'<h2 id="opt-([a-z_]+)">', html) == offered
    expected = (
        ["installment_plan", "extension", "seasonal", "grace"]
        if variant == "rural"
        else ["installment_plan", "extension"]
    )
    assert offered == expected
    seasonal = text(demo, "Pay in the months you earn (seasonal plan)")
    assert (seasonal in html) is (variant == "rural")
    told = text(
        demo,
        "You told us %(amount)s is left each month after essentials.",
        variant=variant,
        amount=money(demo, DISPOSABLE),
    )
    assert told in html


def test_plan_preview_shows_figures_then_choose_records_the_plan(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))
    client.submit(f"/applications/{reference}/hardship", hardship_data())
    client.submit(f"/applications/{reference}/money", budget_data())
    url = f"/applications/{reference}/plan/installment_plan"
    assert client.get(url).status_code == 200

    preview = client.submit(url, plan_data(months=6, pay_day=12, action="preview"))

    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert re.search(r'<option selected value="6">6</option>|<option value="6" selected>', html)
    assert text(demo, "New schedule") in html
    assert snapshot(demo, reference)["option"] is None

    chosen = client.submit(url, plan_data(months=6, pay_day=12, action="choose"))

    assert chosen.status_code == 303
    assert path_of(chosen) == f"/applications/{reference}/check"
    saved = snapshot(demo, reference)
    assert saved["option"] == "installment_plan"
    assert (saved["terms"]["months"], saved["terms"]["pay_day"], saved["terms"]["upfront"]) == (6, 12, "0.00")


def test_plan_refuses_months_outside_the_policy(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))
    client.submit(f"/applications/{reference}/money", budget_data())

    response = client.submit(f"/applications/{reference}/plan/installment_plan", plan_data(months=25))

    assert response.status_code == 200
    assert error_ids(response.get_data(as_text=True)) == ["months"]
    assert snapshot(demo, reference)["option"] is None


def test_plan_refuses_paying_the_whole_arrears_upfront(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))
    client.submit(f"/applications/{reference}/money", budget_data())

    response = client.submit(
        f"/applications/{reference}/plan/installment_plan", {**plan_data(), "upfront": "9999999"}
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_ids(html) == ["upfront"]
    assert field_errors(html) == [text(demo, "Paying now must be less than the whole overdue amount.")]
    assert snapshot(demo, reference)["option"] is None


def test_an_urban_borrower_cannot_choose_the_seasonal_plan(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))
    url = f"/applications/{reference}/plan/seasonal"

    shown = client.get(url)
    chosen = client.submit(
        url, {"income_months": ["3", "9"], "action": "choose"}, page=f"/applications/{reference}/hardship"
    )

    for response in (shown, chosen):
        assert response.status_code == 303
        assert path_of(response) == f"/applications/{reference}/options"
    html = client.get(f"/applications/{reference}/options").get_data(as_text=True)
    assert text(demo, "This plan is not offered for your loan.") in html
    assert snapshot(demo, reference)["option"] is None


def test_check_page_has_a_change_link_per_answer(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))
    client.submit(f"/applications/{reference}/hardship", hardship_data())
    client.submit(f"/applications/{reference}/money", budget_data())
    client.submit(f"/applications/{reference}/plan/installment_plan", plan_data())

    html = client.get(f"/applications/{reference}/check").get_data(as_text=True)

    links = re.findall(r'<dd class="change"><a href="([^"]+)">', html)
    base = f"/applications/{reference}"
    assert links == [
        f"{base}/hardship?return=check",  # reasons
        f"{base}/hardship?return=check",  # duration
        f"{base}/hardship?return=check",  # account
        f"{base}/money?return=check",  # income
        f"{base}/money?return=check",  # spending
        f"{base}/money?return=check",  # other debt
        f"{base}/money?return=check",  # dependants
        f"{base}/evidence?return=check",  # documents
        f"{base}/plan/installment_plan",  # the plan
    ]
    # A change made from the check page comes back to it.
    back = client.submit(
        f"{base}/hardship?return=check", hardship_data(account="Changed."), page=f"{base}/hardship"
    )
    assert path_of(back) == f"{base}/check"
    assert snapshot(demo, reference)["account"] == "Changed."


def test_check_page_lists_what_is_missing_and_has_no_send_button(demo):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))

    html = client.get(f"/applications/{reference}/check").get_data(as_text=True)
    response = client.submit(f"/applications/{reference}/check", page=f"/applications/{reference}/hardship")

    assert text(demo, "Some answers are missing") in html
    assert text(demo, "Send my application") not in html
    assert response.status_code == 200
    assert snapshot(demo, reference)["status"] == "draft"


@pytest.mark.parametrize(("phone", "variant"), [(URBAN, "urban"), (RURAL, "rural")])
def test_the_whole_journey_submits_and_acknowledges(demo, phone, variant):
    client = signed_in(demo, phone)
    number = loan_number(demo, phone)
    reference = reference_of(start(client, number))
    base = f"/applications/{reference}"
    reason = "crop_failure" if variant == "rural" else "salary_late"
    assert path_of(client.submit(f"{base}/hardship", hardship_data(reasons=(reason,)))) == f"{base}/money"
    assert path_of(submit_budget(client, base, variant)) == f"{base}/evidence"
    assert client.get(f"{base}/evidence").status_code == 200
    assert client.get(f"{base}/options").status_code == 200
    assert client.submit(f"{base}/plan/installment_plan", plan_data(action="preview")).status_code == 200
    assert path_of(client.submit(f"{base}/plan/installment_plan", plan_data())) == f"{base}/check"

    response = client.submit(f"{base}/check")

    assert response.status_code == 303
    assert path_of(response) == f"{base}?sent=1"
    html = client.get(f"{base}?sent=1").get_data(as_text=True)
    assert f'<strong class="reference">{reference}</strong>' in html
    due = date_long(demo, DECISION_DUE)
    assert due == "2026年12月9日"
    assert text(demo, "We will decide by %(date)s and tell you by text message.", date=due) in html
    assert text(demo, "Application sent") in html
    status = text(demo, "Sent, waiting for review")
    assert f'<span class="tag tag-app-submitted">{status}</span>' in html
    with database(demo) as session:
        row = application(session, reference)
        assert row.status == "submitted"
        assert row.decision_due == DECISION_DUE
        assert row.quote["kind"] == "installment_plan" and row.amount_fen > 0
        borrower = session.scalars(select(Borrower).where(Borrower.phone == phone)).one()
        outbox = session.scalars(
            select(Notification)
            .where(Notification.borrower_id == borrower.id, Notification.kind == "application_received")
            .order_by(Notification.id)
        ).all()
        locale = borrower.locale
    expected = plain(
        demo,
        "We received your application %(reference)s. We will decide by %(date)s and tell you by text message.",
        locale=locale,
        reference=reference,
        date=due,
    )
    assert [(n.channel, n.locale, n.body) for n in outbox] == [
        ("sms", "zh_Hans", expected),
        ("portal", "zh_Hans", expected),
    ]
    # Written in Chinese, not the English source text with a Chinese date in it.
    assert reference in expected and due in expected
    assert not expected.startswith("We received")
    assert re.search(r"[\u4e00-\u9fff]", expected.replace(due, ""))


def test_acknowledgement_is_written_in_the_borrower_language(demo):
    with database(demo) as session:
        borrower = session.scalars(select(Borrower).where(Borrower.phone == URBAN)).one()
        borrower.locale = "en"
        session.commit()
    client = signed_in(demo, URBAN)
    number = loan_number(demo, URBAN)
    reference = reference_of(start(client, number))
    base = f"/applications/{reference}"
    client.submit(f"{base}/hardship", hardship_data())
    client.submit(f"{base}/money", budget_data())
    client.submit(f"{base}/plan/installment_plan", plan_data())

    assert client.submit(f"{base}/check").status_code == 303

    html = client.get(f"{base}?sent=1").get_data(as_text=True)
    assert "We will decide by 9 December 2026 and tell you by text message." in html
    with database(demo) as session:
        bodies = session.scalars(
            select(Notification.body).where(Notification.kind == "application_received")
        ).all()
        row = session.scalars(select(Application).where(Application.reference == reference)).one()
        assert row.status == "submitted"
    assert (
        bodies
        == [
            f"We received your application {reference}. We will decide by 9 December 2026 and tell you by text "
            "message."
        ]
        * 2
    )
