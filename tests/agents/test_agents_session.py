"""The assisted session: the borrower's own pages under the banner for 30 minutes, every action on the record as
the agent for the borrower by phone, one message to the borrower per action, and nothing an agent must not do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.applications import decisions
from portal.domain import hardship
from portal.people.models import Borrower, StaffUser
from tests.helpers.agents import (
    RURAL,
    URBAN,
    application,
    assisting,
    audit_rows,
    borrower_client,
    borrower_id,
    consent_rows,
    database,
    loan_number,
    messages,
    new_key,
    open_sessions,
    path_of,
    staff_client,
)
from tests.helpers.common import BUSINESS_DATE

HARDSHIP = {"reasons": ["crop_failure"], "duration": "under_6_months", "account": "大水淹了稻田。"}
BUDGET = {
    **{f"income_{code}": "0" for code in hardship.income_sources_for("rural")},
    **{f"spending_{code}": "0" for code in hardship.spending_for("rural")},
    "income_farming": "3000",
    "spending_food": "800",
    "spending_seed": "200",
    "other_debt": "0",
    "dependants": "2",
}


def _name(app, phone):
    with database(app) as session:
        return session.scalar(select(Borrower.name).where(Borrower.phone == phone))


def _start(agent, app, phone):
    number = loan_number(app, phone)
    response = agent.submit(f"/loans/{number}/help", {"key": new_key()}, page=f"/loans/{number}")
    assert response.status_code == 303, response.status_code
    return path_of(response).split("/")[2]


def _fill(agent, reference, *, seasonal=True):
    base = f"/applications/{reference}"
    assert agent.submit(f"{base}/hardship", HARDSHIP).status_code == 303
    assert agent.submit(f"{base}/money", BUDGET).status_code == 303
    assert agent.submit(f"{base}/spending", BUDGET).status_code == 303  # rural: spending on a page of its own
    plan = {"income_months": ["9", "10"], "action": "choose"} if seasonal else {}
    response = agent.submit(f"{base}/plan/seasonal", plan)
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]


def test_the_agent_sees_the_borrowers_pages_under_the_banner(demo):
    agent = assisting(demo, RURAL)

    html = agent.get("/").get_data(as_text=True)

    assert loan_number(demo, RURAL) in html
    assert "assist-banner" in html
    assert f"Assisting {_name(demo, RURAL)} by phone" in html or _name(demo, RURAL) in html
    assert 'data-testid="support-code"' not in html and "/support-code" not in html  # the borrower's own
    assert agent.get(f"/loans/{loan_number(demo, URBAN)}").status_code == 404  # another borrower's loan


def test_borrower_pages_are_404_without_a_session_and_the_agent_page_says_none_is_open(demo):
    agent = staff_client(demo)

    assert agent.get("/").status_code == 404
    assert agent.get(f"/loans/{loan_number(demo, RURAL)}").status_code == 404
    assert "assist-banner" not in agent.get("/agent/").get_data(as_text=True)


def test_the_session_ends_after_30_minutes(demo):
    number = loan_number(demo, RURAL)
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        agent = assisting(demo, RURAL)
        clock.shift(timedelta(minutes=20))
        at_20 = agent.get(f"/loans/{number}").status_code
        clock.shift(timedelta(minutes=10, seconds=1))  # 30 minutes after verification, 10 since the last page

        at_30 = agent.get(f"/loans/{number}")
        home = agent.get("/agent/")

    assert at_20 == 200
    assert at_30.status_code == 404
    assert home.status_code == 200  # still signed in: only the assisted session ran out
    assert "assist-banner" not in home.get_data(as_text=True)


def test_the_agent_can_end_the_session(demo):
    agent = assisting(demo, RURAL)
    [live] = open_sessions(demo)

    response = agent.submit(f"/agent/sessions/{live.id}/end", {}, page="/agent/")

    assert response.status_code == 303
    assert open_sessions(demo) == []
    assert agent.get("/").status_code == 404
    [ended] = audit_rows(demo, action="assist.ended")
    assert ended.on_behalf_of == f"borrower:{borrower_id(demo, RURAL)}"


def test_verifying_another_caller_ends_the_first_session(demo):
    agent = assisting(demo, RURAL)
    from tests.helpers.agents import answers, verify_by_questions

    verify_by_questions(agent, borrower_id(demo, URBAN), answers(demo, URBAN))

    [live] = open_sessions(demo)
    assert live.borrower_id == borrower_id(demo, URBAN)
    assert agent.get(f"/loans/{loan_number(demo, RURAL)}").status_code == 404
    assert agent.get(f"/loans/{loan_number(demo, URBAN)}").status_code == 200


def test_an_agent_applies_for_the_borrower_every_step_on_the_record_and_the_borrower_is_told_once_each(demo):
    agent = assisting(demo, RURAL)
    target = borrower_id(demo, RURAL)
    reference = _start(agent, demo, RURAL)
    _fill(agent, reference)
    assert agent.submit(f"/applications/{reference}/hardship", HARDSHIP).status_code == 303  # saved again

    sent = agent.submit(f"/applications/{reference}/check", {})

    assert sent.status_code == 303
    row = application(demo, reference)
    issued = consent_rows(demo)
    assert row.status == "submitted" and row.channel == "phone"
    assert row.created_by == row.submitted_by and row.created_by.startswith("staff:")
    assert [(c.action, c.subject, c.borrower_id) for c in issued] == [
        ("submit", f"application:{row.id}", target)
    ]
    assert row.submit_consent_reference == issued[0].reference
    rows = audit_rows(demo, subject=f"application:{row.id}")
    assert [r.action for r in rows] == [
        "application.started",
        "application.hardship_saved",
        "application.budget_saved",  # rural: income,
        "application.budget_saved",  # then spending, on a page of its own
        "application.plan_chosen",
        "application.hardship_saved",
        "application.submitted",
    ]
    for r in rows:
        assert (r.actor, r.on_behalf_of, r.channel) == (row.created_by, f"borrower:{target}", "phone")
    assert rows[-1].data["consent_reference"] == issued[0].reference
    # One message per meaningful action (started, situation written down, sent), by SMS and in the portal.
    for channel in ("sms", "portal"):
        kinds = [m.kind for m in messages(demo, RURAL, channel)]
        assert kinds == ["assist_started", "phone_started", "phone_hardship", "application_received"], channel
    [ack] = [m for m in messages(demo, RURAL) if m.kind == "application_received"]
    assert reference in ack.body and ack.locale == "zh_Hans"


def test_the_borrower_sees_the_application_as_sent_by_phone_by_the_agent(demo):
    agent = assisting(demo, RURAL)
    reference = _start(agent, demo, RURAL)
    _fill(agent, reference)
    agent.submit(f"/applications/{reference}/check", {})
    [issued] = consent_rows(demo)
    with database(demo) as session:
        agent_name = session.scalar(select(StaffUser.name).where(StaffUser.username == "agent1"))

    borrower = borrower_client(demo, RURAL)
    html = borrower.get(f"/applications/{reference}").get_data(as_text=True)
    listing = borrower.get("/applications").get_data(as_text=True)

    assert agent_name in html  # "by phone: 孙晓燕 of our phone team, for you"
    assert issued.reference in html
    assert "tag-phone" in listing
    assert any(reference in m.body for m in messages(demo, RURAL, "portal"))
    assert reference in borrower.get("/").get_data(as_text=True)  # the message is on the dashboard


def test_a_typed_consent_reference_is_ignored_the_portal_issues_its_own(demo):
    """ASVS 4.0 1.x/8.x: a consent reference from another call cannot be replayed: what is posted is not used."""
    agent = assisting(demo, RURAL)
    reference = _start(agent, demo, RURAL)
    _fill(agent, reference)

    response = agent.submit(f"/applications/{reference}/check", {"consent_reference": "CALL-REPLAYED-0001"})

    assert response.status_code == 303
    row = application(demo, reference)
    assert row.status == "submitted"
    assert row.submit_consent_reference != "CALL-REPLAYED-0001"
    assert row.submit_consent_reference.startswith("CR-")


def _approved(app, reference):
    with database(app) as session:
        from portal.applications.models import Application

        row = session.scalar(select(Application).where(Application.reference == reference))
        reviewer = session.scalar(select(StaffUser).where(StaffUser.username == "senior1"))
        with app.test_request_context():
            decisions.claim(session, row, reviewer, seen_version=row.row_version)
            decisions.approve(session, row, reviewer, as_of=BUSINESS_DATE, seen_version=row.row_version)
        session.commit()
        assert row.status == "approved"


def test_the_agent_accepts_an_offer_with_a_consent_reference_not_the_borrowers_password(demo):
    agent = assisting(demo, RURAL)
    reference = _start(agent, demo, RURAL)
    _fill(agent, reference)
    agent.submit(f"/applications/{reference}/check", {})
    _approved(demo, reference)
    offer = agent.get(f"/applications/{reference}/offer").get_data(as_text=True)
    assert 'name="password"' not in offer and 'name="consent_reference"' not in offer

    code = agent.submit(f"/applications/{reference}/offer/code", {}, page=f"/applications/{reference}/offer")
    assert code.status_code == 404
    assert application(demo, reference).status == "approved"

    # A typed reference (or a password) is not what the acceptance rests on: the portal issues the reference.
    accepted = agent.submit(
        f"/applications/{reference}/accept", {"consent_reference": "CALL-20261129-0099", "password": "x"}
    )

    assert accepted.status_code == 303
    row = application(demo, reference)
    submitted, accepted_for = consent_rows(demo)
    assert (accepted_for.action, accepted_for.subject) == ("accept", f"application:{row.id}")
    assert accepted_for.reference != submitted.reference  # one reference per action
    assert row.status == "active"
    assert row.agreement["consent_reference"] == accepted_for.reference
    assert row.agreement["confirmation"] == "phone"
    [audit] = audit_rows(demo, action="application.accepted")
    assert audit.data["consent_reference"] == accepted_for.reference
    assert audit.channel == "phone" and audit.on_behalf_of == f"borrower:{borrower_id(demo, RURAL)}"
    [told] = [m for m in messages(demo, RURAL) if m.kind == "plan_in_force"]
    assert accepted_for.reference in told.body


def test_an_agent_never_decides_every_staff_decision_route_is_404(demo):
    agent = assisting(demo, URBAN)
    reference = _start(agent, demo, URBAN)
    base = f"/applications/{reference}"
    agent.submit(f"{base}/hardship", {"reasons": ["income_reduced"], "duration": "under_6_months"})
    agent.submit(
        f"{base}/money",
        {
            **{f"income_{code}": "0" for code in hardship.income_sources_for("urban")},
            **{f"spending_{code}": "0" for code in hardship.spending_for("urban")},
            "income_wages": "6000",
            "spending_food": "800",
            "other_debt": "0",
            "dependants": "1",
        },
    )
    agent.submit(
        f"{base}/plan/installment_plan", {"months": "12", "pay_day": "10", "upfront": "", "action": "choose"}
    )
    assert agent.submit(f"{base}/check", {}).status_code == 303
    token = agent.csrf_token("/agent/")
    before = application(demo, reference)

    assert agent.get(f"/staff/cases/{reference}").status_code == 404
    for action in ("/claim", "/release", "/approve", "/reject", "/information", "/counter"):
        url = f"/staff/cases/{reference}{action}"
        response = agent.post(
            url, data={"csrf_token": token, "version": "1", "reason": "other", "message": "x"}
        )
        assert response.status_code == 404, url
    assert agent.get("/staff/queue").status_code == 404
    assert application(demo, reference).row_version == before.row_version


def test_no_one_decides_what_they_sent_for_a_borrower_even_after_a_change_of_role(demo):
    agent = assisting(demo, RURAL)
    reference = _start(agent, demo, RURAL)
    _fill(agent, reference)
    agent.submit(f"/applications/{reference}/check", {})
    with database(demo) as session:
        staff = session.scalar(select(StaffUser).where(StaffUser.username == "agent1"))
        staff.role = "senior_reviewer"  # promoted after the call
        staff.approval_limit_fen = 10**9
        from portal.applications.models import Application

        row = session.scalar(select(Application).where(Application.reference == reference))
        with demo.test_request_context():
            decisions.claim(session, row, staff, seen_version=row.row_version)
            with pytest.raises(decisions.ServiceError) as refused:
                decisions.approve(session, row, staff, as_of=BUSINESS_DATE, seen_version=row.row_version)
    assert refused.value.code == "own_submission"


def test_an_agent_cannot_change_the_borrowers_credentials_contacts_or_settings(demo):
    agent = assisting(demo, RURAL)
    with database(demo) as session:
        before = session.scalar(select(Borrower).where(Borrower.phone == RURAL))
        before = (before.password_hash, before.phone, before.locale, before.session_version)

    agent.submit("/language", {"lang": "en", "next": "/"}, page="/")
    agent.submit("/support-code", {}, page="/")
    agent.submit("/sign-out", {}, page="/agent/")

    with database(demo) as session:
        after = session.scalar(select(Borrower).where(Borrower.phone == RURAL))
        assert (after.password_hash, after.phone, after.locale, after.session_version) == before


def test_every_credentials_or_contacts_route_is_for_the_borrower_in_person_only(app):
    """A route that touches a password, a phone number, a code or contact details must be borrower_self_required:
    it answers 404 to an agent acting for the borrower."""
    words = ("password", "phone", "contact", "email", "address", "credential", "code", "totp")
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("borrower.") and any(w in rule.rule for w in words):
            view = app.view_functions[rule.endpoint]
            assert getattr(view, "borrower_self_only", False), (
                f"{rule.endpoint} ({rule.rule}) is open to agents"
            )


def test_an_agent_never_gets_the_borrowers_kept_dashboard_and_each_view_is_on_the_record(demo):
    borrower = borrower_client(demo, RURAL)
    borrower.get("/")
    assert "/support-code" in borrower.get("/").get_data(as_text=True)  # the borrower's own page, kept
    agent = assisting(demo, RURAL)

    pages = [agent.get("/").get_data(as_text=True) for _ in range(2)]

    assert all("assist-banner" in html and "/support-code" not in html for html in pages)
    views = audit_rows(demo, action="borrower.viewed", subject=f"borrower:{borrower_id(demo, RURAL)}")
    assert len([row for row in views if (row.data or {}).get("page") == "borrower.dashboard"]) == 2
    assert "assist-banner" not in borrower.get("/").get_data(as_text=True)  # nor the borrower the agent's
