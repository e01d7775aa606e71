"""After the decision: the offer, accepting it (password or SMS code), counter-offers, requests for information,
and the cap on restructurings per loan."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal import i18n, policies
from portal.applications import offers, serialisation
from portal.applications.models import Application
from portal.core.models import Notification
from portal.loans.models import ScheduleVersion
from portal.loans.positions import loan_position
from tests.helpers.applications import (
    PASSWORD,
    URBAN,
    application,
    application_count,
    approved,
    audit_count,
    budget_data,
    database,
    field_errors,
    hardship_data,
    loan_of,
    move,
    new_key,
    notices,
    path_of,
    reference_of,
    signed_in,
    snapshot,
    start,
    submitted,
    text,
)
from tests.helpers.common import BUSINESS_DATE

COUNTER = {
    "kind": "installment_plan",
    "months": 12,
    "pay_day": 10,
    "upfront": "0.00",
    "income_months": [],
    "spread_charges": 1,
}


def _versions(app, phone: str = URBAN) -> list[int]:
    with database(app) as session:
        loan = loan_of(session, phone)
        return list(
            session.scalars(
                select(ScheduleVersion.version)
                .where(ScheduleVersion.loan_id == loan.id)
                .order_by(ScheduleVersion.version)
            )
        )


def _shown_version(html: str) -> int:
    """The schedule version the loan page says is in force (English, or the Chinese catalog's wording)."""
    (version,) = re.findall(r"(?:Schedule version |还款计划第)(\d+)", html)
    return int(version)


def _accept(client, reference: str, **data):
    form = {"password": "", "code": ""}
    form.update(data)
    return client.submit(f"/applications/{reference}/accept", form, page=f"/applications/{reference}/offer")


def test_offer_page_shows_the_approved_plan_and_how_to_accept(demo):
    client, _number, reference = approved(demo)

    response = client.get(f"/applications/{reference}/offer")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert text(demo, "Your plan is approved") in html
    assert f'action="/applications/{reference}/accept"' in html
    assert f'action="/applications/{reference}/offer/code"' in html
    assert f'action="/applications/{reference}/decline"' not in html  # only a counter-offer is declined
    with demo.test_request_context():
        with database(demo) as session:
            quote = offers.offered_quote(session, application(session, reference), BUSINESS_DATE)
            payment = i18n.money(quote.regular_payment)
    assert f"<strong>{payment}</strong>" in html


def test_accepting_with_a_wrong_password_changes_nothing(demo):
    client, _number, reference = approved(demo)

    response = _accept(client, reference, password="not-the-password")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_errors(html) == [text(demo, "That password is not right.")]
    assert snapshot(demo, reference)["status"] == "approved"
    assert snapshot(demo, reference)["agreement_hash"] is None
    assert _versions(demo) == [1]


def test_accepting_with_neither_password_nor_code_asks_for_one(demo):
    client, _number, reference = approved(demo)

    response = _accept(client, reference)

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True)) == [
        text(demo, "Enter your password, or a text message code, to confirm.")
    ]
    assert snapshot(demo, reference)["status"] == "approved"


