"""Changing one's own password: the current password (counted under the sign-in lockout) and the new one twice, by
the same rules as everywhere (12-128 characters, not common, argon2id). A change ends every other session of the
person (the session version), keeps this browser signed in on a fresh session, is audited and, for a borrower,
told by text message. A phone agent acting for a borrower cannot reach the borrower's page; staff change their own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.core.models import AuditEvent, Notification
from portal.people.models import Borrower, SignInFailure, StaffUser
from tests.helpers.auth import (
    COOKIE,
    PASSWORD,
    WRONG_PASSWORD,
    borrower_id,
    database,
    field_errors,
    is_signed_in,
    location_path,
    sent_messages,
    session_data,
    translated,
)
from tests.helpers.common import sign_in, staff_sign_in

PHONE = "13800000001"
RURAL = "13800000002"
PAGE = "/account/password"
STAFF_PAGE = "/staff/account/password"
NEW_PASSWORD = "kettle orbit marmalade 7"


def _change(client, current=PASSWORD, new=NEW_PASSWORD, repeat=None, *, url=PAGE):
    return client.submit(
        url,
        {
            "current_password": current,
            "new_password": new,
            "confirm_password": new if repeat is None else repeat,
        },
    )


def _borrower_state(app, phone=PHONE) -> tuple[str, int]:
    with database(app) as session:
        row = session.scalar(select(Borrower).where(Borrower.phone == phone))
        return row.password_hash, row.session_version


def _staff_state(app, username: str) -> tuple[str, int]:
    with database(app) as session:
        row = session.scalar(select(StaffUser).where(StaffUser.username == username))
        return row.password_hash, row.session_version


def _audit(app, action: str) -> list[AuditEvent]:
    with database(app) as session:
        return list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        )


def _failures(app, key: str) -> int:
    with database(app) as session:
        return session.scalar(
            select(func.count()).select_from(SignInFailure).where(SignInFailure.account_key == key)
        )


def _signed_in_client(app, phone=PHONE):
    client = app.test_client()
    assert sign_in(client, phone).status_code == 302
    return client


# --- the borrower -------------------------------------------------------------------------------------------------


def test_the_borrower_changes_their_password_and_only_the_new_one_signs_in(demo, client, app):
    sign_in(client)

    response = _change(client)

    assert response.status_code == 303
    assert location_path(response) == "/"
    assert translated(
        demo, "Your password has been changed. You have been signed out on every other device."
    ) in (client.get("/").get_data(as_text=True))
    assert sign_in(app.test_client(), PHONE, PASSWORD).status_code == 200  # the old one: refused
    fresh = app.test_client()
    assert sign_in(fresh, PHONE, NEW_PASSWORD).status_code == 302
    assert is_signed_in(fresh)


def test_the_new_password_is_stored_as_an_argon2id_hash(demo, client):
    sign_in(client)
    before, _version = _borrower_state(demo)

    _change(client)

    after, _version = _borrower_state(demo)
    assert after != before
    assert after.startswith("$argon2id$")
    assert NEW_PASSWORD not in after


def test_the_browser_that_changed_it_stays_signed_in_on_a_new_session(demo, client):
    sign_in(client)
    before = session_data(demo, client)

    _change(client)

    after = session_data(demo, client)
    assert is_signed_in(client)
    assert after["sid"] != before["sid"]
    assert after["sv"] == before["sv"] + 1 == _borrower_state(demo)[1]
    assert after["created"] == before["created"]  # the 12-hour limit still counts from the sign-in


def test_changing_the_password_ends_the_borrowers_other_sessions(demo, client, app):
    other_phone = _signed_in_client(app)  # signed in earlier, on another device
    assert is_signed_in(other_phone)
    sign_in(client)

    _change(client)

    assert not is_signed_in(other_phone)
    assert other_phone.get(PAGE).status_code == 302
    assert is_signed_in(client)


def test_a_cookie_from_before_the_change_is_refused_in_the_same_browser(demo, client, app):
    sign_in(client)
    old_cookie = client.get_cookie(COOKIE).value

    _change(client)

    replay = app.test_client()
    replay.set_cookie(COOKIE, old_cookie)
    replayed = replay.get("/")
    assert replayed.status_code == 302
    assert location_path(replayed) == "/sign-in"
    assert replay.get(PAGE).status_code == 302


def test_the_session_still_ends_twelve_hours_after_sign_in(demo, client):
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        sign_in(client)
        for _ in range(33):  # a request every 20 minutes up to 11 h
            clock.shift(timedelta(minutes=20))
            assert is_signed_in(client)
        assert _change(client).status_code == 303
        for _ in range(2):  # 11 h 40 min, still active
            clock.shift(timedelta(minutes=20))
            assert is_signed_in(client)

        clock.shift(timedelta(minutes=25))  # 12 h 05 min after sign-in, 25 minutes after the last request

        assert not is_signed_in(client)


REFUSED = [
    (
        "too short",
        PASSWORD,
        "Tide-lamp-9",
        None,
        "new_password",
        "Your new password needs at least %(count)d characters.",
    ),
    (
        "too common",
        PASSWORD,
        "password1234",
        None,
        "new_password",
        "That password is too easy to guess. Try a longer one: a few words that do not belong together.",
    ),
    (
        "made of the phone number",
        PASSWORD,
        "13800000001ab",
        None,
        "new_password",
        "That password is too easy to guess. Try a longer one: a few words that do not belong together.",
    ),
    ("too long", PASSWORD, "x" * 129, None, "new_password", "A password has at most 128 characters."),
    (
        "the same as the current one",
        PASSWORD,
        PASSWORD,
        None,
        "new_password",
        "Your new password must be different from your current one.",
    ),
    (
        "repeated differently",
        PASSWORD,
        NEW_PASSWORD,
        NEW_PASSWORD + "!",
        "confirm_password",
        "The two new passwords are not the same. Type them again.",
    ),
    ("no current password", "", NEW_PASSWORD, None, "current_password", "Enter your current password."),
    ("no new password", PASSWORD, "", "", "new_password", "Enter a new password."),
    ("no repeat", PASSWORD, NEW_PASSWORD, "", "confirm_password", "Enter your new password again."),
    (
        "wrong current password",
        WRONG_PASSWORD,
        NEW_PASSWORD,
        None,
        "current_password",
        "Your current password is not right.",
    ),
]


@pytest.mark.parametrize(
    ("case", "current", "new", "repeat", "field", "message"), REFUSED, ids=[case[0] for case in REFUSED]
)
@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_a_refused_change_says_why_beside_the_field_in_the_borrowers_language_and_changes_nothing(
    demo, client, app, lang, case, current, new, repeat, field, message
):
    other_device = _signed_in_client(app)
    sign_in(client)
    client.submit("/language", {"lang": lang, "next": "/"}, page="/")
    before = _borrower_state(demo)
    sid = session_data(demo, client)["sid"]

    response = _change(client, current, new, repeat)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    params = {"count": 12} if "%(count)d" in message else {}
    assert field_errors(html, field) == [translated(demo, message, lang, **params)]
    assert 'class="error-summary"' in html
    assert _borrower_state(demo) == before
    assert session_data(demo, client)["sid"] == sid
    assert is_signed_in(client) and is_signed_in(other_device)
    assert _audit(demo, "password.changed") == []
    assert not any("password" in body.lower() or "密码" in body for _phone, body in sent_messages(demo))


def test_a_wrong_current_password_counts_toward_the_sign_in_lockout(demo, client, app):
    sign_in(client)
    key = f"borrower:{PHONE}"
    before = _borrower_state(demo)
    for attempt in range(5):
        response = _change(client, WRONG_PASSWORD)
        assert response.status_code == 200, attempt
    assert _failures(demo, key) == 5

    refused = _change(client)  # the right current password, after five wrong ones
    at_sign_in = sign_in(app.test_client(), PHONE, PASSWORD)

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 900
    assert translated(
        demo, "Too many attempts. For your safety, try again in %(minutes)d minutes.", minutes=15
    ) in (refused.get_data(as_text=True))
    assert at_sign_in.status_code == 429
    assert _borrower_state(demo) == before
    assert _audit(demo, "password.changed") == []
    assert [row.actor for row in _audit(demo, "password.change_locked")] == [
        f"borrower:{borrower_id(demo, PHONE)}"
    ]


def test_failed_sign_ins_elsewhere_lock_the_password_change_too(demo, client, app):
    sign_in(client)
    attacker = app.test_client()
    for _ in range(5):
        assert sign_in(attacker, PHONE, WRONG_PASSWORD).status_code == 200
    before = _borrower_state(demo)

    response = _change(client)

    assert response.status_code == 429
    assert _borrower_state(demo) == before


def test_a_successful_change_clears_the_failure_count(demo, client):
    sign_in(client)
    for _ in range(3):
        _change(client, WRONG_PASSWORD)

    assert _change(client).status_code == 303

    assert _failures(demo, f"borrower:{PHONE}") == 0


def test_the_change_is_audited_without_the_password(demo, client):
    sign_in(client)

    _change(client)

    (row,) = _audit(demo, "password.changed")
    me = f"borrower:{borrower_id(demo, PHONE)}"
    assert (row.actor, row.subject, row.on_behalf_of, row.channel) == (me, me, None, "web")
    assert row.request_id
    assert NEW_PASSWORD not in str(row.data) and PASSWORD not in str(row.data)


def test_the_borrower_is_told_by_text_message_at_once_and_on_the_dashboard(demo, client):
    sign_in(client)
    with database(demo) as session:
        session.scalar(select(Borrower).where(Borrower.phone == PHONE)).locale = "zh_Hant"
        session.commit()

    _change(client)

    expected = translated(
        demo,
        "Your password for the loan repayment website was changed, and you were signed out on your other phones "
        "and computers. If you did not change it, call us straight away on %(phone)s.",
        "zh_Hant",
        phone=demo.config["INSTITUTION_PHONE"],
    )
    assert (PHONE, expected) in sent_messages(demo)
    with database(demo) as session:
        kinds = session.execute(
            select(Notification.channel, Notification.urgent).where(Notification.kind == "password_changed")
        ).all()
    assert sorted(kinds) == [("portal", False), ("sms", True)]
    assert expected in client.get("/").get_data(as_text=True)
    assert NEW_PASSWORD not in expected


def test_the_dashboard_links_to_the_page_and_the_page_has_the_three_fields(demo, client):
    sign_in(client)

    dashboard = client.get("/").get_data(as_text=True)
    page = client.get(PAGE)

    assert f'href="{PAGE}"' in dashboard
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    html = page.get_data(as_text=True)
    for name, autocomplete in (
        ("current_password", "current-password"),
        ("new_password", "new-password"),
        ("confirm_password", "new-password"),
    ):
        assert f'name="{name}"' in html
        assert f'autocomplete="{autocomplete}"' in html
    assert translated(demo, "Change your password") in html


def test_someone_signed_out_is_sent_to_sign_in(demo, client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert location_path(response) == "/sign-in"


def test_an_agent_acting_for_the_borrower_cannot_reach_the_borrowers_password_page(demo, app):
    from portal.support import sessions as support_sessions

    agent = app.test_client()
    assert staff_sign_in(agent, "agent1").status_code == 302
    with database(demo) as session:  # a verified call with the rural borrower: the agent works their pages
        borrower = session.scalar(select(Borrower).where(Borrower.phone == RURAL))
        staff = session.scalar(select(StaffUser).where(StaffUser.username == "agent1"))
        support_sessions.start_session(session, staff, borrower, verified_by="questions")
        session.commit()
    assert agent.get("/").status_code == 200  # the borrower's dashboard, under the banner
    before = _borrower_state(demo, RURAL)

    page = agent.get(PAGE)
    posted = agent.post(
        PAGE,
        data={
            "csrf_token": agent.csrf_token("/"),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert page.status_code == 404
    assert posted.status_code == 404
    assert PAGE not in agent.get("/").get_data(as_text=True)  # the borrower's dashboard under the banner
    assert _borrower_state(demo, RURAL) == before
    assert _audit(demo, "password.changed") == []


# --- staff ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "home"), [("reviewer1", "/staff/queue"), ("agent1", "/agent/")])
def test_staff_change_their_own_password_and_their_other_sessions_end(demo, app, username, home):
    desk, laptop = app.test_client(), app.test_client()
    assert staff_sign_in(laptop, username).status_code == 302
    assert staff_sign_in(desk, username).status_code == 302
    before = _staff_state(demo, username)

    response = _change(desk, url=STAFF_PAGE)

    assert response.status_code == 303
    assert location_path(desk.get(location_path(response))) == home
    assert desk.get(home).status_code == 200
    assert location_path(laptop.get(home)) == "/staff/sign-in"
    password_hash, version = _staff_state(demo, username)
    assert password_hash != before[0] and password_hash.startswith("$argon2id$")
    assert version == before[1] + 1
    assert staff_sign_in(app.test_client(), username).status_code == 200  # the old password
    assert staff_sign_in(app.test_client(), username, NEW_PASSWORD).status_code == 302
    (row,) = _audit(demo, "password.changed")
    assert (row.actor, row.channel) == (row.subject, "branch")
    assert row.actor.startswith("staff:")
    assert sent_messages(demo) == []  # staff are not borrowers: no text message


def test_a_staff_members_wrong_current_password_counts_toward_their_sign_in_lockout(demo, client, app):
    staff_sign_in(client, "senior1")
    for _ in range(5):
        response = _change(client, WRONG_PASSWORD, url=STAFF_PAGE)
        assert response.status_code == 200
        assert field_errors(response.get_data(as_text=True), "current_password") == [
            translated(demo, "Your current password is not right.")
        ]

    assert _change(client, url=STAFF_PAGE).status_code == 429
    assert (
        app.test_client().submit("/staff/sign-in", {"username": "senior1", "password": PASSWORD}).status_code
        == 429
    )


def test_a_staff_password_too_easy_to_guess_is_refused(demo, client):
    staff_sign_in(client, "reviewer1")
    before = _staff_state(demo, "reviewer1")

    response = _change(client, new="reviewer1abc", url=STAFF_PAGE)

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "new_password") == [
        translated(
            demo,
            "That password is too easy to guess. Try a longer one: a few words that do not belong together.",
        )
    ]
    assert _staff_state(demo, "reviewer1") == before


def test_the_staff_pages_link_to_the_password_page(demo, client):
    staff_sign_in(client, "reviewer1")

    html = client.get("/staff/queue").get_data(as_text=True)

    assert f'href="{STAFF_PAGE}"' in html
    assert client.get(STAFF_PAGE).status_code == 200


def test_each_side_has_its_own_page(demo, client, app):
    sign_in(client)
    staff = app.test_client()
    staff_sign_in(staff, "reviewer1")

    assert client.get(STAFF_PAGE).status_code == 404
    assert staff.get(PAGE).status_code == 404
