"""The portal's one clock: every "now" and "today" comes from here, and nothing else reads the wall clock.

Two kinds of time, kept apart on purpose:

- **Business time** is what the ledger and the rules count with. `business_date()` is today in the institution's
  zone, or `PORTAL_BUSINESS_DATE` when set; `now()` is the moment on that day (the current time of day, in the
  institution's zone), so a stored moment and the business date never disagree. `utcnow()` is the same moment as
  naive UTC, the one form stored in the database (SQLite and PostgreSQL agree on it).
- **Real time** is what security timers must follow, whatever date the business runs on: authenticator steps,
  session timeouts, lockout windows and the lifetimes of codes and assisted sessions. `real_utcnow()` and
  `real_timestamp()` read it.

Rules that count days compare dates in the institution's zone: `local_date(stored)` turns a stored moment into the
day it belonged to there (a decision at 23:30 Shanghai time belongs to that Shanghai day, not to the UTC day).

`pinned(moment)` makes every business "now" inside it that moment: the demo builder uses it to write a history
through the same services people use, on the days its story says.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

from flask import current_app

_pinned: ContextVar[datetime | None] = ContextVar("portal_clock_pinned", default=None)


def institution_zone() -> ZoneInfo:
    """The institution's time zone (PORTAL_TIMEZONE)."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def real_utcnow() -> datetime:
    """The real moment as naive UTC: for security timers only (lockouts, code and session lifetimes)."""
    return datetime.now(UTC).replace(tzinfo=None)


def real_timestamp() -> float:
    """The real moment as a Unix timestamp: authenticator steps and the session's idle and absolute limits."""
    return _time.time()


def now() -> datetime:
    """The business moment, aware, in the institution's zone."""
    pinned = _pinned.get()
    zone = institution_zone()
    if pinned is not None:
        return pinned.replace(tzinfo=UTC).astimezone(zone)
    real = datetime.now(zone)
    fixed = current_app.config.get("BUSINESS_DATE")
    if fixed and fixed != real.date():
        return datetime.combine(fixed, real.time(), tzinfo=zone)
    return real


def utcnow() -> datetime:
    """The business moment as naive UTC: the form every stored business timestamp takes."""
    return now().astimezone(UTC).replace(tzinfo=None)


def business_date() -> date:
    """'Today' for every as-of figure and every day count."""
    pinned = _pinned.get()
    if pinned is not None:
        return local_date(pinned)
    fixed = current_app.config.get("BUSINESS_DATE")
    if fixed:
        return fixed
    return datetime.now(institution_zone()).date()


def local_time(moment: datetime) -> datetime:
    """A stored naive-UTC moment as an aware datetime in the institution's zone."""
    return moment.replace(tzinfo=UTC).astimezone(institution_zone())


def local_date(moment: datetime) -> date:
    """The day a stored naive-UTC moment belongs to in the institution's zone."""
    return local_time(moment).date()


def stored_moment(day: date, at: time_of_day) -> datetime:
    """A local day and time of day as the naive-UTC moment stored for it."""
    return datetime.combine(day, at, tzinfo=institution_zone()).astimezone(UTC).replace(tzinfo=None)


@contextmanager
def pinned(moment: datetime) -> Iterator[datetime]:
    """Within the block, business now is `moment` (naive UTC) and today is its local day."""
    token = _pinned.set(moment)
    try:
        yield moment
    finally:
        _pinned.reset(token)