def test_accepting_with_the_password_puts_the_new_schedule_in_force(demo):
    client, number, reference = approved(demo)
    assert client.get(f"/applications/{reference}/offer").status_code == 200

    response = _accept(client, reference, password=PASSWORD)

    assert response.status_code == 303
    assert path_of(response) == f"/applications/{reference}?accepted=1"
    assert _versions(demo) == [1, 2]
    with database(demo) as session:
        row = application(session, reference)
        assert row.status == "active"
        assert row.agreement["confirmation"] == "password"
        assert row.agreement["application"] == reference and row.agreement["loan"] == number
        digest = offers.agreement_hash(row.agreement)
        assert row.agreement_hash == digest
        version = session.get(ScheduleVersion, row.schedule_version_id)
        assert (version.version, version.reason, version.effective_on) == (2, "restructuring", BUSINESS_DATE)
        assert len(version.lines) == len(row.agreement["schedule"])
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert audit_count(demo, "application.accepted", reference) == 1
    assert audit_count(demo, "application.active", reference) == 1

    landing = client.get(path_of(response)).get_data(as_text=True)
    assert text(demo, "Done. Your new repayment schedule is in force.") in notices(landing)
    assert f'href="/applications/{reference}/agreement"' in landing
    agreement = client.get(f"/applications/{reference}/agreement")
    assert agreement.status_code == 200
    html = agreement.get_data(as_text=True)
    assert re.findall(r'<code class="hash">([^<]*)</code>', html) == [digest]
    assert text(demo, "Confirmed by the borrower with their password.") in html

    loan_page = client.get(f"/loans/{number}").get_data(as_text=True)
    assert _shown_version(loan_page) == 2
    assert f'href="/loans/{number}/schedules/1"' in loan_page
    old = client.get(f"/loans/{number}/schedules/1")
    assert old.status_code == 200
    assert text(demo, "This schedule was replaced. It is kept here for your records.") in old.get_data(
        as_text=True
    )
    current = client.get(f"/loans/{number}/schedules/2").get_data(as_text=True)
    assert text(demo, "This is the schedule in force.") in current
    with database(demo) as session:
        sent = session.scalars(select(Notification.kind).where(Notification.kind == "plan_in_force")).all()
    assert len(sent) == 2


def test_the_loan_page_shows_the_version_in_force(demo):
    client, number, reference = approved(demo)
    before = client.get(f"/loans/{number}").get_data(as_text=True)

    _accept(client, reference, password=PASSWORD)

    after = client.get(f"/loans/{number}").get_data(as_text=True)
    with demo.test_request_context():
        with database(demo) as session:
            loan = loan_of(session, URBAN)
            position = loan_position(session, loan, BUSINESS_DATE)
            assert position.version.version == 2
    assert _shown_version(before) == 1
    assert _shown_version(after) == 2
    dashboard = client.get("/").get_data(as_text=True)
    assert f'href="/applications/{reference}"' in dashboard
    assert '<span class="tag tag-app-active">' in dashboard


def test_an_offer_past_its_answer_date_cannot_be_accepted(demo):
    client, _number, reference = approved(demo)
    move(demo, reference, offer_expires_on=BUSINESS_DATE - timedelta(days=1))

    response = _accept(client, reference, password=PASSWORD)

    assert snapshot(demo, reference)["status"] == "approved"
    assert _versions(demo) == [1]
    assert response.status_code in (200, 303)


def test_an_offer_on_its_last_day_can_be_accepted(demo):
    client, _number, reference = approved(demo)
    move(demo, reference, offer_expires_on=BUSINESS_DATE)

    response = _accept(client, reference, password=PASSWORD)

    assert response.status_code == 303
    assert snapshot(demo, reference)["status"] == "active"


def test_accepting_with_a_text_message_code(demo):
    client, _number, reference = approved(demo)

    sent = client.submit(f"/applications/{reference}/offer/code", page=f"/applications/{reference}/offer")

    assert sent.status_code == 303
    assert path_of(sent) == f"/applications/{reference}/offer"
    with database(demo) as session:
        bodies = session.scalars(select(Notification.body).where(Notification.kind == "accept_code")).all()
    assert len(bodies) == 1
    (code,) = re.findall(r"(?<!\d)(\d{6})(?!\d)", bodies[0])

    wrong = _accept(client, reference, code=f"{(int(code) + 1) % 1_000_000:06d}")
    assert wrong.status_code == 200
    assert field_errors(wrong.get_data(as_text=True)) == [
        text(demo, "That code is not right or has expired. Ask for a new one.")
    ]
    assert snapshot(demo, reference)["status"] == "approved"

    response = _accept(client, reference, code=code)

    assert response.status_code == 303
    assert path_of(response) == f"/applications/{reference}?accepted=1"
    with database(demo) as session:
        row = application(session, reference)
        assert row.status == "active"
        assert row.agreement["confirmation"] == "sms_code"
        assert row.agreement_hash == offers.agreement_hash(row.agreement)
    assert _versions(demo) == [1, 2]
    html = client.get(f"/applications/{reference}/agreement").get_data(as_text=True)
    assert text(demo, "Confirmed by the borrower with a text message code.") in html


