"""Sessions: a new session on sign-in, sign-out ends every session of the user (a replayed cookie is refused),
idle timeout 30 minutes, absolute timeout 12 hours; staff sign in to the staff pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from portal.people.models import Borrower, StaffUser
from tests.helpers.auth import (
    COOKIE,
    PASSWORD,
    WRONG_PASSWORD,
    database,
    field_errors,
    is_signed_in,
    loan_numbers,
    location_path,
    session_data,
    translated,
)
from tests.helpers.common import sign_in, staff_sign_in

PHONE = "13800000001"


def _sign_out(client):
    return client.submit("/sign-out", page="/")


def test_sign_in_starts_a_new_session(demo, client):
    client.get("/sign-in")
    with client.session_transaction() as planted:  # as if an attacker had fixed this browser's session
        planted["sid"] = "planted-session-id"
        planted["planted"] = "by someone else"
    before_cookie = client.get_cookie(COOKIE).value
    before = session_data(demo, client)
    assert before["sid"] == "planted-session-id"

    sign_in(client)

    after_cookie = client.get_cookie(COOKIE).value
    after = session_data(demo, client)
    assert after_cookie != before_cookie
    assert after["sid"] != "planted-session-id"
    assert len(after["sid"]) >= 16
    assert "planted" not in after
    assert after.get("csrf_token") != before.get("csrf_token")


def test_each_sign_in_gets_its_own_session_id(demo, client):
    sign_in(client)
    first = session_data(demo, client)["sid"]
    _sign_out(client)
    sign_in(client)

    assert session_data(demo, client)["sid"] != first


def test_sign_out_ends_the_session_and_a_replayed_cookie_is_refused(demo, client, app):
    sign_in(client)
    copied = client.get_cookie(COOKIE).value
    control = app.test_client()
    control.set_cookie(COOKIE, copied)
    assert control.get("/").status_code == 200  # the copy works while the session is live

    response = _sign_out(client)

    assert response.status_code == 302
    assert location_path(response) == "/sign-in"
    assert not is_signed_in(client)
    replay = app.test_client()
    replay.set_cookie(COOKIE, copied)
    replayed = replay.get("/")
    assert replayed.status_code == 302
    assert location_path(replayed) == "/sign-in"
    assert replay.get(f"/loans/{loan_numbers(demo, PHONE)[0]}").status_code == 404


def test_sign_out_on_one_device_ends_the_session_on_another(demo, client, app):
    phone_browser = app.test_client()
    sign_in(client)
    sign_in(phone_browser)
    assert is_signed_in(phone_browser)

    _sign_out(client)

    assert not is_signed_in(phone_browser)
    with database(demo) as session:
        assert session.scalar(select(Borrower.session_version).where(Borrower.phone == PHONE)) == 2


def test_sign_out_without_a_session_just_goes_to_sign_in(demo, client):
    response = client.submit("/sign-out", page="/sign-in")

    assert response.status_code == 302
    assert location_path(response) == "/sign-in"


def test_idle_session_ends_after_thirty_minutes(demo, client):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        sign_in(client)
        clock.shift(timedelta(minutes=29))
        assert is_signed_in(client)
        clock.shift(timedelta(minutes=29))  # idle time counts from the last request, not from sign-in
        assert is_signed_in(client)

        clock.shift(timedelta(minutes=31))

        assert not is_signed_in(client)
        clock.shift(timedelta(minutes=1))
        assert not is_signed_in(client)


def test_session_ends_after_twelve_hours_even_with_activity(demo, client):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        sign_in(client)
        for step in range(35):  # a request every 20 minutes up to 11 h 40 min
            clock.shift(timedelta(minutes=20))
            assert is_signed_in(client), f"signed out after {(step + 1) * 20} minutes"

        clock.shift(timedelta(minutes=25))  # 12 h 05 min after sign-in, 25 minutes after the last request

        assert not is_signed_in(client)


def test_reviewer_signs_in_to_the_staff_pages(demo, client):
    response = staff_sign_in(client, "reviewer1")

    assert response.status_code == 302
    assert location_path(response) == "/staff/"
    assert location_path(client.get("/staff/")) == "/staff/queue"  # a reviewer starts at the approval queue
    home = client.get("/staff/borrowers")
    assert home.status_code == 200
    with database(demo) as session:
        name = session.scalar(select(StaffUser.name).where(StaffUser.username == "reviewer1"))
    html = home.get_data(as_text=True)
    assert name in html
    assert "138****0001" in html  # borrowers are listed with masked numbers
    assert "13800000001" not in html
    assert session_data(demo, client)["_user_id"].startswith("s:")


def test_staff_user_name_is_not_case_sensitive(demo, client):
    response = staff_sign_in(client, "Reviewer1")

    assert response.status_code == 302
    assert location_path(response) == "/staff/"


def test_staff_wrong_password_is_refused(demo, client):
    response = client.submit("/staff/sign-in", {"username": "reviewer1", "password": WRONG_PASSWORD})

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "password") == [
        translated(demo, "The user name or password is not right.")
    ]
    staff_home = client.get("/staff/borrowers")
    assert staff_home.status_code == 302
    assert location_path(staff_home) == "/staff/sign-in"


def test_staff_sign_out_goes_to_the_staff_sign_in_and_ends_the_session(demo, client, app):
    staff_sign_in(client, "reviewer1")
    copied = client.get_cookie(COOKIE).value

    response = client.submit("/sign-out", page="/staff/")

    assert location_path(response) == "/staff/sign-in"
    replay = app.test_client()
    replay.set_cookie(COOKIE, copied)
    assert location_path(replay.get("/staff/")) == "/staff/sign-in"


def test_a_deactivated_staff_member_cannot_sign_in(demo, client):
    with database(demo) as session:
        session.scalars(select(StaffUser).where(StaffUser.username == "agent1")).one().active = False
        session.commit()

    response = client.submit("/staff/sign-in", {"username": "agent1", "password": PASSWORD})

    assert response.status_code == 200
    assert location_path(client.get("/staff/borrowers")) == "/staff/sign-in"


def test_a_deactivated_staff_member_loses_access_at_once(demo, client):
    client.submit("/staff/sign-in", {"username": "agent1", "password": PASSWORD})
    assert client.get("/agent/").status_code == 200
    with database(demo) as session:
        session.scalars(select(StaffUser).where(StaffUser.username == "agent1")).one().active = False
        session.commit()

    assert client.get("/agent/").status_code in (302, 404)
