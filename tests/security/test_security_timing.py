"""A sign-in for an unknown account costs what one for a known account costs: a dummy password verification runs,
so the answer's timing does not tell who is a customer or a member of staff."""

from __future__ import annotations

import statistics
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from portal.auth import passwords
from portal.people.models import Borrower, StaffUser
from tests.helpers.security import database

WRONG = "Wrong-Pass-Word-2026"


class CountingHasher(PasswordHasher):
    """argon2id that counts its verifications."""

    verifications = 0

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        CountingHasher.verifications += 1
        return super().verify(hash, password)


@pytest.fixture
def counted(monkeypatch):
    hasher = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("dummy-password-same-cost"))
    CountingHasher.verifications = 0
    return CountingHasher


@pytest.mark.parametrize(
    "url, known, unknown",
    [
        ("/sign-in", {"phone": "13800000001"}, {"phone": "13899990000"}),
        ("/staff/sign-in", {"username": "reviewer1"}, {"username": "nobody-here"}),
    ],
)
def test_an_unknown_account_gets_one_password_verification_like_a_known_one(
    demo, client, counted, url, known, unknown
):
    verifications = {}
    for name, who in (("known", known), ("unknown", unknown)):
        counted.verifications = 0
        client.submit(url, {**who, "password": WRONG})
        verifications[name] = counted.verifications

    assert verifications == {"known": 1, "unknown": 1}


def test_an_unknown_phone_takes_as_long_as_a_known_one(demo, app, client, monkeypatch):
    """With a hash cost that dominates a request (tens of milliseconds), the medians agree within a factor of 2."""
    slow = PasswordHasher(time_cost=2, memory_cost=32 * 1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", slow)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", slow.hash("dummy-password-same-cost"))
    app.config["LOCKOUT_FAILURES"] = 1000  # measure the check, not the lockout
    with database(app) as session:
        session.scalars(
            select(Borrower).where(Borrower.phone == "13800000001")
        ).one().password_hash = slow.hash("Demo-pass-2026")
        for staff in session.scalars(select(StaffUser)):
            staff.password_hash = slow.hash("Demo-pass-2026")
        session.commit()
    token = client.csrf_token("/sign-in")

    def timed(phone: str) -> float:
        started = time.perf_counter()
        response = client.post("/sign-in", data={"csrf_token": token, "phone": phone, "password": WRONG})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        return elapsed

    timed("13800000001")  # warm up
    known, unknown = [], []
    for _ in range(7):
        known.append(timed("13800000001"))
        unknown.append(timed("13899990000"))

    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2.0, (statistics.median(known), statistics.median(unknown))
