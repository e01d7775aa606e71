"""Staff forms take only their declared fields (no mass assignment); case documents are served as attachments with
their stored type and nosniff; staff sessions time out like borrowers' (idle 30 minutes, absolute 12 hours)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from portal.applications.models import Application
from portal.people.models import StaffUser
from tests.helpers.common import staff_sign_in
from tests.helpers.security import (
    arrange_ids,
    case_state,
    database,
    location_path,
    post_decision,
    role_client,
    submitted_case,
)

EXTRAS = {
    "status": "active",
    "decided_by_id": "1",
    "first_approver_id": "1",
    "claimed_by_id": "1",
    "amount_fen": "1",
    "approval_limit_fen": "999999999999",
    "role": "admin",
    "borrower_id": "1",
    "loan_id": "1",
    "variant": "rural",
    "waivers": '{"penalty": true, "compound": true}',
    "offer_expires_on": "2099-01-01",
    "row_version": "1",
}


def _application(app, reference: str) -> dict:
    with database(app) as session:
        row = session.scalars(select(Application).where(Application.reference == reference)).one()
        return {c.key: getattr(row, c.key) for c in Application.__mapper__.column_attrs if c.key != "quote"}


def _staff_rows(app) -> dict:
    with database(app) as session:
        return {
            s.username: (s.role, s.approval_limit_fen, s.totp_secret, s.totp_enrolled_at, s.active)
            for s in session.scalars(select(StaffUser))
        }


def test_a_decision_takes_only_its_declared_fields(demo, app):
    reference = submitted_case(app, "13800000005")  # above a reviewer's limit
    reviewer = app.test_client()
    staff_sign_in(reviewer, "reviewer1")
    post_decision(reviewer, reference, "claim")
    before = _application(app, reference)
    staff = _staff_rows(app)

    response = post_decision(reviewer, reference, "approve", EXTRAS)

    assert response.status_code == 303
    after = _application(app, reference)
    assert after["status"] == "awaiting_second_approval"  # the posted limit and status did nothing
    assert after["decided_by_id"] is None
    assert after["amount_fen"] == before["amount_fen"]
    assert (after["loan_id"], after["borrower_id"], after["variant"]) == (
        before["loan_id"],
        before["borrower_id"],
        before["variant"],
    )
    assert after["waivers"] == {}
    assert after["offer_expires_on"] is None
    assert _staff_rows(app) == staff


def test_asking_for_information_with_a_posted_status_only_asks(demo, app):
    reference = submitted_case(app, "13800000001")
    reviewer = app.test_client()
    staff_sign_in(reviewer, "reviewer1")
    post_decision(reviewer, reference, "claim")

    response = post_decision(reviewer, reference, "information", {**EXTRAS, "question": "Payslips, please."})

    assert response.status_code == 303
    assert case_state(app, reference)[0] == "info_requested"
    assert _application(app, reference)["amount_fen"] != 1


def test_signing_in_with_extra_fields_changes_nothing_about_the_account(demo, app):
    staff = _staff_rows(app)
    agent = app.test_client()

    response = agent.submit(
        "/staff/sign-in",
        {"username": "agent1", "password": "Demo-pass-2026", **EXTRAS, "totp_enrolled_at": "x"},
    )

    assert location_path(response) == "/staff/"
    assert _staff_rows(app) == staff
    assert agent.get("/staff/queue").status_code == 404  # still an agent


def test_a_case_document_is_an_attachment_with_its_stored_type_and_nosniff(demo, app):
    ids = arrange_ids(app)
    reviewer = role_client(app, "reviewer")
    url = f"/staff/cases/{ids['staff']['reference']}/evidence/{ids['staff']['token']}"

    response = reviewer.get(url)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers.get("Cache-Control", "")
    assert role_client(app, "agent").get(url).status_code == 404


def test_a_staff_session_ends_after_thirty_idle_minutes(demo, app):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        client = app.test_client()
        staff_sign_in(client, "reviewer1")
        clock.shift(timedelta(minutes=29))
        assert client.get("/staff/queue").status_code == 200  # activity keeps it alive
        clock.shift(timedelta(minutes=29))
        assert client.get("/staff/queue").status_code == 200
        clock.shift(timedelta(minutes=31))

        response = client.get("/staff/queue")

    assert response.status_code == 302
    assert location_path(response) == "/staff/sign-in"


def test_a_staff_session_ends_after_twelve_hours_however_busy(demo, app):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        client = app.test_client()
        staff_sign_in(client, "senior1")
        for _ in range(23):  # active every 29 minutes for 11 hours 7 minutes
            clock.shift(timedelta(minutes=29))
            assert client.get("/staff/queue").status_code == 200
        clock.shift(timedelta(minutes=29 + 25))  # 12 hours and 1 minute after signing in

        response = client.get("/staff/queue")

    assert response.status_code == 302
    assert location_path(response) == "/staff/sign-in"
