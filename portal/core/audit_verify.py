"""`flask audit verify`: the keyed chain, the checkpoints outside the database, and the seals of the viewings."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.core import audit_checkpoints
from portal.core.audit import GENESIS, keyed_digest, legacy_digest, view_seal_holds
from portal.core.models import AuditEvent, ViewRecord


@dataclass(frozen=True)
class ChainBreak:
    """Where the trail stops holding, and why (`event_id` None: not one row's problem, e.g. a checkpoint line)."""

    event_id: int | None
    problem: str


@dataclass
class Report:
    """What `verify` checked, and every break it found (empty: the trail is intact)."""

    rows: int = 0
    legacy_rows: int = 0
    checkpoints: int = 0
    views: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)


def verify(session: Session, config) -> list[ChainBreak]:
    """Every break in the trail (the chain, the checkpoints, the viewings); empty when it all holds."""
    return check(session, config).breaks


def check(session: Session, config) -> Report:
    """Walk the whole chain with the keys of `config` (the app's configuration), then hold it against every
    checkpoint in the file it names."""
    keys = config["AUDIT_KEYS"]
    report = Report()
    breaks = report.breaks
    checkpoints, problems = audit_checkpoints.read(config)
    breaks.extend(ChainBreak(None, problem) for problem in problems)
    due: dict[int, list[audit_checkpoints.Checkpoint]] = {}
    for mark in checkpoints:
        due.setdefault(mark.rows, []).append(mark)
    report.checkpoints = len(checkpoints)

    prev, expected_id, keyed_seen = GENESIS, 1, False
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        if event.id != expected_id:
            breaks.append(ChainBreak(event.id, "missing rows before this one"))
        if event.prev_hash != prev:
            breaks.append(ChainBreak(event.id, "does not link to the previous row"))
        breaks.extend(_seal_problems(event, keys, keyed_seen))
        if event.key_id is None:
            report.legacy_rows += 1
        else:
            keyed_seen = True
        for mark in due.pop(event.id, ()):
            if not hmac.compare_digest(mark.head, event.hash):
                breaks.append(
                    ChainBreak(
                        event.id,
                        f"differs from checkpoint line {mark.line}: the trail was rewritten up to here",
                    )
                )
        prev, expected_id = event.hash, event.id + 1
        report.rows += 1
    last = expected_id - 1
    if report.legacy_rows and not keyed_seen:
        breaks.append(
            ChainBreak(
                last, "rows written before audit keys are not anchored by a keyed row (run flask db upgrade)"
            )
        )
    for rows, marks in sorted(due.items()):
        if rows == 0:
            continue  # a checkpoint of the empty trail
        breaks.append(
            ChainBreak(
                rows,
                f"checkpoint line {marks[0].line} recorded {rows} rows but the trail ends at row {last}: "
                "the newest rows were deleted",
            )
        )
    if config.get("AUDIT_CHECKPOINTS") and report.rows and not checkpoints and not problems:
        breaks.append(
            ChainBreak(None, f"no checkpoint in {config['AUDIT_CHECKPOINTS']} although the trail has rows")
        )
    _check_views(session, keys, report)
    return report


def _seal_problems(event: AuditEvent, keys: dict[str, bytes], keyed_seen: bool) -> list[ChainBreak]:
    if event.key_id is None:
        if keyed_seen:
            return [ChainBreak(event.id, "has no key after keyed rows: it was not written by the portal")]
        if legacy_digest(event) != event.hash:
            return [ChainBreak(event.id, "contents changed after it was written")]
        return []
    key = keys.get(event.key_id)
    if key is None:
        return [ChainBreak(event.id, f"sealed with the key {event.key_id!r}, which is not configured")]
    if not hmac.compare_digest(keyed_digest(event, key), event.hash):
        return [ChainBreak(event.id, "contents changed after it was written (its seal does not hold)")]
    return []


def _check_views(session: Session, keys: dict[str, bytes], report: Report) -> None:
    report.views = session.scalar(select(func.count(ViewRecord.id))) or 0
    for view in session.scalars(select(ViewRecord).order_by(ViewRecord.id)).yield_per(1000):
        holds = view_seal_holds(view, keys)
        if holds is None:
            report.breaks.append(ChainBreak(None, f"viewing {view.id} is sealed with a key not configured"))
        elif not holds:
            report.breaks.append(ChainBreak(None, f"viewing {view.id} was changed after it was written"))
