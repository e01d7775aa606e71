"""The audit trail cannot be quietly rewritten: whoever gets past the database's append-only triggers (a superuser,
anyone with the database file) and edits rows, rebuilds the chain without the key, or deletes the newest rows is
caught by `flask audit verify`, which checks the keyed chain against the checkpoints kept outside the database.
And recording who viewed a case takes no lock on the chain: page views do not wait for one another."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, func, select, text, update

from portal import create_app
from portal.config import ConfigError
from portal.core import audit
from portal.core.models import AuditEvent, ViewRecord
from tests.helpers.common import PG_URL, settings
from tests.helpers.loans import database
from tests.helpers.staff import URBAN, case_url, staff_client, submitted

EVENTS = AuditEvent.__table__
VIEWS = ViewRecord.__table__
OLD_KEYS = "k2025:old-audit-key-0123456789abcdef"
NEW_KEYS = "k2026:new-audit-key-0123456789abcdef," + OLD_KEYS


@pytest.fixture
def kept(database_url, tmp_path):
    """An app that keeps checkpoints, in a file of this test's own."""
    application = create_app(settings(database_url, AUDIT_CHECKPOINTS=str(tmp_path / "checkpoints.jsonl")))
    yield application
    application.extensions["db_engine"].dispose()


def _write(app, rows: int, *, per_commit: int | None = None) -> None:
    """`rows` audit rows, `per_commit` of them in each transaction (all in one by default)."""
    per_commit = per_commit or rows
    with database(app) as session:
        for n in range(rows):
            audit.record(session, actor="staff:1", action="test.action", subject=f"loan:{n}", data={"n": n})
            if (n + 1) % per_commit == 0:
                session.commit()
        session.commit()


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _behind_the_triggers_back(app, statements) -> None:
    """Run `statements` with the append-only triggers of both audit tables out of the way (as an intruder with
    DDL rights: a superuser, or anyone holding the SQLite file)."""
    with database(app) as session:
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            for table in ("audit_events", "audit_views"):
                for verb in ("update", "delete"):
                    session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
        else:
            session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
            session.execute(text("ALTER TABLE audit_views DISABLE TRIGGER audit_views_no_change"))
        try:
            for statement in statements:
                session.execute(statement)
            session.commit()
        finally:
            session.rollback()
            if (
                dialect == "postgresql"
            ):  # the schema is shared by every test on PostgreSQL: put the guards back
                session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))
                session.execute(text("ALTER TABLE audit_views ENABLE TRIGGER audit_views_no_change"))
                session.commit()


def _rebuild_chain(app, change, seal) -> None:
    """Apply `change` to each row (a dict of its columns) and link and seal the whole chain again with `seal`."""
    with database(app) as session:
        rows = [dict(r._mapping) for r in session.execute(select(EVENTS).order_by(EVENTS.c.id))]
    prev, statements = audit.GENESIS, []
    for row in rows:
        change(row)
        row["prev_hash"] = prev
        row["hash"] = prev = seal(SimpleNamespace(**row))
        values = {name: row[name] for name in ("data", "key_id", "prev_hash", "hash")}
        statements.append(update(EVENTS).where(EVENTS.c.id == row["id"]).values(**values))
    _behind_the_triggers_back(app, statements)


def _edit_third(row: dict) -> None:
    if row["id"] == 3:
        row["data"] = {"n": 999}


def test_an_intact_trail_with_its_checkpoints_verifies(kept):
    """ASVS 7.3.3: the check passes on a trail nobody touched, checkpoint after checkpoint."""
    _write(kept, 30, per_commit=10)

    result = _verify(kept)

    assert result.exit_code == 0, result.output
    assert "30 row(s)" in result.output and "3 checkpoint(s)" in result.output


def test_an_edited_row_fails_verification(kept):
    """ASVS 7.3.3: a row changed behind the triggers' back, chain left as it was, is named."""
    _write(kept, 5)
    _behind_the_triggers_back(kept, [update(EVENTS).where(EVENTS.c.id == 3).values(data={"n": 999})])

    result = _verify(kept)

    assert result.exit_code == 1
    assert "row 3: contents changed" in result.output


