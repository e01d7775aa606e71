"""One application per loan, double submits, withdrawal, and moves the lifecycle does not allow."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.applications import transitions
from portal.applications.models import Application
from portal.core.models import AuditEvent
from portal.domain.lifecycle import OPEN_STATUSES, IllegalTransition
from portal.loans.models import ScheduleVersion
from tests.helpers.applications import (
    URBAN,
    application,
    application_count,
    approved,
    audit_count,
    database,
    draft,
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

# --- double submits and resuming -------------------------------------------------------------------------


def test_posting_the_check_form_twice_submits_once(demo):
    client, _number, reference = draft(demo)
    token = client.csrf_token(f"/applications/{reference}/check")

    first = client.post(f"/applications/{reference}/check", data={"csrf_token": token})
    second = client.post(f"/applications/{reference}/check", data={"csrf_token": token})

    assert first.status_code == 303 and path_of(first) == f"/applications/{reference}?sent=1"
    assert second.status_code == 303 and path_of(second) == f"/applications/{reference}"
    assert audit_count(demo, "application.submitted", reference) == 1
    assert audit_count(demo, "application.submitted") == 1
    assert snapshot(demo, reference)["status"] == "submitted"


def test_starting_twice_with_the_same_key_gives_the_same_application(demo):
    client = signed_in(demo, URBAN)
    with database(demo) as session:
        number = loan_of(session, URBAN).number
    key = new_key()

    first = start(client, number, key)
    second = start(client, number, key)

    assert first.status_code == second.status_code == 303
    assert path_of(first) == path_of(second)
    assert application_count(demo) == 1
    assert audit_count(demo, "application.started") == 1


def test_starting_again_with_a_new_key_resumes_the_draft(demo):
    client = signed_in(demo, URBAN)
    with database(demo) as session:
        number = loan_of(session, URBAN).number
    first = reference_of(start(client, number))

    again = start(client, number)

    assert again.status_code == 303
    assert path_of(again) == f"/applications/{first}/hardship"
    assert application_count(demo) == 1


def test_each_loan_of_a_borrower_can_have_its_own_application(demo):
    client = signed_in(demo, "13800000004")
    with database(demo) as session:
        first, second = loan_of(session, "13800000004", 0).number, loan_of(session, "13800000004", 1).number

    one = reference_of(start(client, first))
    two = reference_of(start(client, second))

    assert one != two
    assert snapshot(demo, one)["loan_id"] != snapshot(demo, two)["loan_id"]
    assert application_count(demo, status="draft") == 2


def test_another_borrowers_start_key_does_not_lead_to_their_application(demo):
    owner = signed_in(demo, URBAN)
    with database(demo) as session:
        number = loan_of(session, URBAN).number
        theirs = loan_of(session, "13800000002").number
    key = new_key()
    reference = reference_of(start(owner, number, key))
    other = signed_in(demo, "13800000002")

    response = start(other, theirs, key)

    assert response.status_code == 303
    assert reference not in response.headers["Location"]
    assert path_of(response) == f"/loans/{theirs}"
    assert application_count(demo) == 1


def test_a_second_application_for_the_loan_is_refused_with_a_link_to_the_first(demo):
    client, number, reference = submitted(demo)

    response = start(client, number)

    assert response.status_code == 303
    assert path_of(response) == f"/applications/{reference}"
    html = client.get(path_of(response)).get_data(as_text=True)
    message = text(
        demo,
        "There is already an application for this loan: %(reference)s. You can follow it below.",
        reference=reference,
    )
    assert message in notices(html)
    assert reference in message
    assert application_count(demo) == 1


def _copy(first: Application, status: str, reference: str) -> Application:
    """Another application row for the same loan, written straight to the database."""
    return Application(
        reference=reference,
        loan_id=first.loan_id,
        borrower_id=first.borrower_id,
        status=status,
        variant=first.variant,
        policy_pack_id=first.policy_pack_id,
        create_key=new_key(),
        channel="web",
        created_by="test",
        created_at=datetime(2026, 11, 29),
        updated_at=datetime(2026, 11, 29),
    )


def test_the_database_refuses_a_second_open_application_for_a_loan(demo):
    client, number, reference = submitted(demo)

    for status in sorted(OPEN_STATUSES):
        with database(demo) as session:
            session.add(_copy(application(session, reference), status, f"RA-COPY-{status[:8]}"))
            with pytest.raises(IntegrityError):
                session.flush()
            session.rollback()
    assert application_count(demo) == 1


def test_the_open_application_index_leaves_closed_applications_alone(demo):
    client, number, reference = submitted(demo)
    closed = ("withdrawn", "rejected", "declined", "expired", "active", "completed", "broken")

    with database(demo) as session:
        first = application(session, reference)
        for n, status in enumerate(closed):
            session.add(_copy(first, status, f"RA-OLD-{n}"))
        session.commit()

    assert application_count(demo) == 1 + len(closed)


# --- withdrawal ------------------------------------------------------------------------------------------


def _withdraw(client, reference, page: str | None = None):
    return client.submit(f"/applications/{reference}/withdraw", page=page or f"/applications/{reference}")


@pytest.mark.parametrize(
    ("stage", "moves"),
    [
        ("draft", ()),
        ("submitted", ()),
        ("in_review", ("in_review",)),
        ("info_requested", ("in_review", "info_requested")),
    ],
)
def test_withdrawing_ends_the_application_and_a_new_one_can_start(demo, stage, moves):
    client, number, reference = (draft if stage == "draft" else submitted)(demo)
    move(demo, reference, *moves, info_request="Which month?" if moves else None)
    assert f'href="/applications/{reference}/withdraw"' in client.get(f"/applications/{reference}").get_data(
        as_text=True
    )
    confirm = client.get(f"/applications/{reference}/withdraw")
    assert confirm.status_code == 200
    assert f'action="/applications/{reference}/withdraw"' in confirm.get_data(as_text=True)
    assert snapshot(demo, reference)["status"] == stage  # asking is not withdrawing

    response = _withdraw(client, reference, page=f"/applications/{reference}/withdraw")

    assert response.status_code == 303 and path_of(response) == f"/applications/{reference}"
    html = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert text(demo, "Your application has been withdrawn.") in notices(html)
    assert snapshot(demo, reference)["status"] == "withdrawn"
    with database(demo) as session:
        row = application(session, reference)
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject == f"application:{row.id}", AuditEvent.action == "application.withdrawn"
            )
        ).one()
        assert (event.actor, event.channel) == (f"borrower:{row.borrower_id}", "web")
        assert (event.data["from"], event.data["to"]) == (stage, "withdrawn")
    # The withdraw button is gone, and the loan is free for a new application.
    assert f"/applications/{reference}/withdraw" not in html
    assert client.get(f"/applications/{reference}/withdraw").status_code == 303
    again = start(client, number)
    assert again.status_code == 303
    new_reference = reference_of(again)
    assert new_reference != reference
    assert path_of(again) == f"/applications/{new_reference}/hardship"
    assert snapshot(demo, new_reference)["status"] == "draft"


def test_withdrawing_after_approval_is_refused(demo):
    client, _number, reference = approved(demo)
    before = audit_count(demo, "application.withdrawn")

    response = _withdraw(client, reference)

    assert response.status_code == 303 and path_of(response) == f"/applications/{reference}"
    html = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert text(demo, "This application can no longer be withdrawn.") in notices(html)
    assert snapshot(demo, reference)["status"] == "approved"
    assert audit_count(demo, "application.withdrawn") == before == 0


# --- illegal moves ---------------------------------------------------------------------------------------


ILLEGAL = [
    ("draft", "approved", "reviewer"),
    ("draft", "active", "system"),
    ("draft", "in_review", "reviewer"),
    ("submitted", "accepted", "borrower"),
    ("submitted", "approved", "borrower"),
    ("submitted", "approved", "reviewer"),  # it has to be claimed (in_review) first
    ("in_review", "approved", "borrower"),  # a borrower cannot decide
    ("in_review", "approved", "agent"),
    ("rejected", "accepted", "borrower"),
    ("rejected", "approved", "reviewer"),
    ("approved", "withdrawn", "borrower"),
    ("approved", "active", "borrower"),
    ("withdrawn", "submitted", "borrower"),
    ("active", "accepted", "borrower"),
]


def test_move_refuses_illegal_transitions_and_changes_nothing(demo):
    client, _number, reference = submitted(demo)

    for current, target, role in ILLEGAL:
        with database(demo) as session:
            application(session, reference).status = current  # arranged straight in the database
            session.commit()
        before = snapshot(demo, reference)
        with database(demo) as session:
            events = session.scalar(select(func.count(AuditEvent.id)))
            row = application(session, reference)
            with pytest.raises(IllegalTransition):
                transitions.move(session, row, target, role=role, actor="staff:1")
            assert row.status == current
            session.commit()
        assert snapshot(demo, reference) == before, (current, target, role)
        with database(demo) as session:
            assert session.scalar(select(func.count(AuditEvent.id))) == events, (current, target, role)


def test_move_makes_a_legal_transition_with_one_audit_row(demo):
    client, _number, reference = submitted(demo)

    move(demo, reference, "in_review", role="reviewer", actor="staff:1")

    with database(demo) as session:
        row = application(session, reference)
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject == f"application:{row.id}", AuditEvent.action == "application.in_review"
            )
        ).one()
    assert row.status == "in_review"
    assert (event.actor, event.data["from"], event.data["to"], event.data["policy_version"]) == (
        "staff:1",
        "submitted",
        "in_review",
        3,  # the newest pack (version 3 added the senior waiver limit and the claim lifetime)
    )


def test_accept_route_on_a_submitted_application_does_nothing(demo):
    client, number, reference = submitted(demo)

    response = client.submit(
        f"/applications/{reference}/accept",
        {"password": "Demo-pass-2026", "code": ""},
        page=f"/applications/{reference}",
    )

    assert response.status_code == 303 and path_of(response) == f"/applications/{reference}"
    assert snapshot(demo, reference)["status"] == "submitted"
    assert audit_count(demo, "application.accepted") == 0
    with database(demo) as session:
        loan = loan_of(session, URBAN)
        assert (
            session.scalar(select(func.count(ScheduleVersion.id)).where(ScheduleVersion.loan_id == loan.id))
            == 1
        )
    # And the offer page is not shown for it.
    offer = client.get(f"/applications/{reference}/offer")
    assert offer.status_code == 303 and path_of(offer) == f"/applications/{reference}"


def test_decline_route_on_an_approved_application_does_nothing(demo):
    client, _number, reference = approved(demo)

    response = client.submit(f"/applications/{reference}/decline", page=f"/applications/{reference}")

    assert response.status_code == 303
    assert snapshot(demo, reference)["status"] == "approved"
    assert audit_count(demo, "application.declined") == 0


def test_journey_forms_of_a_submitted_application_lead_back_to_its_page(demo):
    client, _number, reference = submitted(demo)
    before = snapshot(demo, reference)
    base = f"/applications/{reference}"

    for step, data in [
        ("hardship", {"reasons": ["lost_job"], "duration": "permanent", "account": "changed"}),
        ("money", {"income_wages": "1"}),
        ("plan/installment_plan", {"months": "3", "pay_day": "1", "action": "choose"}),
    ]:
        response = client.submit(f"{base}/{step}", data, page=base)
        assert response.status_code == 303, step
        assert path_of(response) == base

    assert snapshot(demo, reference) == before


def test_another_borrower_gets_404_for_every_page_of_the_application(demo):
    client, _number, reference = submitted(demo)
    other = signed_in(demo, "13800000004")
    anonymous = demo.test_client()
    base = f"/applications/{reference}"

    for path in (
        "",
        "/hardship",
        "/money",
        "/evidence",
        "/options",
        "/plan/installment_plan",
        "/check",
        "/offer",
        "/agreement",
    ):
        assert other.get(base + path).status_code == 404, path
        assert anonymous.get(base + path).status_code == 404, path
    for path in ("/withdraw", "/answer", "/accept", "/decline", "/offer/code", "/check"):
        assert (
            other.submit(base + path, {"answer": "x", "password": "Demo-pass-2026"}, page="/").status_code
            == 404
        ), path
    assert snapshot(demo, reference)["status"] == "submitted"
