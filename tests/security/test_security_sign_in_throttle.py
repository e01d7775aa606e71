"""Password sign-in is throttled per client before any argon2 work: a flood of attempts on made-up numbers (or
user names) from one client costs at most the throttle's worth of hashing, so it cannot tie up the servers."""

from __future__ import annotations

import logging

import pytest
from argon2 import PasswordHasher

from portal.auth import passwords

WRONG = "Wrong-Pass-Word-2026"


class CountingHasher(PasswordHasher):
    """argon2id that counts every verification and every hash it makes."""

    calls = 0

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        CountingHasher.calls += 1
        return super().verify(hash, password)

    def hash(self, password, *, salt=None):
        CountingHasher.calls += 1
        return super().hash(password, salt=salt)


@pytest.fixture
def counted(monkeypatch):
    hasher = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", PasswordHasher(time_cost=1, memory_cost=1024).hash("dummy"))
    CountingHasher.calls = 0
    return CountingHasher


def _throttle(app) -> int:
    return sum(most for _window, most in app.config["SIGN_IN_CLIENT_LIMITS"])


def test_a_thousand_unknown_numbers_from_one_client_cost_only_the_throttles_worth_of_hashing(
    demo, client, counted, caplog
):
    """ASVS 2.2.1 / 11.1.4 (anti-automation): 1,000 sign-in attempts for unknown numbers from one client make at
    most the client throttle's number of argon2 computations; the rest are refused (429) before any hashing, and
    the alarm is logged."""
    caplog.set_level(logging.WARNING, logger="portal")
    token = client.session_csrf_token()

    statuses = [
        client.post(
            "/sign-in",
            data={"csrf_token": token, "phone": f"1370000{n:04d}", "password": WRONG},
            environ_base={"REMOTE_ADDR": "203.0.113.50"},
        ).status_code
        for n in range(1000)
    ]

    assert counted.calls <= _throttle(demo)
    assert statuses.count(200) == counted.calls  # each attempt let through cost exactly one check
    assert statuses.count(429) == 1000 - counted.calls
    assert any("sign_in.client_limit" in r.message for r in caplog.records)


def test_the_throttle_of_one_client_leaves_the_others_alone(demo, client, counted):
    """ASVS 2.2.1: the per-client throttle counts per client: a flooding client does not lock out a borrower
    signing in from elsewhere, and staff sign-in is throttled the same way."""
    for n in range(_throttle(demo) + 5):
        client.submit(
            "/staff/sign-in",
            {"username": f"nobody{n}", "password": WRONG},
            environ_base={"REMOTE_ADDR": "203.0.113.51"},
        )
    flooded = counted.calls
    assert flooded == _throttle(demo)

    response = client.submit(
        "/sign-in",
        {"phone": "13800000001", "password": "Demo-pass-2026"},
        environ_base={"REMOTE_ADDR": "198.51.100.20"},
    )

    assert response.status_code == 302
    assert counted.calls == flooded + 1


def test_right_passwords_do_not_use_up_the_clients_allowance(demo, app, counted):
    """ASVS 2.2.1: only wrong passwords use up a client's allowance, so many people signing in from one address
    (a branch, a shared connection) are not held back by it."""
    for _ in range(_throttle(demo) + 5):
        signed = app.test_client().submit(
            "/sign-in",
            {"phone": "13800000001", "password": "Demo-pass-2026"},
            environ_base={"REMOTE_ADDR": "203.0.113.52"},
        )
        assert signed.status_code == 302

    assert counted.calls == _throttle(demo) + 5
