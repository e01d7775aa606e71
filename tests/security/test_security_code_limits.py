"""Text-message codes cannot be turned into a weapon: a phone is sent at most 1 code a minute, 5 an hour and 10 a
day whoever asks and from wherever, one client cannot text many numbers, and there is a ceiling for everyone; a
client or global limit reached raises an alarm in the log. The counts live in the database."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import time_machine
from sqlalchemy import select

from portal.people.models import Borrower
from tests.helpers.security import database

PHONE = "13800000001"


def _ask(client, phone: str, address: str):
    """Ask for a sign-in code for `phone` as the client at `address`."""
    return client.submit("/sign-in/code", {"phone": phone}, environ_base={"REMOTE_ADDR": address})


def _sent_to(app, phone: str | None = None) -> list[str]:
    """What the memory SMS sender delivered (to `phone`, or to anyone)."""
    sender = app.extensions.get("outbox_sender")
    return [body for to, body in (sender.sent if sender else []) if phone is None or to == phone]


def _customers(app, count: int) -> list[str]:
    """`count` more borrowers with a phone each (just the rows a sign-in code needs)."""
    with database(app) as session:
        template = session.scalar(select(Borrower).where(Borrower.phone == PHONE))
        phones = [f"1390000{n:04d}" for n in range(count)]
        session.add_all(
            Borrower(
                phone=phone,
                name=f"Borrower {n}",
                id_number=f"11010119800101{n:04d}",
                birth_date=date(1980, 1, 1),
                variant="urban",
                home_branch_id=template.home_branch_id,
                created_at=template.created_at,
            )
            for n, phone in enumerate(phones)
        )
        session.commit()
    return phones


def test_a_phone_gets_at_most_five_codes_an_hour_and_ten_a_day_whoever_asks(demo, client):
    """ASVS 2.2.1 / 11.1.4 (anti-automation), 2.7.x (out-of-band codes): an attacker asking for codes to one phone
    every minute for a day, each time from another client, gets it sent at most 5 in any hour and 10 in the day."""
    sent_at: list[datetime] = []
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        for minute in range(24 * 60):
            before = len(_sent_to(demo, PHONE))
            response = _ask(client, PHONE, f"10.{minute // 250}.{minute % 250}.1")
            assert response.status_code in (302, 429)
            if len(_sent_to(demo, PHONE)) > before:
                assert response.status_code == 302
                sent_at.append(datetime.now(UTC))
            else:
                assert response.status_code == 429
                assert 0 < int(response.headers["Retry-After"]) <= 24 * 3600
            clock.shift(timedelta(minutes=1))

    assert len(sent_at) == 10
    busiest_hour = max(
        sum(1 for t in sent_at if first <= t < first + timedelta(hours=1)) for first in sent_at
    )
    assert busiest_hour == 5
    assert min(b - a for a, b in zip(sent_at, sent_at[1:], strict=False)) >= timedelta(minutes=1)


def test_one_client_texting_thirty_numbers_is_stopped_at_its_limit_and_raises_the_alarm(demo, client, caplog):
    """ASVS 2.2.1 / 11.1.4: one client asking for codes to 30 customers' numbers in quick succession gets at most
    its limit sent; the rest are refused (429) and a WARNING with a stable event name is logged."""
    caplog.set_level(logging.WARNING, logger="portal")
    phones = _customers(demo, 30)
    limit = min(most for _window, most in demo.config["SMS_CODE_LIMITS"]["client"])

    statuses = [_ask(client, phone, "203.0.113.7").status_code for phone in phones]

    assert len(_sent_to(demo)) == limit
    assert statuses == [302] * limit + [429] * (30 - limit)
    alarms = [
        r for r in caplog.records if r.levelno == logging.WARNING and "sms_codes.client_limit" in r.message
    ]
    assert len(alarms) == 30 - limit
    assert "203.0.113.7" in alarms[0].message
    # Another client is not held back by this one.
    assert _ask(client, PHONE, "198.51.100.9").status_code == 302


def test_the_global_limit_stops_many_clients_and_raises_the_alarm(demo, client, caplog):
    """ASVS 2.2.1 / 11.1.4: many clients each asking for one code stop at the global ceiling, with an alarm."""
    caplog.set_level(logging.WARNING, logger="portal")
    demo.config["SMS_CODE_LIMITS"] = {**demo.config["SMS_CODE_LIMITS"], "all": ((timedelta(hours=1), 4),)}
    phones = _customers(demo, 6)

    statuses = [_ask(client, phone, f"192.0.2.{n}").status_code for n, phone in enumerate(phones)]

    assert statuses == [302] * 4 + [429] * 2
    assert len(_sent_to(demo)) == 4
    assert sum("sms_codes.global_limit" in r.message for r in caplog.records) == 2
