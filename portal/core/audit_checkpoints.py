"""Checkpoints of the audit trail, kept outside the database.

A checkpoint is one line of JSON appended to the file AUDIT_CHECKPOINTS names: the chain's row count and head
hash at that moment, sealed with the audit key. The database must always hold at least that many rows, the row
at that position with that hash: deleting the newest rows (which leaves a shorter chain that still holds) or
rebuilding the chain from some row on is found by `flask audit verify`.

When: after every commit that appended rows to the chain (a Session `after_commit` hook), one line per
transaction whatever the number of rows it wrote. Appending a short line to a file costs far less than the
transaction it follows, and anything less often (every N rows, once a day) would leave the newest rows deletable
without trace until the next checkpoint. `flask audit checkpoint` and `flask daily` add one as well.

The file should live where the database's users cannot rewrite it (another volume, `chattr +a`, or shipped to a
log store); several workers append to it at once, each line in one `write` on a file opened for appending.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from portal.clock import real_utcnow
from portal.config import ConfigError

log = logging.getLogger(__name__)

_PENDING = "audit_checkpoint"


def _mac(key: bytes, line: dict) -> str:
    fields = {name: line[name] for name in ("rows", "head", "at", "key")}
    return hmac.new(key, json.dumps(fields, sort_keys=True).encode(), hashlib.sha256).hexdigest()


def write(config, rows: int, head: str) -> None:
    """Append one checkpoint to the file (nothing when the configuration names none). Raises OSError."""
    path = config.get("AUDIT_CHECKPOINTS")
    if not path:
        return
    key_id = config.get("AUDIT_KEY_ID")
    if not key_id:
        raise ConfigError("PORTAL_AUDIT_KEYS must be set to checkpoint the audit trail (README)")
    line = {
        "rows": rows,
        "head": head,
        "at": real_utcnow().isoformat(timespec="seconds"),
        "key": key_id,
    }
    line["mac"] = _mac(config["AUDIT_KEYS"][key_id], line)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(line, sort_keys=True) + "\n").encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, data)  # one write on an O_APPEND file: lines of concurrent writers never mix
    finally:
        os.close(descriptor)


def after_commit(session: Session, rows: int, head: str, config) -> None:
    """Remember the head this transaction wrote; it is checkpointed once the transaction commits."""
    session.info[_PENDING] = (rows, head, config)


def committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    rows, head, config = pending
    try:
        write(config, rows, head)
    except OSError:
        # The rows are committed; the request must not fail for it. `flask audit checkpoint` catches up.
        log.exception("audit checkpoint not written (rows %s): the newest audit rows are not anchored", rows)


def rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class Checkpoint:
    line: int
    rows: int
    head: str


def read(config) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints in the file, and the problems found reading it (a line forged, damaged or under an unknown
    key). A missing file gives no checkpoints and no problem: the caller decides whether one was due."""
    path = config.get("AUDIT_CHECKPOINTS")
    found: list[Checkpoint] = []
    problems: list[str] = []
    if not path or not Path(path).exists():
        return found, problems
    keys = config["AUDIT_KEYS"]
    with open(path, encoding="utf-8") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                line = json.loads(text)
                rows, head, key = int(line["rows"]), str(line["head"]), keys.get(line["key"])
                expected = _mac(key, line) if key is not None else None
            except (ValueError, KeyError, TypeError):
                problems.append(f"checkpoint line {number} is not a checkpoint")
                continue
            if expected is None:
                problems.append(
                    f"checkpoint line {number} is sealed with a key not configured ({line['key']})"
                )
            elif not hmac.compare_digest(expected, str(line.get("mac", ""))):
                problems.append(f"checkpoint line {number} was forged or changed (its seal does not hold)")
            else:
                found.append(Checkpoint(number, rows, head))
    return found, problems