@pytest.mark.parametrize(
    "seal",
    [
        pytest.param(audit.legacy_digest, id="plain-sha256"),
        pytest.param(lambda row: audit.keyed_digest(row, b"a-guessed-key-0123456789"), id="wrong-key"),
    ],
)
def test_an_edited_row_with_the_chain_rebuilt_without_the_key_fails_verification(kept, seal):
    """ASVS 7.3.3: rebuilding every hash after an edit (plain SHA-256, or HMAC under a guessed key) leaves a chain
    that links, but its seals do not hold without the configured key."""
    _write(kept, 5)

    _rebuild_chain(kept, _edit_third, seal)

    result = _verify(kept)
    assert result.exit_code == 1
    assert "seal does not hold" in result.output
    assert "differs from checkpoint" in result.output  # and the head no longer matches the file


def test_a_chain_passed_off_as_rows_from_before_keys_fails_verification(app):
    """ASVS 7.3.3: clearing every key id and rebuilding the chain as the unkeyed rows of before the upgrade leaves
    rows no keyed row anchors: refused, even with no checkpoint file to compare with."""
    _write(app, 5)

    def unkeyed(row: dict) -> None:
        _edit_third(row)
        row["key_id"] = None

    _rebuild_chain(app, unkeyed, audit.legacy_digest)

    result = _verify(app)
    assert result.exit_code == 1
    assert "not anchored" in result.output


def test_deleting_the_newest_fifty_rows_fails_verification(kept):
    """ASVS 7.3.3: the 50 newest rows deleted leave a shorter chain that holds; the checkpoints outside the
    database remember how long it was."""
    _write(kept, 60, per_commit=20)
    _behind_the_triggers_back(kept, [delete(EVENTS).where(EVENTS.c.id > 10)])
    with database(kept) as session:
        assert session.scalar(select(func.count()).select_from(EVENTS)) == 10

    result = _verify(kept)

    assert result.exit_code == 1
    assert "recorded 60 rows but the trail ends at row 10: the newest rows were deleted" in result.output


def test_a_forged_checkpoint_fails_verification(kept, tmp_path):
    """ASVS 7.3.3: the checkpoints are sealed too: a line rewritten to match a shortened trail is refused."""
    _write(kept, 4, per_commit=2)
    path = tmp_path / "checkpoints.jsonl"
    lines = path.read_text().splitlines()
    forged = {**json.loads(lines[-1]), "rows": 2, "head": json.loads(lines[0])["head"]}
    path.write_text("\n".join([*lines[:-1], json.dumps(forged)]) + "\n")

    result = _verify(kept)

    assert result.exit_code == 1
    assert "checkpoint line 2 was forged or changed" in result.output


def test_a_checkpoint_is_written_after_each_commit_that_wrote_audit_rows_and_only_then(kept, tmp_path):
    """ASVS 7.3.3: one line per committed transaction that appended rows, none for one rolled back."""
    _write(kept, 6, per_commit=3)
    with database(kept) as session:
        audit.record(session, actor="staff:1", action="test.action")
        session.rollback()
        session.commit()  # a later commit in the same session does not checkpoint the row rolled back

    lines = [json.loads(line) for line in (tmp_path / "checkpoints.jsonl").read_text().splitlines()]

    assert [line["rows"] for line in lines] == [3, 6]
    assert {line["key"] for line in lines} == {"dev"}


def test_the_checkpoint_command_writes_the_head(kept, tmp_path):
    _write(kept, 2)

    result = kept.test_cli_runner().invoke(args=["audit", "checkpoint"])

    assert result.exit_code == 0, result.output
    last = json.loads((tmp_path / "checkpoints.jsonl").read_text().splitlines()[-1])
    with database(kept) as session:
        assert (last["rows"], last["head"]) == audit.head(session)


def _app_with_keys(database_url, keys: str):
    return create_app(settings(database_url, AUDIT_KEYS=keys))


def test_after_a_key_rotation_old_rows_verify_with_the_old_key_and_new_rows_with_the_new(database_url):
    """ASVS 7.3.3, 6.4.1: rows name the key that sealed them; after rotation the new key seals, the old one is kept
    only to verify, and a trail whose old key was dropped from the configuration no longer verifies."""
    before, after, old_dropped = (
        _app_with_keys(database_url, keys) for keys in (OLD_KEYS, NEW_KEYS, NEW_KEYS.split(",")[0])
    )
    try:
        _write(before, 3)
        _write(after, 2)

        with database(after) as session:
            assert list(session.scalars(select(AuditEvent.key_id).order_by(AuditEvent.id))) == [
                "k2025",
                "k2025",
                "k2025",
                "k2026",
                "k2026",
            ]
        assert _verify(after).exit_code == 0, _verify(after).output
        refused = _verify(old_dropped)
        assert refused.exit_code == 1
        assert "row 1: sealed with the key 'k2025', which is not configured" in refused.output
    finally:
        for application in (before, after, old_dropped):
            application.extensions["db_engine"].dispose()


