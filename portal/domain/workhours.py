"""Working hours: the institution's office hours, for timers that count only the time someone could act.

A working day is Monday to Friday, 09:00 to 17:00, in the institution's zone (the caller passes local, naive
datetimes: portal.clock turns stored moments into local ones). Public holidays are not known here: a claim made
before one lapses on the holiday, which only ever puts a case back in the queue early.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

DAY_STARTS = time(9, 0)
DAY_ENDS = time(17, 0)
WORKING_WEEKDAYS = frozenset(range(5))  # Monday to Friday


def _is_working_day(moment: datetime) -> bool:
    return moment.weekday() in WORKING_WEEKDAYS


def add(start: datetime, hours: int) -> datetime:
    """The local moment `hours` working hours after `start` (time outside working hours does not count)."""
    left = timedelta(hours=hours)
    moment = start
    while True:
        opens = datetime.combine(moment.date(), DAY_STARTS)
        closes = datetime.combine(moment.date(), DAY_ENDS)
        if not _is_working_day(moment) or moment >= closes:
            moment = datetime.combine(moment.date() + timedelta(days=1), DAY_STARTS)
            continue
        moment = max(moment, opens)
        if moment + left <= closes:
            return moment + left
        left -= closes - moment
        moment = closes


def subtract(end: datetime, hours: int) -> datetime:
    """The local moment `hours` working hours before `end`: whatever started after it is younger than that."""
    left = timedelta(hours=hours)
    moment = end
    while True:
        opens = datetime.combine(moment.date(), DAY_STARTS)
        closes = datetime.combine(moment.date(), DAY_ENDS)
        if not _is_working_day(moment) or moment <= opens:
            moment = datetime.combine(moment.date() - timedelta(days=1), DAY_ENDS)
            continue
        moment = min(moment, closes)
        if moment - left >= opens:
            return moment - left
        left -= moment - opens
        moment = opens
