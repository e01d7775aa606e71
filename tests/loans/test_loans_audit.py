"""The audit trail: one row per action with its actor, append-only in the database, hash-chained and checked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from portal.clock import utcnow
from portal.core import audit
from portal.core.audit_verify import verify
from portal.core.models import AuditEvent, Notification, ViewRecord
from portal.people.models import Borrower, StaffUser
from tests.helpers.common import sign_in, staff_sign_in
from tests.helpers.loans import database


def _events(app) -> list[AuditEvent]:
    with database(app) as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _record_some(app, count: int = 3) -> list[int]:
    with database(app) as session:
        ids = [
            audit.record(
                session, actor="staff:1", action="test.action", subject=f"loan:{n}", data={"n": n}
            ).id
            for n in range(count)
        ]
        session.commit()
        return ids


def _behind_the_triggers_back(app, statement) -> None:
    """Run `statement` on audit_events with the append-only triggers out of the way (as an intruder with DDL rights)."""
    with database(app) as session:
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            session.execute(text("DROP TRIGGER audit_events_no_update"))
            session.execute(text("DROP TRIGGER audit_events_no_delete"))
        else:
            session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        try:
            session.execute(statement)
            session.commit()
        finally:
            session.rollback()
            if (
                dialect == "postgresql"
            ):  # the schema is shared by every test on PostgreSQL: put the guard back
                session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))
                session.commit()


@pytest.fixture
def tampered_row(app):
    """One audit row whose data was changed behind the trigger's back; yields its id."""
    target = _record_some(app, 4)[2]
    table = AuditEvent.__table__
    _behind_the_triggers_back(app, update(table).where(table.c.id == target).values(data={"n": 999}))
    return target


def test_password_sign_in_and_sign_out_are_audited_with_the_actor(demo, client):
    with database(demo) as session:
        borrower_id = session.scalar(select(Borrower.id).where(Borrower.phone == "13800000001"))
    before = len(_events(demo))
    with demo.app_context():
        started = utcnow()  # the business clock: the business date at the current time of day

    signed_in = sign_in(client)
    client.submit("/sign-out", page="/")

    events = _events(demo)[before:]
    assert [(e.actor, e.action, e.channel) for e in events] == [
        (f"borrower:{borrower_id}", "sign_in", "web"),
        (f"borrower:{borrower_id}", "sign_out", "web"),
    ]
    assert events[0].data == {"method": "password"}
    assert events[0].request_id == signed_in.headers["X-Request-Id"]
    assert events[1].request_id and events[1].request_id != events[0].request_id
    with demo.app_context():
        ended = utcnow()
    for event in events:
        assert started - timedelta(seconds=1) <= event.at <= ended + timedelta(seconds=1)  # naive UTC


def test_sms_code_sign_in_is_audited(demo, client):
    client.submit("/sign-in/code", {"phone": "13800000002"})
    with database(demo) as session:
        body = session.scalar(select(Notification.body))
        borrower_id = session.scalar(select(Borrower.id).where(Borrower.phone == "13800000002"))
    code = re.search(r"(?<!\d)\d{6}(?!\d)", body).group(0)
    client.submit("/sign-in/code/enter", {"code": code})

    last = _events(demo)[-1]
    assert (last.actor, last.action, last.data) == (
        f"borrower:{borrower_id}",
        "sign_in",
        {"method": "sms_code"},
    )


def test_staff_sign_in_is_audited_with_the_staff_actor(demo, client):
    with database(demo) as session:
        staff_id = session.scalar(select(StaffUser.id).where(StaffUser.username == "reviewer1"))

    staff_sign_in(client, "reviewer1")

    last = _events(demo)[-1]
    assert (last.actor, last.action) == (f"staff:{staff_id}", "sign_in")


def test_a_failed_sign_in_writes_no_sign_in_row(demo, client):
    before = len(_events(demo))

    sign_in(client, "13800000001", "Not-the-pass-2026")

    assert [e.action for e in _events(demo)[before:]] == []


