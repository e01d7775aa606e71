"""The record survives a restructuring, and every page says what to pay now.

After a plan is accepted the loan page lists every payment (those before the plan too), each schedule row adds up
(carried-over arrears in a column of their own), the header describes the plan in force and links its agreement;
waivers show on the offer and in the agreement with what is still owed; the dashboard, the confirmation page and
the page accepting lands on show the next amount and date from the stored schedule.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from portal.domain import arrears as arrears_rules
from portal.domain.paynow import pay_now
from portal.i18n import labels
from portal.loans.models import Payment, ScheduleLine, ScheduleVersion
from portal.loans.positions import loan_position
from portal.policies.models import PolicyPack
from tests.helpers.applications import (
    PASSWORD,
    URBAN,
    application,
    approved,
    database,
    date_long,
    loan_of,
    money,
    move,
    path_of,
    signed_in,
    submitted,
    text,
)
from tests.helpers.common import BUSINESS_DATE

MONEY = re.compile(r"[^\d.\-]")


def amount(text_: str) -> Decimal:
    """¥1,234.56 / CN¥1,234.56 -> Decimal('1234.56')."""
    return Decimal(MONEY.sub("", re.sub(r"<[^>]+>", "", text_)))


def by_testid(html: str, testid: str) -> str:
    """The inner text of the element carrying data-testid=`testid` (the first one)."""
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.S)
    assert found, f"no {testid} on the page"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def schedule_rows(html: str) -> list[dict[str, str]]:
    """The loan page's schedule table: each row as {column label: cell text}."""
    table = re.search(r'<table class="responsive schedule">(.*?)</table>', html, re.S)
    assert table, "no schedule table"
    rows = []
    for row in re.findall(r"<tr class=\"row-[a-z_]+\">(.*?)</tr>", table.group(1), re.S):
        cells = re.findall(r'<td data-label="([^"]*)"[^>]*>(.*?)</td>', row, re.S)
        rows.append({label: re.sub(r"<[^>]+>", "", value).strip() for label, value in cells})
    return rows


def accept(client, reference: str):
    return client.submit(
        f"/applications/{reference}/accept",
        {"password": PASSWORD, "code": ""},
        page=f"/applications/{reference}/offer",
    )


def accepted(demo, **fields):
    """The urban borrower's plan approved (with `fields`, e.g. waivers, set first) and accepted with the password."""
    client, number, reference = submitted(demo)
    move(demo, reference, "in_review", "approved", **fields)
    response = accept(client, reference)
    assert response.status_code == 303
    return client, number, reference, response


def _payments(session, loan) -> list:
    """A loan's payments, oldest first."""
    return list(
        session.scalars(
            select(Payment).where(Payment.loan_id == loan.id).order_by(Payment.paid_on, Payment.id)
        )
    )


# --- the record survives restructuring -------------------------------------------------------------------------


def test_the_loan_page_lists_every_payment_after_a_plan_is_accepted(demo):
    with database(demo) as session:
        before = [(p.reference, p.amount) for p in _payments(session, loan_of(session, URBAN))]
    assert before, "the demo borrower has made payments before the plan"
    client, number, _reference, _response = accepted(demo)

    html = client.get(f"/loans/{number}").get_data(as_text=True)

    payments = re.search(r'<table class="responsive" data-testid="payments">(.*?)</table>', html, re.S).group(
        1
    )
    shown = re.findall(
        r'data-label="[^"]*">([^<]*)</td>\s*<td data-label="[^"]*" class="num">([^<]*)</td>', payments
    )
    assert sorted((ref, amount(value)) for ref, value in shown) == sorted(before)
    assert text(demo, "No payments yet.") not in html
    # Each earlier payment points to the schedule it was paid under.
    assert html.count(text(demo, "Received under schedule version %(version)d", version=1)) == len(before)


def test_an_earlier_schedule_page_lists_the_payments_made_under_it(demo):
    with database(demo) as session:
        before = [p.reference for p in _payments(session, loan_of(session, URBAN))]
    client, number, _reference, _response = accepted(demo)

    old = client.get(f"/loans/{number}/schedules/1").get_data(as_text=True)
    new = client.get(f"/loans/{number}/schedules/2").get_data(as_text=True)

    assert all(reference in old for reference in before)
    assert not any(reference in new for reference in before)
    assert text(demo, "No payments yet.") in new


