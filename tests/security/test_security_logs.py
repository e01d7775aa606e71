"""Logs hold no passwords or sign-in codes, and a newline in user input cannot forge a log line."""

from __future__ import annotations

import io
import logging

import pytest
from flask import g

from portal import _RequestIdFilter, create_app
from portal.config import ConfigError
from tests.helpers.common import CSRF_RE, Client, sign_in
from tests.helpers.security import PASSWORD, sms_code

WRONG = "Wrong-Secret-Pass-9431"
FORGED = "13800000001\n2026-11-29 10:00:00,000 INFO [-] portal: admin1 approved everything"


def _everything_logged(caplog) -> str:
    return caplog.text + "\n".join(str(record.args) for record in caplog.records)


def test_password_sign_in_never_logs_the_password(demo, client, caplog):
    caplog.set_level(logging.INFO, logger="portal")

    sign_in(client, "13800000001", WRONG)
    sign_in(client, "13899990001", WRONG)
    sign_in(client, "13800000001", PASSWORD)

    logged = _everything_logged(caplog)
    assert WRONG not in logged
    assert PASSWORD not in logged


def test_sms_code_sign_in_never_logs_the_code(demo, client, caplog):
    caplog.set_level(logging.INFO, logger="portal")

    client.submit("/sign-in/code", {"phone": "13800000001"})
    code = sms_code(demo)
    client.submit("/sign-in/code/enter", {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    client.submit("/sign-in/code/enter", {"code": code})

    assert client.get("/").status_code == 200
    assert code not in _everything_logged(caplog)


def test_production_never_writes_a_sign_in_code_to_the_log(demo, database_url, caplog, monkeypatch):
    monkeypatch.delenv("PORTAL_SMS_SENDER", raising=False)
    try:
        production = create_app(
            {
                "PORTAL_ENV": "production",
                "SECRET_KEY": "production-secret-0123456789",
                "AUDIT_KEYS": "prod1:production-audit-key-0123456789",
                "AUDIT_CHECKPOINTS": None,
                "DATABASE_URL": database_url,
            }
        )
    except ConfigError:
        return  # refusing to start without a real SMS gateway would be a fix too
    production.test_client_class = Client
    try:
        client = production.test_client()
        base = "https://localhost"
        page = client.get("/sign-in/code", base_url=base).get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        caplog.set_level(logging.INFO, logger="portal")

        response = client.post(
            "/sign-in/code",
            data={"phone": "13800000001", "csrf_token": token},
            base_url=base,
            headers={"Referer": base + "/sign-in/code"},
        )

        assert response.status_code == 302
        assert sms_code(demo) not in _everything_logged(caplog)
    finally:
        production.extensions["db_engine"].dispose()


@pytest.fixture
def portal_log(app):
    """The app's own log handler (with its request-id and newline filter), writing into a buffer."""
    handlers = [
        h
        for h in logging.getLogger("portal").handlers
        if any(isinstance(f, _RequestIdFilter) for f in h.filters)
    ]
    assert len(handlers) == 1
    handler = handlers[0]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def _lines(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


def test_a_newline_in_a_logged_phone_number_does_not_start_a_new_line(app, portal_log):
    with app.test_request_context("/sign-in"):
        g.request_id = "request-1234"
        logging.getLogger("portal.auth").warning("sign-in refused for %s", FORGED)

    lines = _lines(portal_log)
    assert len(lines) == 1
    assert "13800000001\\n2026-11-29" in lines[0]
    assert "WARNING [request-1234] portal.auth: sign-in refused for" in lines[0]


def test_a_newline_in_the_message_itself_is_escaped_too(app, portal_log):
    logging.getLogger("portal").info("phone " + FORGED.replace("\n", "\r\n"))

    lines = _lines(portal_log)
    assert len(lines) == 1
    assert "\\r\\n" in lines[0]


def test_a_newline_in_mapping_arguments_is_escaped(app, portal_log):
    logging.getLogger("portal").info("sign-in refused for %(phone)s", {"phone": FORGED})

    lines = _lines(portal_log)
    assert len(lines) == 1
    assert "sign-in refused for 13800000001\\n2026-11-29" in lines[0]


def test_a_newline_in_a_non_string_argument_is_escaped(app, portal_log):
    logging.getLogger("portal").info("refused: %s", ValueError(f"bad phone {FORGED}"))

    assert len(_lines(portal_log)) == 1


def _all_logged(caplog, buffer: io.StringIO) -> str:
    return _everything_logged(caplog) + "\n" + buffer.getvalue()


def test_staff_codes_secrets_cookies_and_id_numbers_never_reach_the_log(demo, app, caplog, portal_log):
    """Everything a signed-in day touches: password and TOTP sign-in (a wrong code first), the case pages with the
    borrower's full ID number behind them, a re-confirmed approval. None of the secrets may be logged."""
    from datetime import UTC, datetime

    import time_machine
    from sqlalchemy import select

    from portal import db
    from portal.people.models import Borrower
    from tests.helpers.common import DEMO_TOTP_SECRET, totp_code
    from tests.helpers.security import case_form, submitted_case

    caplog.set_level(logging.DEBUG)
    with app.app_context():
        id_numbers = list(db.session.scalars(select(Borrower.id_number)))
    reference = submitted_case(app, "13800000001")
    secrets_seen = {PASSWORD, WRONG, DEMO_TOTP_SECRET, *id_numbers}
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        client = app.test_client()
        client.submit("/staff/sign-in", {"username": "reviewer1", "password": WRONG})
        client.submit("/staff/sign-in", {"username": "reviewer1", "password": PASSWORD})
        wrong_code = f"{(int(totp_code()) + 3) % 1_000_000:06d}"
        client.submit("/staff/sign-in/code", {"code": wrong_code})
        code = totp_code()
        client.submit("/staff/sign-in/code", {"code": code})
        secrets_seen |= {wrong_code, code}
        token, version, _html = case_form(client, reference)
        client.post(f"/staff/cases/{reference}/claim", data={"csrf_token": token, "version": version})
        client.get("/staff/borrowers?q=13800000001")
        clock.shift(6 * 60 + 30)
        confirm = totp_code()
        token, version, _html = case_form(client, reference)
        approved = client.post(
            f"/staff/cases/{reference}/approve",
            data={"csrf_token": token, "version": version, "totp_code": confirm},
        )
        assert approved.status_code == 303  # the flow really ran
        secrets_seen |= {confirm, client.get_cookie("portal_session").value, token}

    logged = _all_logged(caplog, portal_log)
    assert [s for s in secrets_seen if s and s in logged] == []


def test_a_log_line_forged_through_a_sign_in_field_stays_one_line(demo, client, portal_log, caplog):
    caplog.set_level(logging.DEBUG)
    forged_user = "reviewer1\n2026-11-29 10:00:00,000 INFO [-] portal: admin1 signed in"
    logging.getLogger("portal.auth").warning("staff sign-in refused for %s", forged_user)
    client.submit("/staff/sign-in", {"username": forged_user[:60], "password": WRONG})

    for line in portal_log.getvalue().splitlines():
        assert not line.startswith("2026-11-29 10:00:00,000 INFO [-] portal: admin1"), line