def test_the_database_refuses_to_update_an_audit_row(app):
    target = _record_some(app)[0]
    with database(app) as session:
        with pytest.raises(DatabaseError):
            session.execute(
                update(AuditEvent.__table__).where(AuditEvent.__table__.c.id == target).values(actor="x")
            )
            session.flush()
        session.rollback()
        with pytest.raises(DatabaseError):
            session.execute(text("UPDATE audit_events SET data = data"))
        session.rollback()
    assert _events(app)[0].actor == "staff:1"


def test_the_database_refuses_to_update_an_audit_row_through_the_orm(app):
    target = _record_some(app)[0]
    with database(app) as session:
        event = session.get(AuditEvent, target)
        event.action = "something.else"
        with pytest.raises(DatabaseError):
            session.flush()
        session.rollback()
    assert _events(app)[0].action == "test.action"


def test_the_database_refuses_to_delete_an_audit_row(app):
    ids = _record_some(app)
    with database(app) as session:
        with pytest.raises(DatabaseError):
            session.execute(delete(AuditEvent.__table__).where(AuditEvent.__table__.c.id == ids[-1]))
        session.rollback()
        with pytest.raises(DatabaseError):
            session.execute(text("DELETE FROM audit_events"))
        session.rollback()
    assert [e.id for e in _events(app)] == ids


def test_each_row_links_to_the_one_before(app):
    _record_some(app, 5)

    events = _events(app)

    assert events[0].prev_hash == audit.GENESIS
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
        assert event.id == previous.id + 1
    assert len({e.hash for e in events}) == len(events)


def test_writers_at_the_same_moment_each_link_to_the_row_before(app):
    """Eight threads, each with its own connection, appending at once (refusals recorded in transactions of their
    own, under load): the lock around the chain's head leaves one unbroken chain, no two rows on the same
    previous one."""
    from concurrent.futures import ThreadPoolExecutor

    def view(n: int) -> None:
        with app.test_request_context():
            for k in range(5):
                audit.record_in_own_transaction(
                    actor="staff:1", action="sign_in.locked", subject=f"loan:{n}:{k}"
                )

    before = len(_events(app))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(view, range(8)))

    events = _events(app)
    assert len(events) == before + 40
    assert len({e.prev_hash for e in events}) == len(events)
    with database(app) as session:
        assert verify(session, app.config) == []


def test_verify_finds_nothing_wrong_with_an_intact_chain(demo, client):
    sign_in(client)
    client.submit("/sign-out", page="/")
    _record_some(demo)

    with database(demo) as session:
        assert verify(session, demo.config) == []
    result = demo.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_verify_finds_a_row_changed_behind_the_triggers_back(app, tampered_row):
    with database(app) as session:
        breaks = verify(session, app.config)

    assert [b.event_id for b in breaks] == [tampered_row]
    assert "changed" in breaks[0].problem


def test_verify_finds_a_deleted_row(app):
    ids = _record_some(app, 4)
    table = AuditEvent.__table__
    _behind_the_triggers_back(app, delete(table).where(table.c.id == ids[1]))

    with database(app) as session:
        breaks = verify(session, app.config)

    assert {b.event_id for b in breaks} == {ids[2]}


def test_the_audit_verify_command_exits_1_and_names_the_changed_row(app, tampered_row):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert f"row {tampered_row}" in result.output


def test_the_database_refuses_to_change_or_delete_a_viewing(app):
    with app.test_request_context():
        audit.record_view(actor="staff:1", action="case.viewed", subject="application:1", channel="branch")
    views = ViewRecord.__table__
    with database(app) as session:
        with pytest.raises(DatabaseError):
            session.execute(update(views).values(actor="staff:2"))
        session.rollback()
        with pytest.raises(DatabaseError):
            session.execute(delete(views))
        session.rollback()
        assert session.scalars(select(ViewRecord.actor)).all() == ["staff:1"]


def test_audit_commands_say_when_the_audit_keys_are_missing(database_url):
    from portal import create_app
    from tests.helpers.common import settings

    keyless = create_app(settings(database_url, AUDIT_KEYS={}, AUDIT_KEY_ID=None))
    try:
        for command in ("verify", "checkpoint"):
            result = keyless.test_cli_runner().invoke(args=["audit", command])
            assert result.exit_code == 1
            assert "PORTAL_AUDIT_KEYS must be set" in result.output
    finally:
        keyless.extensions["db_engine"].dispose()