def test_every_row_of_the_schedule_in_force_adds_up_with_carried_over_arrears_in_their_own_column(demo):
    client, number, reference, _response = accepted(demo)

    html = client.get(f"/loans/{number}").get_data(as_text=True)

    principal, interest, carried, due = (
        text(demo, label) for label in ("Principal", "Interest", "Carried-over arrears", "Amount due")
    )
    rows = schedule_rows(html)
    assert rows and all(carried in row for row in rows)
    for row in rows:
        assert amount(row[principal]) + amount(row[interest]) + amount(row[carried]) == amount(row[due]), row
    with database(demo) as session:
        version = session.get(ScheduleVersion, application(session, reference).schedule_version_id)
        stored = {
            line.number: (line.principal_fen, line.interest_fen, line.charges_fen) for line in version.lines
        }
    no = text(demo, "No.")
    for row in rows:
        fen = stored[int(row[no])]
        assert (amount(row[principal]), amount(row[interest]), amount(row[carried])) == tuple(
            Decimal(f) / 100 for f in fen
        )
    assert any(amount(row[carried]) > 0 for row in rows), "the plan carries the arrears into the new schedule"


def test_a_schedule_without_carried_over_arrears_keeps_three_columns(demo):
    client = signed_in(demo, URBAN)
    with database(demo) as session:
        number = loan_of(session, URBAN).number
    html = client.get(f"/loans/{number}").get_data(as_text=True)
    assert text(demo, "Carried-over arrears") not in html
    for row in schedule_rows(html):
        assert amount(row[text(demo, "Principal")]) + amount(row[text(demo, "Interest")]) == amount(
            row[text(demo, "Amount due")]
        )


def test_the_loan_page_describes_the_plan_in_force_and_links_its_agreement(demo):
    client, number, reference, _response = accepted(demo)

    html = client.get(f"/loans/{number}").get_data(as_text=True)

    with demo.test_request_context():
        kind = str(labels.OPTIONS["installment_plan"])
    assert by_testid(html, "plan-kind") == kind
    assert (
        text(
            demo,
            "In force since %(date)s, agreed in application %(reference)s.",
            date=date_long(demo, BUSINESS_DATE),
            reference=reference,
        )
        in html
    )
    assert f'href="/applications/{reference}/agreement"' in html
    assert (
        text(
            demo,
            "Schedule version %(version)d, in force since %(date)s: %(plan)s.",
            version=2,
            date=date_long(demo, BUSINESS_DATE),
            plan=kind,
        )
        in html
    )
    # The original loan's 24 months are named as the original loan, not as the schedule in force.
    with database(demo) as session:
        months = loan_of(session, URBAN).months
    assert "还款计划第1版" not in html and f"期限{months}个月" in html
    assert client.get(f"/applications/{reference}/agreement").status_code == 200


def test_a_loan_never_restructured_shows_no_plan_in_force(demo):
    client = signed_in(demo, URBAN)
    with database(demo) as session:
        number = loan_of(session, URBAN).number
    assert 'data-testid="plan-in-force"' not in client.get(f"/loans/{number}").get_data(as_text=True)


# --- waivers ------------------------------------------------------------------------------------------------------


def test_the_offer_shows_the_penalty_waived_and_what_is_still_owed(demo):
    client, number, reference = submitted(demo)
    move(demo, reference, "in_review", "approved", waivers={"penalty": True})

    html = client.get(f"/applications/{reference}/offer").get_data(as_text=True)

    with database(demo) as session:
        report = loan_position(session, loan_of(session, URBAN), BUSINESS_DATE).report
    assert report.penalty > 0
    assert amount(by_testid(html, "waived-penalty")) == report.penalty
    assert amount(by_testid(html, "owed-before-waiver")) == report.total_to_bring_current
    assert amount(by_testid(html, "owed-after-waiver")) == report.total_to_bring_current - report.penalty
    assert 'data-testid="waived-compound"' not in html  # only what was waived is named


def test_an_offer_without_waivers_says_nothing_of_them(demo):
    client, _number, reference = approved(demo)
    html = client.get(f"/applications/{reference}/offer").get_data(as_text=True)
    assert 'data-testid="waivers"' not in html


def test_the_agreement_does_not_list_a_waived_penalty_as_owed(demo):
    with database(demo) as session:
        report = loan_position(session, loan_of(session, URBAN), BUSINESS_DATE).report
    waived = arrears_rules.waivable(report)["penalty"]
    client, _number, reference, _response = accepted(demo, waivers={"penalty": True})

    html = client.get(f"/applications/{reference}/agreement").get_data(as_text=True)

    with database(demo) as session:
        agreement = application(session, reference).agreement
    assert Decimal(agreement["waivers"]["penalty"]) == waived > 0
    penalty_row = re.search(
        rf"<th scope=\"row\">{re.escape(text(demo, 'Penalty interest'))}</th><td class=\"num\">([^<]*)</td>",
        html,
    )
    assert amount(penalty_row.group(1)) == 0
    assert amount(by_testid(html, "waived-penalty")) == waived
    after = Decimal(agreement["balance"]["total_to_bring_current"]) - waived
    assert amount(by_testid(html, "agreement-total-overdue")) == after
    assert amount(by_testid(html, "owed-after-waiver")) == after
    # The new schedule carries what is still owed, not the waived penalty.
    # The new schedule carries what is still owed, not the waived penalty: overdue principal as principal, the rest
    # of the arrears as carried-over charges.
    carried = sum(Decimal(row[4]) for row in agreement["schedule"])
    assert carried == after - Decimal(agreement["balance"]["overdue_principal"])


