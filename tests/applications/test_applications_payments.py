"""Every payment of a plan on the pages that show one, and affordability judged on what falls due: the plan cards,
the plan page, check your answers, the offer, the agreement and the staff case page, each compared with the
schedule the portal quotes or stores."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

from flask_babel import force_locale
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from portal import i18n
from portal.applications import calculation, offers, serialisation
from portal.domain.money import from_fen
from portal.domain.options import OPTION_KINDS, quote
from portal.domain.payments import describe
from tests.helpers.applications import application as application_row
from tests.helpers.applications import (
    approved,
    database,
    hardship_data,
    money,
    plan_data,
    reference_of,
    signed_in,
    start,
    submit_budget,
)
from tests.helpers.applications import loan_number as number_of
from tests.helpers.common import staff_sign_in

BUSINESS = "13800000005"  # interest monthly, principal at the end
URBAN = "13800000001"
# Income that leaves 12,500.50 a month: the interest months fit (limit 6,250.25), the final principal does not.
RICH = {"income_wages": "14266"}
MONEY_RE = re.compile(r"-?(?:CN)?¥[\d,]+\.\d\d")


def plain_text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def cards(html: str) -> dict[str, str]:
    """Each plan card's HTML on the options page, by kind."""
    found = re.findall(
        r'<section class="card option[^"]*" aria-labelledby="opt-([a-z_]+)">(.*?)</section>', html, re.S
    )
    return dict(found)


def amounts(fragment: str) -> list[str]:
    return MONEY_RE.findall(plain_text(fragment))


def run_items(fragment: str) -> list[tuple[str, str]]:
    """The payment lines: (kind, text)."""
    return [
        (kind, plain_text(body))
        for kind, body in re.findall(r'<li data-run="([a-z_]+)">(.*?)</li>', fragment, re.S)
    ]


def head(fragment: str, which: str) -> str:
    match = re.search(rf'<div data-due="{which}"><dt>(.*?)</dt><dd[^>]*>(.*?)</dd>', fragment, re.S)
    return plain_text(match.group(2)) if match else ""


def applied(app, phone: str, **budget) -> tuple:
    """A signed-in client with a draft that has a hardship statement and a budget: (client, reference)."""
    client = signed_in(app, phone)
    reference = reference_of(start(client, number_of(app, phone)))
    base = f"/applications/{reference}"
    assert client.submit(f"{base}/hardship", hardship_data()).status_code == 303
    submit_budget(client, base, "urban", **budget)
    return client, reference


def quotes_of(app, reference: str) -> dict:
    with database(app) as session, app.test_request_context():
        application = application_row(session, reference)
        return {
            q.kind: q for q in calculation.calculator(session, application, date(2026, 11, 29)).quote_all()
        }


def test_the_business_loans_plans_name_the_final_repayment_that_does_not_fit(app, demo):
    client, reference = applied(app, BUSINESS, **RICH)
    html = client.get(f"/applications/{reference}/options").get_data(as_text=True)
    quotes = quotes_of(app, reference)
    shown = cards(html)
    for kind in ("installment_plan", "extension"):
        q = quotes[kind]
        card = shown[kind]
        balloon = q.payments.balloon
        assert balloon is not None and balloon.amount == max(item.total for item in q.schedule)
        # Not ticked affordable: the card says the final repayment does not fit, with its amount and date.
        assert "fit-yes" not in card and "fit-no" in card
        verdict = plain_text(re.search(r'<p class="fit fit-no">(.*?)</p>', card, re.S).group(1))
        assert money(app, balloon.amount) in verdict
        with app.test_request_context(), force_locale("zh_Hans"):
            assert i18n.date_long(balloon.due_date) in verdict
        assert "到期一次还清" in verdict
        # Every run's amounts on the card are the schedule's own, and the balloon is listed by name.
        runs = run_items(card)
        assert [kind for kind, _ in runs].count("balloon") == 1
        told = {a for _, text in runs for a in MONEY_RE.findall(text)}
        assert told == {money(app, a) for run in q.payments.runs for a in {run.low, run.high}}
        # The old single figure was the interest month, within the limit: the rule it replaced said "fits".
        assert q.regular_payment <= q.affordable_limit and q.fits is False


def test_the_extension_card_leads_with_the_higher_first_payments(app, demo):
    client, reference = applied(app, URBAN)
    html = client.get(f"/applications/{reference}/options").get_data(as_text=True)
    q = quotes_of(app, reference)["extension"]
    card = cards(html)["extension"]
    first = q.schedule[0].total
    assert head(card, "next") == money(app, first)
    # The first payments are higher than the later ones, and the card says so before it says the later ones.
    runs = run_items(card)
    assert MONEY_RE.findall(runs[0][1])[-1] == money(app, q.payments.runs[0].high)
    assert q.payments.runs[0].high > q.payments.runs[1].high
    assert "Usual" not in card and "通常" not in card


def test_check_your_answers_lists_the_payments_of_the_chosen_plan(app, demo):
    client, reference = applied(app, URBAN)
    response = client.submit(f"/applications/{reference}/plan/installment_plan", plan_data(12))
    assert response.status_code == 303
    html = client.get(f"/applications/{reference}/check").get_data(as_text=True)
    with database(app) as session:
        stored = serialisation.schedule_from_json(application_row(session, reference).quote["schedule"])
    story = describe(stored)
    assert head(html, "next") == money(app, story.next.amount)
    told = {a for _, text in run_items(html) for a in MONEY_RE.findall(text)}
    assert told == {money(app, a) for run in story.runs for a in {run.low, run.high}}
    # Judged on every payment: 617.25 a month is below every payment of this plan.
    assert "fit-no" in html