def test_a_used_code_cannot_accept_again(demo):
    client, _number, reference = approved(demo)
    client.submit(f"/applications/{reference}/offer/code", page=f"/applications/{reference}/offer")
    with database(demo) as session:
        body = session.scalars(select(Notification.body).where(Notification.kind == "accept_code")).one()
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", body).group(1)
    assert _accept(client, reference, code=code).status_code == 303

    again = client.submit(
        f"/applications/{reference}/accept", {"code": code}, page=f"/applications/{reference}"
    )

    assert again.status_code == 303 and path_of(again) == f"/applications/{reference}"
    assert _versions(demo) == [1, 2]
    assert audit_count(demo, "application.accepted") == 1


def test_counter_offer_shows_the_requested_and_the_offered_schedule_and_can_be_declined(demo):
    client, _number, reference = submitted(demo, months=6)
    move(demo, reference, "in_review", "countered", counter_terms=COUNTER, decision_note="Twelve months fit.")

    response = client.get(f"/applications/{reference}/offer")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert text(demo, "We offer you a different plan") in html
    captions = re.findall(r"<caption>([^<]*)</caption>", html)
    assert text(demo, "Offered schedule") in captions
    assert text(demo, "Requested schedule") in captions
    with demo.test_request_context():
        with database(demo) as session:
            row = application(session, reference)
            offered = offers.offered_quote(session, row, BUSINESS_DATE)
            requested = serialisation.schedule_from_json(row.quote["schedule"])
            asked = i18n.money(Decimal(row.quote["regular_payment"]))
            offer = i18n.money(offered.regular_payment)
    assert offered.terms.months == 12 and row.terms["months"] == 6
    assert offered.regular_payment != Decimal(row.quote["regular_payment"])
    assert asked in html and offer in html
    tables = re.findall(r"<caption>([^<]*)</caption>\s*<thead>.*?<tbody>(.*?)</tbody>", html, re.S)
    rows = {caption: body.count("<tr>") for caption, body in tables}
    assert rows[text(demo, "Offered schedule")] == len(offered.schedule)
    assert rows[text(demo, "Requested schedule")] == len(requested)
    assert "Twelve months fit." in html

    declined = client.submit(f"/applications/{reference}/decline", page=f"/applications/{reference}/offer")

    assert declined.status_code == 303 and path_of(declined) == f"/applications/{reference}"
    assert snapshot(demo, reference)["status"] == "declined"
    assert audit_count(demo, "application.declined", reference) == 1
    assert _versions(demo) == [1]


def test_accepting_a_counter_offer_puts_the_offered_terms_in_force(demo):
    client, _number, reference = submitted(demo, months=6)
    move(demo, reference, "in_review", "countered", counter_terms=COUNTER)

    response = _accept(client, reference, password=PASSWORD)

    assert response.status_code == 303
    with database(demo) as session:
        row = application(session, reference)
        assert row.status == "active"
        assert row.agreement["terms"]["months"] == 12
        assert row.agreement["option"] == "installment_plan"
    assert _versions(demo) == [1, 2]


def test_an_information_request_is_shown_and_answered(demo):
    client, _number, reference = submitted(demo)
    question = "Please send the letter from your employer about the pay cut."
    move(demo, reference, "in_review", "info_requested", info_request=question)

    html = client.get(f"/applications/{reference}").get_data(as_text=True)

    assert f'<p class="prewrap">{question}</p>' in html
    assert f'action="/applications/{reference}/answer"' in html

    empty = client.submit(
        f"/applications/{reference}/answer", {"answer": "  "}, page=f"/applications/{reference}"
    )
    assert empty.status_code == 200
    assert field_errors(empty.get_data(as_text=True)) == [text(demo, "Write your answer.")]
    assert snapshot(demo, reference)["status"] == "info_requested"

    response = client.submit(
        f"/applications/{reference}/answer",
        {"answer": "  The letter is attached at the branch.  "},
        page=f"/applications/{reference}",
    )

    assert response.status_code == 303 and path_of(response) == f"/applications/{reference}"
    after = snapshot(demo, reference)
    assert after["status"] == "submitted"
    assert after["info_response"] == "The letter is attached at the branch."
    assert audit_count(demo, "application.submitted", reference) == 2
    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert text(demo, "Thank you. Your answer has been sent to the reviewer.") in notices(page)


