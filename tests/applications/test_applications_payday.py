"""One payment date a month, the upfront payment's date and how to pay it, and seasonal plans built only on
the months the farmer chose (issue 15, items 3 and 4), through the borrower's own forms."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import force_locale, ngettext
from markupsafe import escape

from portal.applications import serialisation
from portal.domain.schedule import month_index
from portal.loans.models import ScheduleVersion
from tests.helpers.applications import (
    PASSWORD,
    RURAL,
    URBAN,
    application,
    database,
    date_long,
    field_errors,
    hardship_data,
    loan_number,
    money,
    move,
    notices,
    path_of,
    reference_of,
    signed_in,
    start,
    submit_budget,
    text,
)
from tests.helpers.common import BUSINESS_DATE

BANK_ACCOUNT = "6228 4801 2345 6789 012"  # config's demo account, shown on the loan page's "How to pay"


def _plan(months=12, pay_day=15, upfront="", action="choose") -> dict:
    return {"months": str(months), "pay_day": str(pay_day), "upfront": upfront, "action": action}


def _draft_with(app, phone: str, variant: str, kind: str, form: dict):
    """Hardship, money and the plan's form: (client, loan number, reference, response to the plan's form)."""
    client = signed_in(app, phone)
    number = loan_number(app, phone)
    reference = reference_of(start(client, number))
    base = f"/applications/{reference}"
    assert client.submit(f"{base}/hardship", hardship_data()).status_code == 303
    submit_budget(client, base, variant)
    return client, number, reference, client.submit(f"{base}/plan/{kind}", form)


def _send(client, reference: str) -> None:
    response = client.submit(f"/applications/{reference}/check")
    assert path_of(response) == f"/applications/{reference}?sent=1"


def _accept(client, reference: str, **data):
    form = {"password": PASSWORD, "code": ""}
    form.update(data)
    return client.post(
        f"/applications/{reference}/accept",
        data={**form, "csrf_token": client.csrf_token(f"/applications/{reference}/offer")},
    )


def _within(app, amount: str, days: int) -> str:
    """The pre-offer sentence for the upfront payment, as a zh_Hans page shows it."""
    with app.test_request_context(), force_locale("zh_Hans"):
        return str(
            escape(
                ngettext(
                    "Pay %(amount)s within %(num)d day of accepting our offer.",
                    "Pay %(amount)s within %(num)d days of accepting our offer.",
                    days,
                    amount=amount,
                )
            )
        )


def _shown_upfront_due(html: str) -> str:
    (value,) = re.findall(r'<input id="upfront_due" name="upfront_due" type="hidden" value="([^"]*)">', html)
    return value


def test_a_chosen_pay_day_moves_the_whole_installment_one_date_a_month(demo):
    client, _number, reference, response = _draft_with(demo, URBAN, "urban", "installment_plan", _plan())
    assert path_of(response) == f"/applications/{reference}/check"
    with database(demo) as session:
        stored = serialisation.schedule_from_json(application(session, reference).quote["schedule"])
    # Every due date is the 15th, and no month has two (the loan's own installments were on the 10th).
    assert {line.due_date.day for line in stored} == {15}
    months = [month_index(line.due_date) for line in stored]
    assert months == list(range(months[0], months[0] + len(months)))
    check = client.get(f"/applications/{reference}/check").get_data(as_text=True)
    assert "15" in re.sub(r"\s+", " ", check) and "upfront-title" not in check

    _send(client, reference)
    move(demo, reference, "in_review", "approved")
    assert _accept(client, reference).status_code == 303
    with database(demo) as session:
        row = application(session, reference)
        version = session.get(ScheduleVersion, row.schedule_version_id)
        assert {line.due_date.day for line in version.lines} == {15}
        assert len({month_index(line.due_date) for line in version.lines}) == len(version.lines)


def test_the_upfront_payment_has_a_date_after_acceptance_and_every_page_says_how_to_pay_it(demo):
    client, number, reference, response = _draft_with(
        demo, URBAN, "urban", "installment_plan", _plan(upfront="500")
    )
    assert response.status_code == 303
    amount = money(demo, Decimal("500.00"))
    within = _within(demo, amount, 7)

    def page(path):
        return re.sub(r"\s+", " ", client.get(path).get_data(as_text=True))

    plan_page = page(f"/applications/{reference}/plan/installment_plan")
    check_page = page(f"/applications/{reference}/check")
    for html in (plan_page, check_page):
        assert within in html and BANK_ACCOUNT in html and number in html
    _send(client, reference)
    assert within in page(f"/applications/{reference}")

    move(demo, reference, "in_review", "approved")
    offer = page(f"/applications/{reference}/offer")
    shown = date.fromisoformat(_shown_upfront_due(offer))
    # After acceptance (today, if accepted now) and within the pack's 7 days.
    assert BUSINESS_DATE < shown <= BUSINESS_DATE + timedelta(days=7)
    by = text(demo, "Pay %(amount)s by %(date)s.", amount=amount, date=date_long(demo, shown))
    assert by in offer and BANK_ACCOUNT in offer

    assert _accept(client, reference, upfront_due=shown.isoformat()).status_code == 303
    with database(demo) as session:
        row = application(session, reference)
        assert row.agreement["upfront_due"] == shown.isoformat()
        version = session.get(ScheduleVersion, row.schedule_version_id)
        on_the_day = [line for line in version.lines if line.due_date == shown]
        line = on_the_day[0]
        assert line.principal_fen + line.interest_fen + line.charges_fen >= 50000
        assert all(line.due_date > BUSINESS_DATE for line in version.lines)
    agreement = page(f"/applications/{reference}/agreement")
    assert by in agreement and BANK_ACCOUNT in agreement
    assert by in page(f"/applications/{reference}")


def test_an_offer_whose_upfront_date_has_come_is_not_accepted_as_it_stands(demo):
    client, _number, reference, _response = _draft_with(
        demo, URBAN, "urban", "installment_plan", _plan(upfront="500")
    )
    _send(client, reference)
    move(demo, reference, "in_review", "approved")
    # The page was opened a week ago and showed today's date: today leaves no day after acceptance to pay.
    response = _accept(client, reference, upfront_due=BUSINESS_DATE.isoformat())
    assert path_of(response) == f"/applications/{reference}/offer"
    with database(demo) as session:
        assert application(session, reference).status == "approved"
    offer = client.get(f"/applications/{reference}/offer").get_data(as_text=True)
    message = text(
        demo,
        "The up-front payment on the offer you saw was due by %(date)s, and that day has come. We have worked "
        "out a new date from today: check the offer again and accept it if it suits you.",
        date=date_long(demo, BUSINESS_DATE),
    )
    assert message in notices(offer)
    # The offer shown again carries a date from today, and is accepted with it.
    fresh = _shown_upfront_due(offer)
    assert date.fromisoformat(fresh) > BUSINESS_DATE
    assert (
        path_of(_accept(client, reference, upfront_due=fresh)) == f"/applications/{reference}?accepted=1"
    )  # the short "in force" page
    with database(demo) as session:
        assert application(session, reference).agreement["upfront_due"] == fresh


def _rural_seasonal(demo, months: list[str], action: str = "choose"):
    return _draft_with(demo, RURAL, "rural", "seasonal", {"income_months": months, "action": action})


def test_the_seasonal_plan_has_no_month_chosen_for_the_farmer(demo):
    client, _number, reference, response = _rural_seasonal(demo, [], action="preview")
    # Nothing ticked: the message stands at the field, and no figure is built on months never chosen.
    html = response.get_data(as_text=True)
    assert field_errors(html) == [text(demo, "Choose 1 to 4 months.")]
    assert "checked" not in re.search(r"<fieldset.*?</fieldset>", html, re.S).group(0)
    assert '<dl class="figures">' not in html
    fresh = client.get(f"/applications/{reference}/plan/seasonal").get_data(as_text=True)
    assert "checked" not in re.search(r"<fieldset.*?</fieldset>", fresh, re.S).group(0)
    options = client.get(f"/applications/{reference}/options").get_data(as_text=True)
    card = re.search(
        r'<section class="card option[^"]*" aria-labelledby="opt-seasonal">.*?</section>', options, re.S
    )
    assert '<dl class="figures">' not in card.group(0)
    assert f'href="/applications/{reference}/plan/seasonal"' in card.group(0)


def test_check_your_answers_lists_the_harvest_month_and_other_month_amounts(demo):
    client, _number, reference, response = _rural_seasonal(demo, ["3", "9"])
    assert path_of(response) == f"/applications/{reference}/check"
    with database(demo) as session:
        row = application(session, reference)
        stored = serialisation.schedule_from_json(row.quote["schedule"])
        assert row.terms["income_months"] == [3, 9]
    harvest = [line for line in stored if line.due_date.month in (3, 9)]
    other = [line for line in stored if line.due_date.month not in (3, 9)]
    assert harvest and other and all(line.principal > 0 for line in harvest)
    assert {line.due_date.month for line in stored if line.principal} <= {3, 9}
    html = client.get(f"/applications/{reference}/check").get_data(as_text=True)
    block = re.search(r'<div class="seasonal-harvest">.*?</div>', html, re.S).group(0)
    for line in harvest:
        assert (
            text(
                demo,
                "%(date)s: %(amount)s",
                date=date_long(demo, line.due_date),
                amount=money(demo, line.total),
            )
            in block
        )
    others = re.search(r'<div class="seasonal-other">.*?</div>', html, re.S).group(0)
    low, high = min(line.total for line in other), max(line.total for line in other)
    assert money(demo, low) in others and money(demo, high) in others
