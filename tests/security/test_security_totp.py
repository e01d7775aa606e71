"""The staff second factor (TOTP): reviewers, senior reviewers and administrators sign in with a password and then a
code from an authenticator app; staff without one are enrolled; no code works twice; failures lock the step out;
approving money (approve, counter-offer, second approval) needs the code confirmed in the last 5 minutes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
import segno
import time_machine
from markupsafe import escape
from sqlalchemy import func, select

from portal.auth import totp
from portal.people.models import SignInFailure, StaffUser
from tests.helpers.common import DEMO_TOTP_SECRET, SECRET_ON_PAGE_RE, staff_sign_in, totp_code
from tests.helpers.security import (
    COOKIE,
    PASSWORD,
    audit_actions,
    case_form,
    case_state,
    database,
    location_path,
    post_decision,
    submitted_case,
)

SIX_MINUTES = 6 * 60
FIELD_ERROR_RE = (
    r'<p class="error-message" id="{id}-error"><span class="visually-hidden">[^<]*</span>\s*(.*?)</p>'
)


def _password(client, username: str):
    return client.submit("/staff/sign-in", {"username": username, "password": PASSWORD})


def _errors(html: str, field_id: str) -> list[str]:
    return [m.strip() for m in re.findall(FIELD_ERROR_RE.format(id=re.escape(field_id)), html, re.S)]


def _text(app, message: str, lang: str = "zh_Hans", **params) -> str:
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(lang):
        return str(escape(gettext(message, **params)))


def _staff(app, username: str) -> StaffUser:
    with database(app) as session:
        row = session.scalars(select(StaffUser).where(StaffUser.username == username)).one()
        session.expunge(row)
        return row


def _session_cookie(app, client) -> dict:
    cookie = client.get_cookie(COOKIE)
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value)) if cookie else {}


def _frozen():
    return time_machine.travel(datetime.now(UTC), tick=False)


# --- signing in ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["reviewer1", "senior1", "admin1"])
def test_the_password_alone_does_not_sign_a_decider_in(demo, client, username):
    response = _password(client, username)

    assert response.status_code == 302
    assert location_path(response) == "/staff/sign-in/code"
    assert location_path(client.get("/staff/")) == "/staff/sign-in"
    assert client.get("/staff/borrowers").status_code == 302
    assert "_user_id" not in _session_cookie(demo, client)
    assert (f"staff:{_staff(demo, username).id}", "sign_in") not in audit_actions(demo)


def test_an_agent_signs_in_with_the_password_alone(demo, client):
    response = _password(client, "agent1")

    assert location_path(response) == "/staff/"
    assert client.get("/agent/").status_code == 200


def test_the_right_code_signs_in_on_a_new_session_and_is_on_the_record(demo, client):
    _password(client, "reviewer1")
    pending = _session_cookie(demo, client)

    response = client.submit("/staff/sign-in/code", {"code": totp_code()})

    assert response.status_code == 302
    assert location_path(response) == "/staff/"
    assert client.get("/staff/queue").status_code == 200
    signed_in = _session_cookie(demo, client)
    assert signed_in["_user_id"] == f"s:{_staff(demo, 'reviewer1').id}"
    assert "pending_staff" not in signed_in and signed_in.get("sid") != pending.get("sid")
    assert audit_actions(demo)[-1] == (f"staff:{_staff(demo, 'reviewer1').id}", "sign_in")


def test_the_code_step_honours_a_next_on_this_site_only(demo, app):
    good = app.test_client()
    assert location_path(staff_sign_in(good, "reviewer1", next="/staff/borrowers")) == "/staff/borrowers"
    evil = app.test_client()
    assert location_path(staff_sign_in(evil, "reviewer1", next="//evil.example")) == "/staff/"


def test_a_wrong_code_is_refused_with_a_translated_field_error(demo, client):
    _password(client, "reviewer1")
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"

    response = client.submit("/staff/sign-in/code", {"code": wrong})

    assert response.status_code == 200
    assert _errors(response.get_data(as_text=True), "code") == [
        _text(demo, "That code is not right. Enter the 6-digit code your authenticator app shows now.")
    ]
    assert client.get("/staff/queue").status_code == 302


def test_a_code_cannot_be_used_twice_in_its_time_step(demo, app):
    with _frozen():
        code = totp_code()
        first = app.test_client()
        assert location_path(staff_sign_in(first, "reviewer1", code=code)) == "/staff/"

        second = app.test_client()
        replay = staff_sign_in(second, "reviewer1", code=code)

        assert replay.status_code == 200
        assert second.get("/staff/queue").status_code == 302
        # The code of the next 30-second step works (an app shows it half a minute later).
        later = totp_code(at=datetime.now(UTC).timestamp() + 30)
        assert location_path(second.submit("/staff/sign-in/code", {"code": later})) == "/staff/"


def test_a_code_from_long_ago_or_far_ahead_is_refused(demo, client):
    now = datetime.now(UTC).timestamp()
    _password(client, "reviewer1")

    for moment in (now - 120, now + 120):
        response = client.submit("/staff/sign-in/code", {"code": totp_code(at=moment)})
        assert response.status_code == 200
    assert client.get("/staff/queue").status_code == 302


def test_five_wrong_codes_lock_the_code_step_even_for_the_right_code(demo, client, app):
    _password(client, "senior1")
    staff_id = _staff(demo, "senior1").id
    wrong = f"{(int(totp_code()) + 7) % 1_000_000:06d}"
    for _ in range(5):
        assert client.submit("/staff/sign-in/code", {"code": wrong}).status_code == 200

    response = client.submit("/staff/sign-in/code", {"code": totp_code()})

    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 900
    assert client.get("/staff/queue").status_code == 302
    with database(app) as session:  # counted in the database, where every worker sees it
        assert (
            session.scalar(select(func.count()).where(SignInFailure.account_key == f"staff-totp:{staff_id}"))
            == 5
        )
    # A new password sign-in does not reset the code step's count.
    fresh = app.test_client()
    _password(fresh, "senior1")
    assert fresh.submit("/staff/sign-in/code", {"code": totp_code()}).status_code == 429


def test_the_password_step_is_good_for_five_minutes_only(demo, client):
    with _frozen() as clock:
        _password(client, "reviewer1")
        clock.shift(SIX_MINUTES)

        response = client.submit("/staff/sign-in/code", {"code": totp_code()})

        assert response.status_code == 302
        assert location_path(response) == "/staff/sign-in"
        assert client.get("/staff/queue").status_code == 302


def test_signing_out_elsewhere_voids_a_half_finished_sign_in(demo, client, app):
    _password(client, "reviewer1")
    other = app.test_client()
    staff_sign_in(other, "reviewer1")
    other.submit("/sign-out", page="/staff/")

    response = client.submit(
        "/staff/sign-in/code", {"code": totp_code(at=datetime.now(UTC).timestamp() + 30)}
    )

    assert location_path(response) == "/staff/sign-in"


def test_the_code_and_enrolment_pages_are_never_stored(demo, client):
    _password(client, "reviewer1")
    assert client.get("/staff/sign-in/code").headers.get("Cache-Control") == "no-store"
    with database(demo) as session:
        session.scalars(
            select(StaffUser).where(StaffUser.username == "reviewer2")
        ).one().totp_enrolled_at = None
        session.commit()
    _password(client, "reviewer2")
    assert client.get("/staff/sign-in/enrol").headers.get("Cache-Control") == "no-store"


# --- enrolment -------------------------------------------------------------------------------------------------


@pytest.fixture
def unenrolled(demo):
    """reviewer2 without an authenticator yet."""
    with database(demo) as session:
        staff = session.scalars(select(StaffUser).where(StaffUser.username == "reviewer2")).one()
        staff.totp_enrolled_at = None
        session.commit()
    return "reviewer2"


def test_staff_without_an_authenticator_are_taken_to_enrolment_with_a_new_secret(unenrolled, client, app):
    response = _password(client, unenrolled)
    assert location_path(response) == "/staff/sign-in/enrol"
    assert location_path(client.get("/staff/sign-in/code")) == "/staff/sign-in/enrol"

    page = client.get("/staff/sign-in/enrol")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    secret = SECRET_ON_PAGE_RE.search(html).group(1).replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert secret != DEMO_TOTP_SECRET  # a fresh secret, made when the password was accepted
    assert _staff(app, unenrolled).totp_secret == secret
    staff = _staff(app, unenrolled)
    assert (
        str(totp.qr_svg(staff, secret)) in html
    )  # the QR code of otpauth://...secret=<secret>, drawn inline
    assert "otpauth%3A" not in html and "<img" not in html  # no image from anywhere, nothing to fetch
    assert not re.search(r"<script\b(?![^>]*\bsrc=)", html)  # no inline script (CSP forbids it)
    assert f"secret={secret}" in totp.provisioning_uri(staff, secret)
    assert client.get("/staff/queue").status_code == 302  # not signed in yet


def test_the_qr_code_encodes_the_authenticator_address(unenrolled, client, app):
    _password(client, unenrolled)
    html = client.get("/staff/sign-in/enrol").get_data(as_text=True)
    secret = SECRET_ON_PAGE_RE.search(html).group(1).replace(" ", "")
    issuer = quote("还款帮扶")  # the portal's name as the authenticator app shows it, percent-encoded
    expected = segno.make(f"otpauth://totp/{issuer}:{unenrolled}?secret={secret}&issuer={issuer}", error="m")

    assert totp.provisioning_uri(_staff(app, unenrolled), secret).startswith("otpauth://totp/")
    assert (
        segno.make(totp.provisioning_uri(_staff(app, unenrolled), secret), error="m").matrix
        == expected.matrix
    )


def test_enrolment_is_confirmed_by_one_code_and_then_the_code_step_follows(unenrolled, client, app):
    _password(client, unenrolled)
    secret = SECRET_ON_PAGE_RE.search(client.get("/staff/sign-in/enrol").get_data(as_text=True)).group(1)
    secret = secret.replace(" ", "")

    wrong = client.submit("/staff/sign-in/enrol", {"code": totp_code(DEMO_TOTP_SECRET)})
    assert wrong.status_code == 200 and _staff(app, unenrolled).totp_enrolled_at is None
    confirmed = client.submit("/staff/sign-in/enrol", {"code": totp_code(secret)})

    assert location_path(confirmed) == "/staff/"
    assert client.get("/staff/queue").status_code == 200
    assert _staff(app, unenrolled).totp_enrolled_at is not None
    assert [a for _who, a in audit_actions(app)][-2:] == ["totp.enrolled", "sign_in"]
    again = app.test_client()
    assert location_path(_password(again, unenrolled)) == "/staff/sign-in/code"
    later = totp_code(secret, at=datetime.now(UTC).timestamp() + 30)
    assert location_path(again.submit("/staff/sign-in/code", {"code": later})) == "/staff/"


def test_enrolment_failures_are_locked_out_too(unenrolled, client):
    _password(client, unenrolled)
    for _ in range(5):
        assert client.submit("/staff/sign-in/enrol", {"code": "000000"}).status_code == 200

    assert client.submit("/staff/sign-in/enrol", {"code": "000000"}).status_code == 429


def test_the_demo_deciders_are_enrolled_with_the_published_secret_and_agents_have_none(demo):
    with database(demo) as session:
        rows = {s.username: s for s in session.scalars(select(StaffUser))}
    for username in ("reviewer1", "reviewer2", "senior1", "admin1"):
        assert rows[username].totp_secret == DEMO_TOTP_SECRET and rows[username].totp_enrolled_at is not None
    assert rows["agent1"].totp_secret is None


# --- re-confirming before money is given away ------------------------------------------------------------------


def _holding(app, username: str = "reviewer1", phone: str = "13800000001"):
    """`username` signed in (code confirmed just now) holding a fresh case: (client, reference)."""
    reference = submitted_case(app, phone)
    client = app.test_client()
    staff_sign_in(client, username)
    assert post_decision(client, reference, "claim").status_code == 303
    return client, reference


def test_approving_within_five_minutes_of_the_code_needs_no_new_code(demo):
    with _frozen() as clock:
        client, reference = _holding(demo)
        clock.shift(4 * 60)
        _token, _version, html = case_form(client, reference)
        assert 'id="approve-totp"' not in html

        response = post_decision(client, reference, "approve")

    assert response.status_code == 303
    assert case_state(demo, reference)[0] == "approved"


def test_approving_after_five_minutes_asks_for_the_code_keeps_the_form_and_changes_nothing(demo):
    with _frozen() as clock:
        client, reference = _holding(demo)
        clock.shift(SIX_MINUTES)
        before = case_state(demo, reference)
        _token, _version, html = case_form(client, reference)
        assert 'id="approve-totp"' in html  # the form asks for the code up front, a plain field (no script)

        response = post_decision(
            client, reference, "approve", {"message": "Checked the payslips.", "waive_penalty": "y"}
        )
        page = response.get_data(as_text=True)

        assert response.status_code == 200
        assert _errors(page, "approve-totp") == [
            _text(
                demo,
                "For your safety, enter the 6-digit code from your authenticator app to confirm this decision.",
            )
        ]
        assert "Checked the payslips.</textarea>" in page  # nothing typed is lost
        assert "checked" in re.search(r'<input[^>]*id="approve-waive-penalty"[^>]*>', page).group(0)
        assert case_state(demo, reference) == before
        assert "application.approved" not in [a for _w, a in audit_actions(demo)]

        confirmed = post_decision(
            client, reference, "approve", {"message": "Checked the payslips.", "totp_code": totp_code()}
        )

    assert confirmed.status_code == 303
    assert case_state(demo, reference)[0] == "approved"


def test_a_wrong_or_reused_code_does_not_confirm_a_decision(demo):
    with _frozen() as clock:
        client, reference = _holding(demo)
        used_at_sign_in = totp_code()
        clock.shift(SIX_MINUTES)
        before = case_state(demo, reference)
        # the code used to sign in 6 minutes ago is for an old step; the current step was used by nobody
        stale = post_decision(client, reference, "approve", {"totp_code": used_at_sign_in})
        wrong = post_decision(
            client, reference, "approve", {"totp_code": f"{(int(totp_code()) + 1) % 10**6:06d}"}
        )
        ok = post_decision(client, reference, "approve", {"totp_code": totp_code()})
        assert ok.status_code == 303
        assert case_state(demo, reference)[0] == "approved"

    assert stale.status_code == wrong.status_code == 200
    assert before[0] == "in_review"


def test_the_same_code_cannot_confirm_twice(demo):
    with _frozen() as clock:
        client, reference = _holding(demo)
        other, other_reference = _holding(
            demo, "reviewer1", "13800000002"
        )  # a second session of the same person
        clock.shift(SIX_MINUTES)
        code = totp_code()
        assert post_decision(client, reference, "approve", {"totp_code": code}).status_code == 303

        replay = post_decision(other, other_reference, "approve", {"totp_code": code})

        assert replay.status_code == 200
        assert case_state(demo, other_reference)[0] == "in_review"


def test_five_wrong_confirmation_codes_lock_the_decision_out(demo):
    with _frozen() as clock:
        client, reference = _holding(demo)
        clock.shift(SIX_MINUTES)
        for _ in range(5):
            assert post_decision(client, reference, "approve", {"totp_code": "000000"}).status_code == 200

        locked = post_decision(client, reference, "approve", {"totp_code": totp_code()})

        assert locked.status_code == 429
        assert 0 < int(locked.headers["Retry-After"]) <= 900
        assert case_state(demo, reference)[0] == "in_review"


def test_sending_a_counter_offer_after_five_minutes_asks_for_the_code_and_keeps_the_terms(demo):
    with _frozen() as clock:
        client, reference = _holding(demo)
        clock.shift(SIX_MINUTES)
        terms = {"kind": "installment_plan", "months": "18", "pay_day": "12", "message": "Longer plan."}
        preview = post_decision(client, reference, "counter", {**terms, "action": "preview"})
        assert preview.status_code == 200  # a preview gives nothing away: no code needed
        assert 'id="counter-totp"' in preview.get_data(as_text=True)
        before = case_state(demo, reference)

        asked = post_decision(client, reference, "counter", {**terms, "action": "send"})
        page = asked.get_data(as_text=True)

        assert asked.status_code == 200
        assert len(_errors(page, "counter-totp")) == 1
        assert re.search(r'id="months"[^>]*value="18"|value="18"[^>]*id="months"', page)
        assert 'value="send"' in page  # the send button is there again, with the preview
        assert case_state(demo, reference) == before

        sent = post_decision(
            client, reference, "counter", {**terms, "action": "send", "totp_code": totp_code()}
        )

    assert sent.status_code == 303
    assert case_state(demo, reference)[0] == "countered"


def test_the_second_approval_after_five_minutes_asks_for_the_code(demo):
    with _frozen() as clock:
        reviewer, reference = _holding(demo, "reviewer1", "13800000005")  # above a reviewer's limit
        assert post_decision(reviewer, reference, "approve").status_code == 303
        assert case_state(demo, reference)[0] == "awaiting_second_approval"
        senior = demo.test_client()
        staff_sign_in(senior, "senior1")
        assert post_decision(senior, reference, "claim").status_code == 303
        clock.shift(SIX_MINUTES)
        before = case_state(demo, reference)

        asked = post_decision(senior, reference, "approve")
        assert asked.status_code == 200
        assert case_state(demo, reference) == before

        clock.shift(30)
        confirmed = post_decision(senior, reference, "approve", {"totp_code": totp_code()})

    assert confirmed.status_code == 303
    assert case_state(demo, reference)[0] == "approved"


def test_rejecting_or_asking_for_information_needs_no_new_code(demo):
    with _frozen() as clock:
        client, reference = _holding(demo)
        clock.shift(SIX_MINUTES)

        response = post_decision(
            client, reference, "reject", {"reason": "no_hardship_shown", "message": "No change."}
        )

    assert response.status_code == 303
    assert case_state(demo, reference)[0] == "rejected"
