"""The audit trail: one append-only, hash-chained row per action.

Each row's hash covers its own fields and the previous row's hash, so changing or deleting any row breaks the
chain from that row on; `flask audit verify` finds it. The database itself refuses UPDATE and DELETE (triggers
created by the migration).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from types import SimpleNamespace

from flask import g, has_request_context
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.core.models import AuditEvent

GENESIS = "0" * 64


_JSON = {"sort_keys": True, "ensure_ascii": False, "default": str}


def _payload(event) -> dict:
    return {
        "id": event.id,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "on_behalf_of": event.on_behalf_of,
        "channel": event.channel,
        "action": event.action,
        "subject": event.subject,
        "request_id": event.request_id,
        "data": event.data,
        "prev": event.prev_hash,
    }


def _digest(event) -> str:
    """The row's hash: its fields and the previous row's hash (`event` is a row or a namespace of its values)."""
    return hashlib.sha256(json.dumps(_payload(event), **_JSON).encode()).hexdigest()


def hashed_text_around_the_link(event) -> tuple[str, str, str]:
    """The text `_digest` hashes, cut where the row's id and the previous row's hash go: (before the id, between
    the id and the previous hash, after it). `before + str(id) + between + prev_hash + after` is exactly
    `json.dumps(payload, sort_keys=True, ...)`, so the database can finish the hash once it knows the chain's
    head (tests/loans compare the two over many rows)."""
    payload = _payload(event)
    parts = {key: f"{json.dumps(key)}: {json.dumps(value, **_JSON)}" for key, value in payload.items()}
    keys = sorted(payload)
    id_at, prev_at = keys.index("id"), keys.index("prev")
    before = "{" + "".join(parts[k] + ", " for k in keys[:id_at]) + '"id": '
    between = "".join(", " + parts[k] for k in keys[id_at + 1 : prev_at]) + ', "prev": "'
    after = '"' + "".join(", " + parts[k] for k in keys[prev_at + 1 :]) + "}"
    return before, between, after


# PostgreSQL: one call takes the chain's lock, reads its head, finishes the hash and inserts the row (migration
# audit_history), so the lock is held for no round trip at all. SQLite: BEGIN IMMEDIATE took the database's write
# lock already; the head is read and the row written from here.
_APPEND = text(
    "SELECT id, hash FROM audit_append(:at, :actor, :on_behalf_of, :channel, :action, :subject, :request_id,"
    " CAST(:data AS json), :before, :between, :after)"
)
_HEAD = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_INSERT = insert(AuditEvent)


def _append(connection, fields: dict) -> SimpleNamespace:
    """Link one row to the end of the chain and write it, in the connection's transaction (on PostgreSQL an
    autocommit connection makes it one round trip that commits too).

    Every writer of the chain waits its turn (on PostgreSQL an advisory lock held to the end of the transaction;
    SQLite's write lock does the same), so the work done between reading the chain's head and committing is
    what every page that writes to the trail pays for under load.
    """
    if connection.dialect.name == "postgresql":
        event = SimpleNamespace(**fields, id=0, at=utcnow(), prev_hash="")
        before, between, after = hashed_text_around_the_link(event)
        row = connection.execute(
            _APPEND,
            {
                **fields,
                "at": event.at,
                "data": json.dumps(event.data, **_JSON),
                "before": before,
                "between": between,
                "after": after,
            },
        ).one()
        event.id, event.hash = row.id, row.hash
        return event
    last = connection.execute(_HEAD).first()
    event = SimpleNamespace(
        **fields,
        id=(last.id + 1) if last else 1,
        at=utcnow(),
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = _digest(event)
    connection.execute(_INSERT, [vars(event)])
    return event


def _fields(
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    on_behalf_of: str | None = None,
    channel: str = "web",
    data: dict | None = None,
) -> dict:
    return {
        "actor": actor,
        "on_behalf_of": on_behalf_of,
        "channel": channel,
        "action": action,
        "subject": subject,
        "request_id": g.get("request_id") if has_request_context() else None,
        "data": data or {},
    }


def record(session: Session, **row) -> SimpleNamespace:
    """Append one audit row in the caller's transaction (never commits); returns its values (`.id`, `.hash`).

    The row: `actor` and `action`, and optionally `subject`, `on_behalf_of`, `channel` ("web") and `data`."""
    session.flush()  # what the caller changed so far goes first, as the ORM would order it
    session.info["wrote"] = True
    return _append(session.connection(), _fields(**row))


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain stops holding, and why."""

    event_id: int
    problem: str


def verify(session: Session) -> list[ChainBreak]:
    """Walk the whole chain; return every row whose hash or link does not hold."""
    breaks: list[ChainBreak] = []
    prev = GENESIS
    expected_id = 1
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        if event.id != expected_id:
            breaks.append(ChainBreak(event.id, "missing rows before this one"))
        if event.prev_hash != prev:
            breaks.append(ChainBreak(event.id, "does not link to the previous row"))
        if _digest(event) != event.hash:
            breaks.append(ChainBreak(event.id, "contents changed after it was written"))
        prev = event.hash
        expected_id = event.id + 1
    return breaks


def record_in_own_transaction(**row) -> None:
    """Write one audit row (the fields `record` takes) in a short transaction of its own: for reads that must be
    on the record, such as a member of staff viewing a borrower's case (the page itself stays a read), and for
    refusals that must stay on the record although the request's own work is rolled back."""
    from flask import current_app

    from portal.db import own_transaction

    fields = _fields(**row)
    engine = current_app.extensions["db_engine"]
    if engine.dialect.name == "postgresql":
        # One statement that commits itself (audit_append, migration 0007): the chain's lock is held only inside
        # the database, never across a round trip.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            _append(connection, fields)
        return
    with own_transaction() as session:
        _append(session.connection(), fields)
