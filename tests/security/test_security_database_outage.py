"""When the database is unreachable (restarting, failing over, its connections dropped) a request answers 503 with
Retry-After and the translated "try again" page with its reference, keeps nothing, and works once the database is
back: a clear, retryable error rather than "something went wrong" (`make resilience` drives this for real)."""

from __future__ import annotations

from html import unescape

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import event, exc, select
from sqlalchemy.orm import Session

from portal.applications.models import Application
from tests.helpers.applications import loan_number, new_key
from tests.helpers.common import sign_in
from tests.helpers.security import database

PHONE = "13800000001"


class ConnectionLost(Exception):
    """What the driver raises when the server closes the connection (wrapped by SQLAlchemy as below)."""


def _lost(statement: str) -> exc.OperationalError:
    return exc.OperationalError(statement, {}, ConnectionLost("server closed the connection unexpectedly"))


@pytest.fixture
def served(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # serve the error page, as production does
    return app


def _start(client, number: str, key: str):
    return client.submit(f"/loans/{number}/help", {"key": key}, page=f"/loans/{number}")


def _applications(app) -> int:
    with database(app) as session:
        return len(session.scalars(select(Application.id)).all())


def _retry_page(app, response) -> None:
    html = unescape(response.get_data(as_text=True))
    reference = response.headers["X-Request-Id"]
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    with app.test_request_context(), force_locale("zh_Hans"):
        assert f"<h1>{gettext('The service is busy for a moment')}</h1>" in html
        assert gettext("Reference: %(ref)s", ref=reference) in html
    for leak in ("Traceback", "OperationalError", "ConnectionLost", "server closed"):
        assert leak not in html


def test_a_request_while_the_database_is_unreachable_gets_503_with_retry_after(demo, served, monkeypatch):
    """ASVS 7.4.1: an unreachable database shows a generic, translated page with a reference id and Retry-After,
    never the driver's message; nothing is kept, and the same request succeeds once the database is back."""
    client = served.test_client()
    sign_in(client, PHONE)
    number = loan_number(served, PHONE)
    token = client.csrf_token(f"/loans/{number}")
    before = _applications(served)
    engine = served.extensions["db_engine"]
    engine.dispose()  # every pooled connection is gone, as after a restart

    def refused(*_args, **_kwargs):
        raise _lost("connect")

    monkeypatch.setattr(engine.pool, "_creator", refused)
    key = new_key()
    response = client.post(f"/loans/{number}/help", data={"key": key, "csrf_token": token})

    _retry_page(served, response)
    monkeypatch.undo()
    assert _applications(served) == before
    again = client.post(f"/loans/{number}/help", data={"key": key, "csrf_token": token})
    assert again.status_code == 303
    assert _applications(served) == before + 1


def test_a_commit_that_loses_the_connection_gets_503_and_keeps_nothing(demo, served, monkeypatch):
    """ASVS 7.4.1: the connection lost at the request's commit (after the view answered) still gives the retryable
    503 page with its reference, not a success and not the generic 500, and nothing of the request is kept."""
    client = served.test_client()
    sign_in(client, PHONE)
    number = loan_number(served, PHONE)
    before = _applications(served)
    original = Session.commit

    def commit_lost(self):
        if self.new or self.info.get("wrote"):
            self.rollback()
            raise _lost("COMMIT")
        return original(self)

    monkeypatch.setattr(Session, "commit", commit_lost)
    response = _start(client, number, new_key())
    monkeypatch.undo()

    _retry_page(served, response)
    assert _applications(served) == before


def test_the_database_lost_after_the_user_was_loaded_still_gets_503(demo, served, monkeypatch):
    """ASVS 7.4.1: PostgreSQL restarting in the middle of a signed-in borrower's request (the user already loaded,
    then every statement failing) still gives the retryable 503 page, not a 500 from the error page reading the
    user the rollback expired (`make resilience` met this)."""
    client = served.test_client()
    sign_in(client, PHONE)
    number = loan_number(served, PHONE)
    token = client.csrf_token(f"/loans/{number}")
    before = _applications(served)
    engine = served.extensions["db_engine"]
    lost = {"yet": False}

    def restart_midway(_conn, _cursor, statement, *_args):
        lost["yet"] = lost["yet"] or "applications" in statement
        if lost["yet"]:
            raise _lost(statement)

    event.listen(engine, "before_cursor_execute", restart_midway)
    try:
        response = client.post(f"/loans/{number}/help", data={"key": new_key(), "csrf_token": token})
    finally:
        event.remove(engine, "before_cursor_execute", restart_midway)

    assert lost["yet"]
    _retry_page(served, response)
    assert _applications(served) == before