def test_rows_from_before_keys_are_anchored_by_the_upgrade_and_an_edit_to_them_is_found(app):
    """ASVS 7.3.3: rows chained with plain SHA-256 before the upgrade are kept as they are; `flask db upgrade`
    appends a keyed row whose seal covers them, so rebuilding their plain chain after an edit is found."""
    prev, rows = audit.GENESIS, []
    for n in range(1, 4):
        row = SimpleNamespace(
            id=n,
            at=datetime(2026, 11, 1, 9, 0, n),
            actor="staff:1",
            on_behalf_of=None,
            channel="web",
            action="old.action",
            subject=None,
            request_id=None,
            data={"n": n},
            prev_hash=prev,
            key_id=None,
        )
        row.hash = prev = audit.legacy_digest(row)
        rows.append(vars(row))
    with database(app) as session:
        session.execute(EVENTS.insert(), rows)
        session.commit()
    assert _verify(app).exit_code == 1  # not anchored yet

    upgraded = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert "3 row(s) from before audit keys anchored" in upgraded.output
    intact = _verify(app)
    assert intact.exit_code == 0, intact.output
    assert "4 row(s) (3 from before audit keys)" in intact.output

    _rebuild_chain(
        app,
        lambda row: _edit_third(row) if row["key_id"] is None else None,
        lambda row: audit.legacy_digest(row) if row.key_id is None else row.hash,
    )
    result = _verify(app)
    assert result.exit_code == 1
    assert "row 4: contents changed after it was written (its seal does not hold)" in result.output


def test_production_refuses_to_start_without_an_audit_key_or_with_the_development_one(
    database_url, monkeypatch
):
    """ASVS 6.4.1: the audit key comes from the configuration, and production has one of its own."""
    from portal.config import DEV_AUDIT_KEYS

    monkeypatch.delenv("PORTAL_AUDIT_KEYS", raising=False)
    production = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": "production-secret-0123456789",
        "DATABASE_URL": database_url,
    }
    for keys in (None, DEV_AUDIT_KEYS, "short:too-short"):
        with pytest.raises(ConfigError):
            create_app({**production, "AUDIT_KEYS": keys})


def test_a_case_page_viewing_goes_to_the_sealed_record_of_viewings_not_the_chain(demo):
    """ASVS 7.1.3, 7.3.3: who viewed which case is recorded and sealed; an edited viewing is found."""
    reference = submitted(demo, URBAN)
    reviewer = staff_client(demo, "reviewer1")
    with database(demo) as session:
        chained = session.scalar(select(func.count()).select_from(EVENTS))

    assert reviewer.get(case_url(reference)).status_code == 200

    with database(demo) as session:
        assert session.scalar(select(func.count()).select_from(EVENTS)) == chained
        (viewing,) = session.scalars(select(ViewRecord).where(ViewRecord.action == "case.viewed")).all()
    assert _verify(demo).exit_code == 0
    _behind_the_triggers_back(demo, [update(VIEWS).where(VIEWS.c.id == viewing.id).values(actor="staff:999")])
    result = _verify(demo)
    assert result.exit_code == 1
    assert f"viewing {viewing.id} was changed" in result.output


@pytest.mark.skipif(not PG_URL, reason="SQLite has one writer at a time by design; the lock is PostgreSQL's")
def test_case_page_views_do_not_wait_for_the_chains_lock_or_for_each_other(demo):
    """ASVS 7.1.3 (viewings on the record) without a queue: while a transaction holds the chain's lock, as a
    decision being recorded does, four case pages opened at once are all served and all on the record."""
    reference = submitted(demo, URBAN)
    readers = [staff_client(demo, "reviewer1") for _ in range(4)]
    holder = demo.extensions["db_engine"].connect()
    try:
        holder.execute(
            text("SELECT * FROM audit_head()")
        )  # takes the chain's lock to the end of the transaction
        with ThreadPoolExecutor(len(readers)) as pool:
            pages = [pool.submit(reader.get, case_url(reference)) for reader in readers]
            done, waiting = wait(pages, timeout=15)
            holder.rollback()  # whatever happened, let anything waiting go
        assert not waiting, "a case page view waited for the chain's lock"
        assert [page.result().status_code for page in done] == [200] * len(readers)
    finally:
        holder.close()
    with database(demo) as session:
        viewed = select(func.count()).where(ViewRecord.action == "case.viewed")
        assert session.scalar(viewed) == len(readers)
