"""Text-message codes: a refused request for one says why beside the field, answers 429 and sends nothing; every
wrong code (to sign in, to accept an offer) counts under the borrower's one code lockout."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from portal.core.models import AuditEvent, Notification
from tests.helpers.applications import approved, snapshot
from tests.helpers.applications import field_errors as all_field_errors
from tests.helpers.auth import (
    PASSWORD,
    code_from,
    database,
    enter_code,
    field_errors,
    request_code,
    sms_bodies,
    translated,
    wrong_code,
)
from tests.helpers.common import sign_in

PHONE = "13800000001"  # the borrower `approved` makes an application for
LOCKED = "Too many attempts. For your safety, try again in %(minutes)d minutes."
TOO_MANY_CODES = "Too many codes have been asked for. For your safety, ask again in %(minutes)d minutes."
NOT_RIGHT_TO_ACCEPT = "That code is not right or has expired. Ask for a new one."


def _notifications(app, kind: str) -> int:
    with database(app) as session:
        return session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == kind))


def _ask_to_accept(client, reference: str):
    return client.submit(f"/applications/{reference}/offer/code", page=f"/applications/{reference}/offer")


def _accept_code(app) -> str:
    with database(app) as session:
        body = session.scalars(
            select(Notification.body)
            .where(Notification.kind == "accept_code")
            .order_by(Notification.id.desc())
        ).first()
    return re.search(r"(?<!\d)(\d{6})(?!\d)", body).group(1)


def _accept(client, reference: str, code: str):
    return client.submit(f"/applications/{reference}/accept", {"password": "", "code": code})


def test_a_second_sign_in_code_within_the_minute_is_refused_at_the_field_and_nothing_is_sent(demo, client):
    """ASVS 2.2.1: a refused request for a code is told why beside the phone field (429, Retry-After), keeps what
    was typed, and queues no text message."""
    assert request_code(client, PHONE).status_code == 302

    response = request_code(client, "138 0000 0001")

    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    html = response.get_data(as_text=True)
    assert field_errors(html, "phone") == [translated(demo, TOO_MANY_CODES, minutes=1)]
    assert 'value="13800000001"' in html
    assert _notifications(demo, "sign_in_code") == 1


def test_asking_for_an_accept_code_again_within_the_minute_is_refused_at_the_code_field(demo):
    """ASVS 2.2.1: the offer's 'send me a code' button obeys the same per-phone limit: 429, the reason at the
    code field of the offer page, and no second text message."""
    client, _number, reference = approved(demo)
    assert _ask_to_accept(client, reference).status_code == 303

    response = _ask_to_accept(client, reference)

    assert response.status_code == 429
    assert all_field_errors(response.get_data(as_text=True)) == [translated(demo, TOO_MANY_CODES, minutes=1)]
    assert _notifications(demo, "accept_code") == 1


def test_wrong_accept_codes_count_toward_the_lockout_and_then_refuse_the_right_code_until_the_window_passes(
    demo,
):
    """ASVS 2.2.1 / 2.7.x: wrong text-message codes typed to accept an offer count under the borrower's code
    lockout (here spread over two codes, so it is the lockout and not one code's own tries that stops it): after
    five, even the right code is refused (429) and nothing is accepted, until the 15 minutes have passed."""
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        client, _number, reference = approved(demo)
        _ask_to_accept(client, reference)
        first = _accept_code(demo)
        for _ in range(3):
            assert _accept(client, reference, wrong_code(first)).status_code == 200
        clock.shift(timedelta(minutes=1))
        _ask_to_accept(client, reference)
        second = _accept_code(demo)
        for _ in range(2):
            wrong = _accept(client, reference, wrong_code(second))
            assert wrong.status_code == 200
        assert all_field_errors(wrong.get_data(as_text=True)) == [translated(demo, NOT_RIGHT_TO_ACCEPT)]

        refused = _accept(client, reference, second)

        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 900
        assert all_field_errors(refused.get_data(as_text=True)) == [translated(demo, LOCKED, minutes=14)]
        assert snapshot(demo, reference)["status"] == "approved"
        with database(demo) as session:
            assert session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("%locked"))
            ).all() == ["application.accept_locked"]

        clock.shift(timedelta(minutes=14))  # 15 minutes after the first wrong code
        _ask_to_accept(client, reference)
        response = _accept(client, reference, _accept_code(demo))

        assert response.status_code == 303
        assert snapshot(demo, reference)["status"] == "active"


def test_wrong_codes_to_accept_and_to_sign_in_share_one_lockout_that_leaves_the_password_alone(demo, app):
    """ASVS 2.2.1: every wrong code, wherever it is typed, counts under the same code lockout; the password route
    is a lockout of its own."""
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        client, _number, reference = approved(demo)
        _ask_to_accept(client, reference)
        accept_code = _accept_code(demo)
        for _ in range(3):
            _accept(client, reference, wrong_code(accept_code))
        clock.shift(timedelta(minutes=1))
        stranger = app.test_client()
        request_code(stranger, PHONE)
        sign_in_code = code_from(sms_bodies(demo, PHONE)[-1])
        for _ in range(2):
            assert enter_code(stranger, wrong_code(sign_in_code)).status_code == 200

        assert enter_code(stranger, sign_in_code).status_code == 429
        assert _accept(client, reference, accept_code).status_code == 429
        assert sign_in(app.test_client(), PHONE, PASSWORD).status_code == 302
