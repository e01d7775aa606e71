"""The audit trail: one append-only, HMAC-chained row per action, and a separate insert-only record of viewings.

Each row's hash is HMAC-SHA256, under a key from the configuration (never the database), of its own fields, its
key id and the previous row's hash: changing, deleting or reordering rows breaks the chain, and whoever can write
to the database cannot seal the rows again without the key. The database itself refuses UPDATE and DELETE
(triggers created by the migrations). After every commit that added rows, the chain's head (its row count and
hash, sealed with the key) is appended to a checkpoint file outside the database (`audit_checkpoints`), so
deleting the newest rows, which leaves a shorter chain that still holds, is found too. `flask audit verify`
(`audit_verify`) checks both.

Who viewed which borrower's data is not chained: a viewing goes into `audit_views`, insert-only and sealed row by
row, so that page views take no lock and never wait for each other or for the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from types import SimpleNamespace

from flask import current_app, g, has_request_context
from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.config import ConfigError
from portal.core import audit_checkpoints
from portal.core.models import AuditEvent, ViewRecord

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


def legacy_digest(event) -> str:
    """The plain SHA-256 of rows written before the trail had keys (their `key_id` is empty)."""
    return hashlib.sha256(json.dumps(_payload(event), **_JSON).encode()).hexdigest()


def keyed_digest(event, key: bytes) -> str:
    """The row's seal: HMAC-SHA256 of its fields, its key id and the previous row's hash."""
    payload = {**_payload(event), "key": event.key_id}
    return hmac.new(key, json.dumps(payload, **_JSON).encode(), hashlib.sha256).hexdigest()


def _view_mac(row, key: bytes) -> str:
    payload = {
        "at": row.at.isoformat(timespec="microseconds"),
        "actor": row.actor,
        "on_behalf_of": row.on_behalf_of,
        "channel": row.channel,
        "action": row.action,
        "subject": row.subject,
        "request_id": row.request_id,
        "data": row.data,
        "key": row.key_id,
    }
    return hmac.new(key, json.dumps(payload, **_JSON).encode(), hashlib.sha256).hexdigest()


def view_seal_holds(row, keys: dict[str, bytes]) -> bool | None:
    """Whether a viewing's seal holds; None when its key is not configured."""
    key = keys.get(row.key_id)
    return None if key is None else hmac.compare_digest(_view_mac(row, key), row.mac)


def keys() -> dict[str, bytes]:
    """Every configured audit key by id (the current one and those kept to verify older rows)."""
    return current_app.config["AUDIT_KEYS"]


def current_key() -> tuple[str, bytes]:
    """The key id and key that seal new rows."""
    key_id = current_app.config.get("AUDIT_KEY_ID")
    if not key_id:
        raise ConfigError("PORTAL_AUDIT_KEYS must be set to write to or check the audit trail (README)")
    return key_id, current_app.config["AUDIT_KEYS"][key_id]


# PostgreSQL: audit_head() (migration audit_keyed) takes the chain's lock, held to the end of the transaction, and
# reads the head in the same round trip, with a snapshot taken after the lock (the head the last holder
# committed). SQLite: BEGIN IMMEDIATE took the database's write lock already.
_HEAD_PG = text("SELECT id, hash FROM audit_head()")
_HEAD = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_INSERT = insert(AuditEvent)


def _append(session: Session, fields: dict) -> SimpleNamespace:
    """Link one row to the end of the chain and write it, in the session's transaction.

    Every writer of the chain waits its turn (an advisory lock on PostgreSQL, the write lock on SQLite) from
    reading the head to committing; the seal is made here, with the key the database never sees. Viewings, the
    one kind of row written on every page, are kept out of the chain (`record_view`)."""
    key_id, key = current_key()
    connection = session.connection()
    head = _HEAD_PG if connection.dialect.name == "postgresql" else _HEAD
    last = connection.execute(head).first()
    event = SimpleNamespace(
        **fields,
        id=(last.id + 1) if last and last.id else 1,
        at=utcnow(),
        prev_hash=last.hash if last and last.hash else GENESIS,
        key_id=key_id,
    )
    event.hash = keyed_digest(event, key)
    connection.execute(_INSERT, [vars(event)])
    audit_checkpoints.after_commit(session, event.id, event.hash, current_app.config)
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
    return _append(session, _fields(**row))


def is_viewing(action: str) -> bool:
    return action.endswith(".viewed")


_INSERT_VIEW = insert(ViewRecord)


def record_view(**row) -> None:
    """Record who viewed which borrower's data (the fields `record` takes), committed at once whatever becomes of
    the request: one insert into `audit_views`, no lock, so page views never wait for one another."""
    from portal.db import own_transaction

    key_id, key = current_key()
    view = SimpleNamespace(**_fields(**row), at=utcnow(), key_id=key_id)
    view.mac = _view_mac(view, key)
    engine = current_app.extensions["db_engine"]
    if engine.dialect.name == "postgresql":
        # One statement that commits itself: no transaction of its own to open and close.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(_INSERT_VIEW, [vars(view)])
        return
    with own_transaction() as session:
        session.execute(_INSERT_VIEW, [vars(view)])


def record_in_own_transaction(**row) -> None:
    """Write one audit row (the fields `record` takes) in a short transaction of its own, for refusals that must
    stay on the record although the request's own work is rolled back. A viewing (`*.viewed`) goes to
    `record_view` instead, off the chain."""
    from portal.db import own_transaction

    if is_viewing(row["action"]):
        record_view(**row)
        return
    fields = _fields(**row)
    with own_transaction() as session:
        _append(session, fields)


def head(session: Session) -> tuple[int, str]:
    """The chain's row count and the newest row's hash (GENESIS for an empty trail)."""
    last = session.execute(_HEAD).first()
    return (last.id, last.hash) if last else (0, GENESIS)


def seal_legacy(session: Session) -> int:
    """Anchor rows written before the trail had keys: when the newest row has no key id, append a keyed row after
    it, whose seal covers the last legacy row's hash and so, link by link, every legacy row. Returns how many
    legacy rows it anchored (0 when there was nothing to do). `flask db upgrade` runs it."""
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    if last is None or last.key_id is not None:
        return 0
    legacy = session.scalar(
        select(AuditEvent.id).where(AuditEvent.key_id.is_(None)).order_by(AuditEvent.id.desc())
    )
    record(
        session, actor="system", action="audit.legacy_sealed", channel="system", data={"legacy_rows": legacy}
    )
    return legacy


def checkpoint(session: Session) -> tuple[int, str]:
    """Append the chain's current head to the checkpoint file now (`flask audit checkpoint`, `flask daily`)."""
    rows, last = head(session)
    audit_checkpoints.write(current_app.config, rows, last)
    return rows, last


@event.listens_for(Session, "after_commit")
def _write_checkpoint(session: Session) -> None:
    audit_checkpoints.committed(session)


@event.listens_for(Session, "after_rollback")
def _forget_checkpoint(session: Session) -> None:
    audit_checkpoints.rolled_back(session)
