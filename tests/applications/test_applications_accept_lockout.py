"""Accepting an offer with one's password is checked under the sign-in lockout: one database counter per
borrower, shared with sign-in and password change, so the accept form cannot be used to guess the password."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.core.models import AuditEvent
from portal.loans.models import ScheduleVersion
from portal.people.models import Borrower, SignInFailure
from tests.helpers.applications import (
    PASSWORD,
    URBAN,
    application,
    approved,
    audit_count,
    database,
    field_errors,
    snapshot,
    text,
)
from tests.helpers.common import sign_in

WRONG = "not-the-password"
KEY = f"borrower:{URBAN}"


def _accept(client, reference: str, password: str):
    return client.submit(
        f"/applications/{reference}/accept",
        {"password": password, "code": ""},
        page=f"/applications/{reference}/offer",
    )


def _failures(app) -> int:
    with database(app) as session:
        return session.scalar(
            select(func.count()).select_from(SignInFailure).where(SignInFailure.account_key == KEY)
        )


def _nothing_accepted(app, reference: str) -> None:
    assert snapshot(app, reference)["status"] == "approved"
    assert snapshot(app, reference)["agreement_hash"] is None
    assert audit_count(app, "application.accepted", reference) == 0
    with database(app) as session:
        loan_id = application(session, reference).loan_id
        versions = session.scalars(select(ScheduleVersion.version).where(ScheduleVersion.loan_id == loan_id))
        assert list(versions) == [1]


def _assert_locked(app, response) -> None:
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 900
    assert field_errors(response.get_data(as_text=True)) == [
        text(app, "Too many attempts. For your safety, try again in %(minutes)d minutes.", minutes=15)
    ]


def test_five_wrong_passwords_at_acceptance_refuse_even_the_right_one_and_accept_nothing(demo):
    client, _number, reference = approved(demo)
    for attempt in range(5):
        response = _accept(client, reference, WRONG)
        assert response.status_code == 200, attempt
        assert field_errors(response.get_data(as_text=True)) == [text(demo, "That password is not right.")]
    assert _failures(demo) == 5

    refused = _accept(client, reference, PASSWORD)

    _assert_locked(demo, refused)
    _nothing_accepted(demo, reference)
    with database(demo) as session:
        borrower = session.scalar(select(Borrower).where(Borrower.phone == URBAN))
        locked = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "application.accept_locked")
        ).all()
        assert [(row.actor, row.subject) for row in locked] == [
            (f"borrower:{borrower.id}", f"application:{application(session, reference).id}")
        ]
    assert _failures(demo) == 5  # a refused attempt is not counted and does not extend the lock


def test_wrong_passwords_at_acceptance_lock_sign_in_too(demo):
    client, _number, reference = approved(demo)
    for _ in range(5):
        assert _accept(client, reference, WRONG).status_code == 200

    assert sign_in(demo.test_client(), URBAN, PASSWORD).status_code == 429


def test_failed_sign_ins_and_wrong_passwords_at_acceptance_count_together(demo):
    client, _number, reference = approved(demo)
    attacker = demo.test_client()
    for _ in range(3):
        assert sign_in(attacker, URBAN, WRONG).status_code == 200
    for _ in range(2):
        assert _accept(client, reference, WRONG).status_code == 200
    assert _failures(demo) == 5

    refused = _accept(client, reference, PASSWORD)

    _assert_locked(demo, refused)
    _nothing_accepted(demo, reference)


def test_failed_sign_ins_elsewhere_lock_acceptance_by_password(demo):
    client, _number, reference = approved(demo)
    attacker = demo.test_client()
    for _ in range(5):
        assert sign_in(attacker, URBAN, WRONG).status_code == 200

    refused = _accept(client, reference, PASSWORD)

    _assert_locked(demo, refused)
    _nothing_accepted(demo, reference)


def test_accepting_with_the_right_password_clears_the_failure_count(demo):
    client, _number, reference = approved(demo)
    for _ in range(4):
        assert _accept(client, reference, WRONG).status_code == 200
    assert _failures(demo) == 4

    response = _accept(client, reference, PASSWORD)

    assert response.status_code == 303
    assert snapshot(demo, reference)["status"] == "active"
    assert _failures(demo) == 0