def test_answer_to_an_application_not_waiting_for_information_does_nothing(demo):
    client, _number, reference = submitted(demo)

    response = client.submit(
        f"/applications/{reference}/answer", {"answer": "hello"}, page=f"/applications/{reference}"
    )

    assert response.status_code == 303
    assert snapshot(demo, reference)["info_response"] is None
    assert audit_count(demo, "application.submitted", reference) == 1


# --- the cap on restructurings ---------------------------------------------------------------------------


def _restructured(app, phone: str, count: int) -> None:
    """Record `count` earlier restructurings (applications in force) for the borrower's loan."""
    with database(app) as session:
        loan = loan_of(session, phone)
        pack_id = policies.current(session, loan.borrower.variant)[0].id
        for n in range(count):
            session.add(
                Application(
                    reference=f"RA-EARLIER-{n}",
                    loan_id=loan.id,
                    borrower_id=loan.borrower_id,
                    status="active" if n % 2 == 0 else "completed",
                    variant=loan.borrower.variant,
                    policy_pack_id=pack_id,
                    create_key=new_key(),
                    channel="web",
                    created_by="test",
                    created_at=datetime(2026, 1, 1),
                    updated_at=datetime(2026, 1, 1),
                )
            )
        session.commit()


def test_a_third_restructuring_cannot_be_started(demo):
    _restructured(demo, URBAN, 2)
    client = signed_in(demo, URBAN)
    with database(demo) as session:
        number = loan_of(session, URBAN).number

    response = start(client, number)

    assert response.status_code == 303
    assert path_of(response) == f"/loans/{number}"
    html = client.get(f"/loans/{number}").get_data(as_text=True)
    assert text(demo, "This loan has already had the most repayment plans our rules allow.") in notices(html)
    assert application_count(demo) == 2
    assert application_count(demo, status="draft") == 0


def test_a_second_restructuring_can_be_started(demo):
    _restructured(demo, URBAN, 1)
    client = signed_in(demo, URBAN)
    with database(demo) as session:
        number = loan_of(session, URBAN).number

    response = start(client, number)

    assert response.status_code == 303
    assert path_of(response).endswith("/hardship")
    assert application_count(demo, status="draft") == 1


def test_accepting_twice_reaches_the_cap(demo):
    client, number, first = approved(demo)
    assert _accept(client, reference=first, password=PASSWORD).status_code == 303
    # The arrears are now in a plan, so the second restructuring is a term extension.
    second = reference_of(start(client, number))
    assert second != first
    base = f"/applications/{second}"
    assert client.submit(f"{base}/hardship", hardship_data()).status_code == 303
    assert client.submit(f"{base}/money", budget_data()).status_code == 303
    chosen = client.submit(
        f"{base}/plan/extension", {"months": "6", "spread_charges": "1", "action": "choose"}
    )
    assert path_of(chosen) == f"{base}/check"
    assert client.submit(f"{base}/check").status_code == 303
    move(demo, second, "in_review", "approved")
    assert _accept(client, second, password=PASSWORD).status_code == 303
    assert snapshot(demo, second)["status"] == "active"
    assert _versions(demo) == [1, 2, 3]

    response = start(client, number)

    assert response.status_code == 303 and path_of(response) == f"/loans/{number}"
    html = client.get(f"/loans/{number}").get_data(as_text=True)
    assert text(demo, "This loan has already had the most repayment plans our rules allow.") in notices(html)
    with database(demo) as session:
        loan = loan_of(session, URBAN)
        statuses = session.scalars(select(Application.status).where(Application.loan_id == loan.id)).all()
    assert sorted(statuses) == ["active", "active"]
