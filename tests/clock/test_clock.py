"""One clock: business time for the ledger and the rules, real time for security timers, and no other reader."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask

from portal import clock

PORTAL = Path(__file__).resolve().parents[2] / "portal"
# Calls that read the wall clock; only portal/clock.py may make them.
WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
    ("time", "strftime"),
}


def _app(business_date: date | None, zone: str = "Asia/Shanghai") -> Flask:
    app = Flask("clock-test")
    app.config.update(BUSINESS_DATE=business_date, TIMEZONE=zone)
    return app


def _wall_clock_reads(path: Path, root: Path = PORTAL.parent) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in WALL_CLOCK:
                found.append(f"{path.relative_to(root)}:{node.lineno}")
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            if any(alias.name in ("time", "time_ns", "localtime", "gmtime") for alias in node.names):
                found.append(f"{path.relative_to(root)}:{node.lineno} (from time import ...)")
    return found


def test_nothing_but_the_clock_module_reads_the_wall_clock():
    readers = [
        hit
        for path in sorted(PORTAL.rglob("*.py"))
        if path != PORTAL / "clock.py" and "migrations" not in path.parts
        for hit in _wall_clock_reads(path)
    ]

    assert readers == []


def test_the_guard_finds_a_wall_clock_read(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "import datetime\nfrom time import time\n\ndef f():\n    return datetime.datetime.now()\n"
    )

    assert _wall_clock_reads(sneaky, tmp_path) == ["sneaky.py:2 (from time import ...)", "sneaky.py:5"]


def test_with_a_fixed_business_date_now_is_that_date_at_the_current_time_of_day():
    with time_machine.travel(datetime(2027, 3, 5, 1, 15, tzinfo=UTC), tick=False):  # 09:15 in Shanghai
        with _app(date(2026, 11, 29)).app_context():
            moment = clock.now()
            assert clock.business_date() == date(2026, 11, 29)
            assert (moment.date(), moment.time()) == (date(2026, 11, 29), time(9, 15))
            assert clock.utcnow() == datetime(2026, 11, 29, 1, 15)  # naive UTC, stored as such
            assert clock.local_date(clock.utcnow()) == clock.business_date()
            # Security timers keep the real clock.
            assert clock.real_utcnow() == datetime(2027, 3, 5, 1, 15)
            assert clock.real_timestamp() == datetime(2027, 3, 5, 1, 15, tzinfo=UTC).timestamp()


def test_without_a_fixed_date_today_is_the_day_in_the_institutions_zone():
    with time_machine.travel(datetime(2026, 11, 29, 16, 30, tzinfo=UTC), tick=False):  # 00:30 on the 30th
        with _app(None).app_context():
            assert clock.business_date() == date(2026, 11, 30)
            assert clock.utcnow() == datetime(2026, 11, 29, 16, 30)
            assert clock.local_date(clock.utcnow()) == date(2026, 11, 30)
        with _app(None, zone="America/New_York").app_context():
            assert clock.business_date() == date(2026, 11, 29)


@pytest.mark.parametrize(
    ("stored", "day"),
    [
        (datetime(2026, 11, 29, 15, 59, 59), date(2026, 11, 29)),  # 23:59:59 in Shanghai
        (datetime(2026, 11, 29, 16, 0, 0), date(2026, 11, 30)),  # midnight in Shanghai
        (datetime(2026, 12, 31, 16, 0, 0), date(2027, 1, 1)),  # a new year in Shanghai, not yet in UTC
    ],
)
def test_a_stored_moment_belongs_to_its_day_in_shanghai(stored, day):
    with _app(None).app_context():
        assert clock.local_date(stored) == day
        assert (
            clock.stored_moment(day, time(0, 0))
            <= stored
            < clock.stored_moment(day + timedelta(days=1), time(0, 0))
        )


def test_a_pinned_moment_is_now_and_today_for_every_service_inside_the_block():
    moment = datetime(2026, 11, 20, 6, 45)  # 14:45 in Shanghai
    with _app(date(2026, 11, 29)).app_context():
        with clock.pinned(moment):
            assert clock.utcnow() == moment
            assert clock.business_date() == date(2026, 11, 20)
            assert clock.now().hour == 14
        assert clock.business_date() == date(2026, 11, 29)
        assert clock.utcnow() != moment
