"""Signing in with a one-time SMS code: 6 digits, valid 5 minutes, single use, at most 5 tries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal import create_app
from portal.core.models import Notification
from portal.people.models import OneTimeCode, mask_phone
from tests.helpers.auth import (
    code_from,
    database,
    enter_code,
    field_errors,
    is_signed_in,
    loan_numbers,
    location_path,
    request_code,
    sent_messages,
    sms_bodies,
    translated,
    wrong_code,
)
from tests.helpers.common import Client, settings

PHONE = "13800000001"
NOT_RIGHT = "That code is not right or has expired. Check it, or ask for a new code."


@pytest.fixture
def lenient_app(demo, database_url):
    """The same database with a lockout too lax to interfere, so the code's own try limit is what is tested."""
    application = create_app(settings(database_url, LOCKOUT_FAILURES=100))
    application.test_client_class = Client
    yield application
    application.extensions["db_engine"].dispose()


def test_requested_code_is_sent_by_sms_and_signs_the_borrower_in(demo, client):
    response = request_code(client, PHONE)

    assert response.status_code == 302
    assert location_path(response) == "/sign-in/code/enter"
    bodies = sms_bodies(demo, PHONE)
    assert len(bodies) == 1
    code = code_from(bodies[0])
    assert sent_messages(demo) == [(PHONE, bodies[0])]
    with database(demo) as session:
        message = session.scalars(select(Notification)).one()
        assert message.kind == "sign_in_code"
        assert message.sent_at is not None
        stored = session.scalars(select(OneTimeCode)).one()
        assert code not in stored.code_hash  # kept only as a keyed hash

    signed = enter_code(client, code)

    assert signed.status_code == 302
    assert location_path(signed) == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert loan_numbers(demo, PHONE)[0] in dashboard.get_data(as_text=True)


def test_wrong_code_is_refused_with_a_field_error(demo, client):
    request_code(client, PHONE)
    code = code_from(sms_bodies(demo, PHONE)[0])

    response = enter_code(client, wrong_code(code))

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "code") == [translated(demo, NOT_RIGHT)]
    assert not is_signed_in(client)
    # One wrong try does not spend the code.
    assert enter_code(client, code).status_code == 302
    assert is_signed_in(client)


def test_code_works_only_once(demo, client, app):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        request_code(client, PHONE)
        code = code_from(sms_bodies(demo, PHONE)[0])
        assert enter_code(client, code).status_code == 302

        clock.shift(timedelta(minutes=1))  # a phone is sent at most one code a minute
        replay = app.test_client()
        request_code(replay, PHONE)
        response = enter_code(replay, code)

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "code") == [translated(demo, NOT_RIGHT)]
    assert not is_signed_in(replay)


@pytest.mark.parametrize(
    ("wait", "works"),
    [(timedelta(minutes=4, seconds=59), True), (timedelta(minutes=5, seconds=1), False)],
    ids=["4m59s", "5m01s"],
)
def test_code_is_valid_for_five_minutes(demo, client, wait, works):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        request_code(client, PHONE)
        code = code_from(sms_bodies(demo, PHONE)[0])
        clock.shift(wait)

        response = enter_code(client, code)

        assert (response.status_code == 302) is works
        assert is_signed_in(client) is works


def test_after_five_wrong_tries_even_the_right_code_fails(lenient_app):
    client = lenient_app.test_client()
    request_code(client, PHONE)
    code = code_from(sms_bodies(lenient_app, PHONE)[0])
    for _ in range(5):
        assert enter_code(client, wrong_code(code)).status_code == 200

    response = enter_code(client, code)

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "code") == [translated(lenient_app, NOT_RIGHT)]
    assert not is_signed_in(client)


def test_the_right_code_still_works_after_four_wrong_tries(lenient_app):
    client = lenient_app.test_client()
    request_code(client, PHONE)
    code = code_from(sms_bodies(lenient_app, PHONE)[0])
    for _ in range(4):
        enter_code(client, wrong_code(code))

    assert enter_code(client, code).status_code == 302
    assert is_signed_in(client)


def test_with_the_default_lockout_five_wrong_codes_also_stop_the_right_one(demo, client):
    request_code(client, PHONE)
    code = code_from(sms_bodies(demo, PHONE)[0])
    for _ in range(5):
        enter_code(client, wrong_code(code))

    response = enter_code(client, code)

    assert response.status_code in (200, 429)
    assert not is_signed_in(client)


def test_unknown_number_gets_the_same_page_and_no_sms(demo, client, app):
    known_client = app.test_client()
    known = request_code(known_client, PHONE)
    sms_before = sms_bodies(demo)
    assert len(sms_before) == 1

    unknown = request_code(client, "13899990001")  # same last four digits, so the same masked number

    assert unknown.status_code == known.status_code == 302
    assert unknown.headers["Location"] == known.headers["Location"]
    assert sms_bodies(demo) == sms_before
    assert [phone for phone, _body in sent_messages(demo)] == [PHONE]
    strip = re.compile(r'name="csrf_token"[^>]*value="[^"]+"')
    known_page = strip.sub("", known_client.get("/sign-in/code/enter").get_data(as_text=True))
    unknown_page = strip.sub("", client.get("/sign-in/code/enter").get_data(as_text=True))
    assert "138****0001" in unknown_page
    assert unknown_page == known_page


def test_the_code_page_masks_the_number_as_every_other_page_does():
    # One mask for a phone number everywhere (the code page, staff lists, the SMS log): the first 3 and last 4
    # digits of an 11-digit number; a number too short to hide anything in is hidden whole.
    assert mask_phone("13899990001") == "138****0001"
    assert mask_phone("1389999") == "*******"


def test_entering_a_code_without_asking_for_one_goes_back_to_the_request_page(demo, client):
    response = client.get("/sign-in/code/enter")

    assert response.status_code == 302
    assert location_path(response) == "/sign-in/code"
