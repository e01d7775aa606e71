"""Helpers shared by the test suites: import them with `from tests.helpers.common import ...`.

(Every folder's conftest.py is a module named `conftest`, so importing from it is ambiguous; this is not.)
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pyotp
from flask.testing import FlaskClient

BUSINESS_DATE = date(2026, 11, 29)
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DEMO_PASSWORD = "Demo-pass-2026"
# Every demo reviewer, senior reviewer and administrator has this authenticator secret (portal/demo/world.py, README).
DEMO_TOTP_SECRET = "PORTALDEMOSTAFFTOTPSECRET2345672"
SECRET_ON_PAGE_RE = re.compile(r'id="totp-secret"><code[^>]*>([A-Z2-7 ]+)</code>')


def settings(database_url: str, **extra) -> dict:
    """The configuration every test app starts from."""
    base = {
        "PORTAL_ENV": "testing",
        "SECRET_KEY": "test-secret-key-0123456789",
        "DATABASE_URL": database_url,
        "BUSINESS_DATE": BUSINESS_DATE,
        "SMS_SENDER": "memory",
        "SESSION_COOKIE_SECURE": False,
    }
    base.update(extra)
    return base


class Client(FlaskClient):
    """A test client that can post forms with their CSRF token, as a browser would."""

    def csrf_token(self, page: str = "/sign-in") -> str:
        html = self.get(page, follow_redirects=True).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def session_csrf_token(self) -> str:
        """The CSRF token any form of this browser's session carries, made as Flask-WTF makes it (its secret
        signs the session's raw token, which the session gets first if it has none), without rendering a page.

        Opening the form's page only to copy its token was one request in two of the integration tests; a test
        that must see the token on a page calls `csrf_token(page)`."""
        from flask_wtf.csrf import generate_csrf

        with self.session_transaction() as stored:
            with self.application.test_request_context():
                from flask import session

                session.update(stored)
                token = generate_csrf()
                stored["csrf_token"] = session["csrf_token"]
        return token

    def submit(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """POST `data` to `url` with a CSRF token: taken from `page` when given (the page must carry it), else
        the session's own (`session_csrf_token`)."""
        form = dict(data or {})
        form.setdefault("csrf_token", self.csrf_token(page) if page else self.session_csrf_token())
        return self.post(url, data=form, **kwargs)


def sign_in(client: Client, phone: str = "13800000001", password: str = "Demo-pass-2026"):
    """Sign a borrower in through the real form."""
    return client.submit("/sign-in", {"phone": phone, "password": password})


def totp_code(secret: str = DEMO_TOTP_SECRET, *, at: float | None = None) -> str:
    """The 6-digit code an authenticator app shows for `secret` now (or at the Unix time `at`)."""
    return pyotp.TOTP(secret).at(time.time() if at is None else at)


def free_totp_step(app, username: str) -> None:
    """Arrange that the current 30-second step is unused for `username`, as if the next window had come.

    A code is refused when its step was used already; tests sign the same person in many times a minute, and this
    stands in for waiting. Tests of that refusal pass their own `code` to `staff_sign_in` instead.
    """
    from sqlalchemy import select

    from portal import db
    from portal.people.models import StaffUser

    with app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == username.lower()))
        if staff is not None and staff.totp_last_step is not None:
            staff.totp_last_step = None
            db.session.commit()


def totp_secret_of(app, username: str) -> str | None:
    from sqlalchemy import select

    from portal import db
    from portal.people.models import StaffUser

    with app.app_context():
        return db.session.scalar(select(StaffUser.totp_secret).where(StaffUser.username == username.lower()))


def staff_sign_in(
    client: Client,
    username: str,
    password: str = DEMO_PASSWORD,
    *,
    code: str | None = None,
    next: str | None = None,  # noqa: A002 - the form field's name
):
    """Sign a member of staff in through the real forms, as a person would: the password, then for reviewers,
    senior reviewers and administrators the code from their authenticator app (computed with pyotp from their
    secret; someone not enrolled yet is enrolled with the secret the enrolment page shows). Agents stop after the
    password. Returns the last response: a redirect to the staff page when signed in. With `code`, that code is
    posted as given (and the step is not freed first); `next` goes in the password form as a browser sends it."""
    form = {"username": username, "password": password}
    if next is not None:
        form["next"] = next
    response = client.submit("/staff/sign-in", form)
    if response.status_code != 302:
        return response
    step = urlsplit(response.headers["Location"]).path
    if step == "/staff/sign-in/code":
        if code is None:
            free_totp_step(client.application, username)
            code = totp_code(totp_secret_of(client.application, username))
        return client.submit("/staff/sign-in/code", {"code": code})
    if step == "/staff/sign-in/enrol":
        page = client.get("/staff/sign-in/enrol").get_data(as_text=True)
        found = SECRET_ON_PAGE_RE.search(page)
        assert found, "the enrolment page shows no secret"
        secret = found.group(1).replace(" ", "")
        return client.submit("/staff/sign-in/enrol", {"code": code or totp_code(secret)})
    return response


def fill_draft(
    session,
    application,
    as_of: date,
    *,
    reason: str = "income_reduced",
    account: str = "Hours cut at work.",
    income_source: str = "wages",
    income: Decimal = Decimal("4000"),
    food: Decimal = Decimal("1200"),
    dependants: int = 1,
    kind: str | None = "installment_plan",
) -> None:
    """Answer every step of a draft with the services the borrower's pages call: one hardship reason (expected
    to last under six months), a budget of one income and food as the only spending, and the plan `kind` with its
    suggested terms (`kind=None`: the first plan on offer). Commits nothing."""
    from portal.applications import calculation, drafting

    drafting.save_hardship(application, reasons=[reason], duration="under_6_months", account=account)
    drafting.save_budget(
        application,
        income={income_source: income},
        spending={"food": food},
        other_debt=Decimal("0"),
        dependants=dependants,
    )
    calc = calculation.calculator(session, application, as_of)
    if kind is None:
        quote = next(q for q in calc.quote_all() if q.available)
    else:
        quote = calc.quote(kind, calc.default_terms(kind))
    drafting.choose(application, quote)


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def counting_statements(app) -> Iterator[list[str]]:
    """The SQL statements `app` runs inside the block (transaction control is not counted)."""
    from sqlalchemy import event

    executed: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            executed.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield executed
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_of_get(app, client, url: str) -> tuple[int, str]:
    """(SQL statements, page) of one GET that must answer 200; transaction control is not counted."""
    with counting_statements(app) as executed:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(executed), response.get_data(as_text=True)


def _postgres_admin(url: str):
    from sqlalchemy import create_engine, make_url

    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _plain_name(url: str) -> str:
    from sqlalchemy import make_url

    name = make_url(url).database or ""
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), f"not a plain database name: {name!r}"
    return name


def postgres_database(url: str, *, empty: bool = False) -> str:
    """The PostgreSQL database `url` names, created on its server when it is not there (dropped and created again
    when `empty`, for instance after a crashed run). Returns `url`."""
    from sqlalchemy import text

    name = _plain_name(url)
    admin = _postgres_admin(url)
    with admin.connect() as conn:
        if empty:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


def drop_postgres_database(url: str) -> None:
    """Drop the PostgreSQL database `url` names (connections to it are ended)."""
    from sqlalchemy import text

    name = _plain_name(url)
    admin = _postgres_admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