# --- what to pay now ----------------------------------------------------------------------------------------------


def _now(demo):
    with database(demo) as session:
        return pay_now(loan_position(session, loan_of(session, URBAN), BUSINESS_DATE).report)


def test_the_dashboard_says_the_arrears_and_the_next_installment_are_both_owed(demo):
    now = _now(demo)
    assert now.both_owed
    html = signed_in(demo, URBAN).get("/").get_data(as_text=True)
    assert amount(by_testid(html, "now-overdue")) == now.overdue
    assert amount(by_testid(html, "now-next")) == now.next_amount
    assert amount(by_testid(html, "now-total")) == now.overdue + now.next_amount
    assert text(demo, "Next installment, due on %(date)s", date=date_long(demo, now.next_date)) in html
    assert text(demo, "Both are owed: in all by %(date)s", date=date_long(demo, now.next_date)) in html


def test_the_confirmation_page_says_to_keep_paying_and_what_falls_due(demo):
    client, number, reference = submitted(demo)
    now = _now(demo)

    html = client.get(f"/applications/{reference}?sent=1").get_data(as_text=True)

    assert text(demo, "Keep paying while we decide.", variant="urban") in by_testid(html, "keep-paying")
    assert amount(by_testid(html, "now-next")) == now.next_amount
    assert text(demo, "Next installment, due on %(date)s", date=date_long(demo, now.next_date)) in html
    assert amount(by_testid(html, "now-total")) == now.total
    assert f"/loans/{number}#pay-title" in html  # how to pay, one tap away


def test_a_pack_that_does_not_ask_for_payments_while_deciding_says_so(demo):
    client, _number, reference = submitted(demo)
    with database(demo) as session:
        row = application(session, reference)
        data = {**row.policy_pack.data, "version": 99, "keep_paying_while_deciding": False}
        pack = PolicyPack(variant=row.variant, version=99, data=data, loaded_at=row.created_at)
        session.add(pack)
        session.flush()
        row.policy_pack_id = pack.id
        session.commit()

    html = client.get(f"/applications/{reference}").get_data(as_text=True)

    assert text(demo, "Keep paying while we decide.", variant="urban") not in html
    assert by_testid(html, "keep-paying") == text(
        demo,
        "You may wait for our decision before paying this loan. What you do not pay stays owed, and penalty "
        "interest still grows on it until a new plan is in force.",
    )


def test_accepting_lands_on_a_short_page_with_the_first_payment_of_the_new_schedule(demo):
    client, number, reference, response = accepted(demo)

    assert path_of(response) == f"/applications/{reference}?accepted=1"
    html = client.get(path_of(response)).get_data(as_text=True)

    with database(demo) as session:
        version = session.get(ScheduleVersion, application(session, reference).schedule_version_id)
        first = session.scalars(
            select(ScheduleLine)
            .where(ScheduleLine.schedule_version_id == version.id, ScheduleLine.due_date >= BUSINESS_DATE)
            .order_by(ScheduleLine.due_date, ScheduleLine.number)
        ).first()
        paid_since = session.scalars(select(Payment).where(Payment.schedule_version_id == version.id)).all()
    assert not paid_since
    assert (
        amount(by_testid(html, "now-next"))
        == Decimal(first.principal_fen + first.interest_fen + first.charges_fen) / 100
    )
    assert text(demo, "Next installment, due on %(date)s", date=date_long(demo, first.due_date)) in html
    assert f'href="/applications/{reference}/agreement"' in html
    assert 'data-testid="keep-paying"' not in html
    assert money(demo, Decimal(0)) not in by_testid(html, "now-next")
    assert len(html) < len(client.get(f"/applications/{reference}/agreement").get_data(as_text=True))


def test_the_dashboard_says_to_keep_paying_while_an_application_is_decided(demo):
    client = signed_in(demo, URBAN)
    assert 'data-testid="keep-paying"' not in client.get("/").get_data(as_text=True)
    client, _number, _reference = submitted(demo)

    html = client.get("/").get_data(as_text=True)

    assert text(demo, "Keep paying while we decide.", variant="urban") in by_testid(html, "keep-paying")
    assert amount(by_testid(html, "now-next")) == _now(demo).next_amount
