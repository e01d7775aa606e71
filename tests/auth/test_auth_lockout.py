"""Lockout: 5 failed sign-ins for an account in 15 minutes refuse the next attempt (429 + Retry-After) until the
window has passed; counts live in the database, so every worker and every app instance shares them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal import create_app
from portal.people.models import SignInFailure
from tests.helpers.auth import (
    PASSWORD,
    WRONG_PASSWORD,
    code_from,
    database,
    enter_code,
    is_signed_in,
    location_path,
    request_code,
    sms_bodies,
    wrong_code,
)
from tests.helpers.common import Client, settings, sign_in

PHONE = "13800000001"


def _fail(client, times: int, phone: str = PHONE) -> None:
    for attempt in range(times):
        response = sign_in(client, phone, WRONG_PASSWORD)
        assert response.status_code == 200, f"attempt {attempt + 1} was {response.status_code}"


def _retry_after(response) -> int:
    value = response.headers.get("Retry-After", "")
    assert value.isdigit(), f"Retry-After {value!r} is not whole seconds"
    return int(value)


@pytest.fixture
def second_app(demo, database_url):
    """Another app instance on the same database: another worker or server."""
    application = create_app(settings(database_url))
    application.test_client_class = Client
    yield application
    application.extensions["db_engine"].dispose()


def test_five_failures_lock_out_even_the_right_password(demo, client):
    _fail(client, 5)

    response = sign_in(client, PHONE, PASSWORD)

    assert response.status_code == 429
    assert 0 < _retry_after(response) <= 900
    assert not is_signed_in(client)


def test_lock_lasts_until_fifteen_minutes_have_passed(demo, client):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        _fail(client, 5)
        assert sign_in(client, PHONE, PASSWORD).status_code == 429

        clock.shift(timedelta(minutes=14, seconds=59))
        still_locked = sign_in(client, PHONE, PASSWORD)
        assert still_locked.status_code == 429
        assert _retry_after(still_locked) <= 1

        clock.shift(timedelta(seconds=1))
        response = sign_in(client, PHONE, PASSWORD)

        assert response.status_code == 302
        assert location_path(response) == "/"
        assert is_signed_in(client)


def test_a_right_password_before_the_fifth_failure_clears_the_count(demo, client, app):
    _fail(client, 4)
    assert sign_in(client, PHONE, PASSWORD).status_code == 302

    later = app.test_client()
    _fail(later, 4)  # would be locked at once if the first four still counted
    response = sign_in(later, PHONE, PASSWORD)

    assert response.status_code == 302
    with database(demo) as session:
        assert session.scalar(select(func.count()).select_from(SignInFailure)) == 0


def test_refused_attempts_do_not_extend_the_lock(demo, client):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        _fail(client, 5)
        for _ in range(5):
            clock.shift(timedelta(minutes=2))
            assert sign_in(client, PHONE, PASSWORD).status_code == 429

        clock.shift(timedelta(minutes=5))  # 15 minutes after the five failures

        assert sign_in(client, PHONE, PASSWORD).status_code == 302


def test_the_same_number_typed_differently_shares_one_count(demo, client):
    for phone in ("138 0000 0001", "138-0000-0001", "13800000001", "138 0000-0001", " 13800000001"):
        assert sign_in(client, phone, WRONG_PASSWORD).status_code == 200

    assert sign_in(client, PHONE, PASSWORD).status_code == 429


def test_a_locked_out_owner_can_still_sign_in_with_a_text_message_code(demo, client, app):
    """ASVS 2.2.1: anti-automation must not become a denial of service: someone guessing the password (five
    wrong) locks the password route only; the owner proves the phone with a code and is in, while the password
    route stays locked."""
    _fail(client, 5)
    owner = app.test_client()
    request_code(owner, PHONE)
    code = code_from(sms_bodies(demo, PHONE)[0])

    response = enter_code(owner, code)

    assert response.status_code == 302
    assert location_path(response) == "/"
    assert is_signed_in(owner)
    assert sign_in(app.test_client(), PHONE, PASSWORD).status_code == 429


def test_wrong_codes_lock_the_code_route_but_not_the_password(demo, client, app):
    """ASVS 2.8.x / 2.2.1: wrong text-message codes have their own counted lockout, apart from the password's."""
    request_code(client, PHONE)
    code = code_from(sms_bodies(demo, PHONE)[0])
    for _ in range(5):
        assert enter_code(client, wrong_code(code)).status_code == 200

    assert enter_code(client, code).status_code == 429
    assert sign_in(app.test_client(), PHONE, PASSWORD).status_code == 302


def test_codes_typed_with_no_code_sent_do_not_count(demo, client, app):
    """ASVS 2.2.1: nobody can lock the code route without a code being sent to the owner's phone: attempts with
    no live code to check are not counted."""
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        request_code(client, PHONE)
        code = code_from(sms_bodies(demo, PHONE)[0])
        clock.shift(timedelta(minutes=6))  # the code has expired: nothing left to guess
        for _ in range(10):
            assert enter_code(client, code).status_code == 200

        owner = app.test_client()
        request_code(owner, PHONE)
        fresh = code_from(sms_bodies(demo, PHONE)[-1])

        assert enter_code(owner, fresh).status_code == 302


def test_lock_on_one_account_does_not_lock_another(demo, client, app):
    _fail(client, 5)

    assert sign_in(app.test_client(), "13800000002", PASSWORD).status_code == 302


def test_staff_accounts_are_locked_out_too(demo, client):
    for _ in range(5):
        assert (
            client.submit("/staff/sign-in", {"username": "reviewer1", "password": WRONG_PASSWORD}).status_code
            == 200
        )

    response = client.submit("/staff/sign-in", {"username": "reviewer1", "password": PASSWORD})

    assert response.status_code == 429
    assert 0 < _retry_after(response) <= 900


def test_another_app_instance_sees_the_same_lock(demo, client, second_app):
    _fail(client, 5)
    with database(second_app) as session:
        assert session.scalar(select(func.count()).select_from(SignInFailure)) == 5

    response = sign_in(second_app.test_client(), PHONE, PASSWORD)

    assert response.status_code == 429
    assert 0 < _retry_after(response) <= 900


def test_failures_spread_over_two_instances_add_up(demo, client, second_app):
    _fail(client, 3)
    _fail(second_app.test_client(), 2)

    assert sign_in(client, PHONE, PASSWORD).status_code == 429
    assert sign_in(second_app.test_client(), PHONE, PASSWORD).status_code == 429