def test_the_staff_case_page_judges_the_request_on_every_payment(app, demo):
    client, reference = applied(app, BUSINESS, **RICH)
    assert (
        client.submit(f"/applications/{reference}/plan/installment_plan", plan_data(6, pay_day=1)).status_code
        == 303
    )
    assert client.submit(f"/applications/{reference}/check").status_code == 303
    staff = app.test_client()
    staff_sign_in(staff, "reviewer1")
    html = staff.get(f"/staff/cases/{reference}").get_data(as_text=True)
    with database(app) as session:
        row = application_row(session, reference)
        stored = serialisation.schedule_from_json(row.quote["schedule"])
        old_fits = row.quote["fits"]
    largest = max(item.total for item in stored)
    assert old_fits is False  # stored at submission under the new rule too
    verdict = plain_text(re.search(r"<dt>[^<]*</dt><dd>(<strong>.*?)</dd>", html, re.S).group(1))
    assert money(app, largest) in verdict
    assert money(app, largest) in plain_text(html)
    assert "Requested payment" not in html


def test_the_offer_and_the_agreement_list_the_offered_payments(app, demo):
    client, number, reference = approved(app)
    html = client.get(f"/applications/{reference}/offer").get_data(as_text=True)
    with database(app) as session, app.test_request_context():
        row = application_row(session, reference)
        q = offers.offered_quote(session, row, date(2026, 11, 29))
    assert head(html, "next") == money(app, q.payments.next.amount)
    told = {a for _, text in run_items(html) for a in MONEY_RE.findall(text)}
    assert told == {money(app, a) for run in q.payments.runs for a in {run.low, run.high}}
    assert "Usual monthly payment" not in html and "每月通常" not in html
    response = client.submit(
        f"/applications/{reference}/accept",
        {"password": "Demo-pass-2026"},
        page=f"/applications/{reference}/offer",
    )
    assert response.status_code == 303, response.status_code
    html = client.get(f"/applications/{reference}/agreement").get_data(as_text=True)
    with database(app) as session:
        stored = serialisation.schedule_from_json(application_row(session, reference).agreement["schedule"])
    story = describe(stored)
    told = {a for _, text in run_items(html) for a in MONEY_RE.findall(text)}
    assert told == {money(app, a) for run in story.runs for a in {run.low, run.high}}


# --- the property: the figures shown on the plan card are the schedule's payments --------------------------


def _domain_strategies():
    """The random loans, plans and pay days of the domain's property tests (tests/domain is not a package)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parent.parent / "domain" / "test_domain_options.py"
    spec = importlib.util.spec_from_file_location("domain_options_strategies", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.POLICY, module.random_facts, module.random_terms


POLICY, random_facts, random_terms = _domain_strategies()

CARD = """{% from "borrower/apply/_quote.html" import fit_line, figures %}{{ fit_line(q, "0.5") }}{{ figures(q) }}"""


@settings(
    max_examples=40, database=None, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_the_plan_card_shows_exactly_the_schedules_payments(app, data):
    from flask import render_template_string

    facts = data.draw(random_facts())
    kind = data.draw(st.sampled_from(OPTION_KINDS))
    terms = data.draw(random_terms(kind, facts))
    disposable = from_fen(data.draw(st.integers(0, 10**6)))
    q = quote(kind, facts, POLICY, terms, disposable)
    assume(q.available)
    with app.test_request_context(), force_locale("en"):
        html = render_template_string(CARD, q=q)
        fmt = i18n.money
        payments = {fmt(due.amount) for due in q.payments.payments}
        told = {a for _, text in run_items(html) for a in MONEY_RE.findall(text)}
        # Every amount in the payment lines is one of the schedule's payments, and every run's ends are shown.
        assert told <= payments
        assert {fmt(a) for run in q.payments.runs for a in (run.low, run.high)} <= told
        assert head(html, "next") == fmt(q.payments.next.amount)
        assert fmt(max(due.amount for due in q.payments.payments)) in plain_text(html)
        # "Fits" is shown only when every payment in the first year (and after) fits.
        if "fit-yes" in html:
            assert all(due.amount <= q.affordable_limit for due in q.payments.payments)
        else:
            assert "fit-no" in html
            assert fmt(q.verdict.month_total) in plain_text(html)


def test_the_risk_margin_is_judged_on_the_largest_month_of_the_first_year(app, demo):
    client, reference = applied(app, BUSINESS, **RICH)
    response = client.submit(f"/applications/{reference}/plan/installment_plan", plan_data(6, pay_day=1))
    assert response.status_code == 303
    assert client.submit(f"/applications/{reference}/check").status_code == 303
    with database(app) as session:
        row = application_row(session, reference)
        reasons = {code: value for code, value, _ in row.risk_reasons}
        # The interest months (about 1,168) are well within 6,250.25; the final principal in April is not.
        assert Decimal(row.quote["regular_payment"]) < Decimal("6250.25")
    assert reasons["affordability"] == "payment_above_limit"
