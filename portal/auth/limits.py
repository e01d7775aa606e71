"""Rate limits that keep the portal from being used as a weapon, counted in the database so they hold across workers.

- Text-message codes (`sms_code`): to one phone at most 1 a minute, 5 an hour and 10 a day, whoever asks and from
  wherever; from one client (IP address) and in all, limits that stop one attacker texting many numbers. Every
  request for a code is counted, whether or not the number is a customer's, so a refusal tells nothing about who
  is one.
- Password checks (`password_check`): from one client, a few dozen wrong ones in a few minutes, whatever the
  account, counted before any argon2 hashing, so attempts on made-up numbers cannot be used to tie up the servers
  (a right password is taken back off the count).

The numbers live in the configuration (`SMS_CODE_LIMITS`, `SIGN_IN_CLIENT_LIMITS`). Counting and recording happen
in one transaction of their own holding a lock (as `throttle` does), so racing workers cannot both take the last
place. A refused request is not recorded (it does not extend the wait). A client or global limit reached is an
alarm: a WARNING log line with a stable event name (`sms_codes.client_limit`, `sms_codes.global_limit`,
`sign_in.client_limit`) for the operators to watch.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.auth import throttle
from portal.auth.models import RateEvent
from portal.clock import real_utcnow
from portal.db import own_transaction

log = logging.getLogger("portal.auth.limits")

Rules = tuple[tuple[timedelta, int], ...]
ALARMS = {
    ("sms", "client"): "sms_codes.client_limit",
    ("sms", "all"): "sms_codes.global_limit",
    ("sign_in", "client"): "sign_in.client_limit",
}


@dataclass(frozen=True)
class Refusal:
    """A request over a limit: which one (`scope`: "phone", "client" or "all") and the seconds to wait."""

    scope: str
    retry_after: int


def sms_code(phone: str, client: str) -> Refusal | None:
    """Count a request for a text-message code to `phone` from `client`; a refusal when any limit is reached
    (then no code may be sent)."""
    limits = current_app.config["SMS_CODE_LIMITS"]
    scopes = [
        ("phone", f"sms-phone:{phone}", limits["phone"]),
        ("client", f"sms-client:{client}", limits["client"]),
        ("all", "sms-all", limits["all"]),
    ]
    with own_transaction() as session:
        throttle.lock(session, "sms-codes")  # one lock for all three counts: no order to deadlock on
        refusal, _counted = _take(session, scopes)
    _alarm("sms", refusal, client)
    return refusal


def password_check(client: str) -> tuple[Refusal | None, int | None]:
    """Count a password check from `client`: a refusal (before any hashing) when the client's limit is reached,
    else the id of the counted check, for `forget` to take back when the password was right (only wrong ones use
    up the client's allowance, so a branch's staff all signing in from one address are not held back)."""
    key = f"sign-in-client:{client}"
    with own_transaction() as session:
        throttle.lock(session, key)
        refusal, counted = _take(session, [("client", key, current_app.config["SIGN_IN_CLIENT_LIMITS"])])
        session.flush()
        counted_id = counted[0].id if counted else None
    _alarm("sign_in", refusal, client)
    return refusal, counted_id


def forget(session: Session, event_id: int) -> None:
    """Take back a counted password check that turned out right."""
    session.execute(delete(RateEvent).where(RateEvent.id == event_id))


def _take(session: Session, scopes: list[tuple[str, str, Rules]]) -> tuple[Refusal | None, list[RateEvent]]:
    """The refusal when any scope is full, else the request counted under every scope (the rows added)."""
    now = real_utcnow()  # read once the lock is held
    waits = [(_wait(session, key, rules, now), scope) for scope, key, rules in scopes]
    refused = [(seconds, scope) for seconds, scope in waits if seconds > 0]
    if refused:
        seconds, scope = max(refused)
        return Refusal(scope, seconds), []
    counted = []
    for _scope, key, rules in scopes:
        longest = max(window for window, _limit in rules)
        session.execute(delete(RateEvent).where(RateEvent.key == key, RateEvent.at <= now - longest))
        counted.append(RateEvent(key=key, at=now))
    session.add_all(counted)
    return None, counted


def _wait(session: Session, key: str, rules: Rules, now: datetime) -> int:
    """Seconds until every window of `rules` has room again for `key` (0: room now)."""
    seconds = 0
    for window, limit in rules:
        newest = session.scalars(
            select(RateEvent.at)
            .where(RateEvent.key == key, RateEvent.at > now - window)
            .order_by(RateEvent.at.desc())
            .limit(limit)
        ).all()
        if len(newest) >= limit:
            # Room again once the oldest of the newest `limit` requests leaves the window.
            seconds = max(seconds, max(1, math.ceil((newest[-1] + window - now).total_seconds())))
    return seconds


def _alarm(kind: str, refusal: Refusal | None, client: str) -> None:
    event = ALARMS.get((kind, refusal.scope)) if refusal is not None else None
    if event is not None:
        log.warning("%s client=%s retry_after=%d", event, client, refusal.retry_after)
