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
from portal.loans.models import AuditEvent

GENESIS = "0" * 64


def _digest(event) -> str:
    """The row's hash: its fields and the previous row's hash (`event` is a row or a namespace of its values)."""
    payload = json.dumps(
        {
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
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# PostgreSQL: the advisory lock and the head in one call (migration audit_history), so the lock is held for the
# insert and the commit only. SQLite: BEGIN IMMEDIATE took the database's write lock already.
_LOCKED_HEAD = text("SELECT id, hash FROM audit_chain_head()")
_HEAD = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_INSERT = insert(AuditEvent)


def _append(connection, fields: dict) -> SimpleNamespace:
    """Link one row to the end of the chain and write it, in the caller's transaction.

    Every writer of the chain waits its turn (on PostgreSQL an advisory lock held to the end of the transaction;
    SQLite's write lock does the same), so the work done between reading the chain's head and committing is
    what the busiest page pays for: two statements and a hash, no ORM unit of work.
    """
    # Serialise writers of the chain so two transactions never link to the same previous row.
    last = connection.execute(_LOCKED_HEAD if connection.dialect.name == "postgresql" else _HEAD).first()
    event = SimpleNamespace(
        **fields,
        id=(last.id + 1) if last else 1,
        at=utcnow(),
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = _digest(event)
    connection.execute(_INSERT, [vars(event)])
    return event


def _fields(actor, action, subject, on_behalf_of, channel, data) -> dict:
    return {
        "actor": actor,
        "on_behalf_of": on_behalf_of,
        "channel": channel,
        "action": action,
        "subject": subject,
        "request_id": g.get("request_id") if has_request_context() else None,
        "data": data or {},
    }


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    on_behalf_of: str | None = None,
    channel: str = "web",
    data: dict | None = None,
) -> SimpleNamespace:
    """Append one audit row in the caller's transaction (never commits); returns its values (`.id`, `.hash`)."""
    session.flush()  # what the caller changed so far goes first, as the ORM would order it
    session.info["wrote"] = True
    return _append(session.connection(), _fields(actor, action, subject, on_behalf_of, channel, data))


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


def record_in_own_transaction(
    *,
    actor: str,
    action: str,
    subject: str | None = None,
    on_behalf_of: str | None = None,
    channel: str = "web",
    data: dict | None = None,
) -> None:
    """Write one audit row in a short transaction of its own (`db.own_transaction`): for reads that must be on
    the record, such as a member of staff viewing a borrower's case (the page itself stays a read), and for
    refusals that must stay on the record although the request's own work is rolled back."""
    from portal.db import own_transaction

    fields = _fields(actor, action, subject, on_behalf_of, channel, data)
    with own_transaction() as session:
        _append(session.connection(), fields)
