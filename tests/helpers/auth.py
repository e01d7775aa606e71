"""Helpers for the sign-in, session and language tests (imported by the test modules in this folder)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import select

from portal import db
from portal.core.models import Notification
from portal.loans.models import Loan
from portal.people.models import Borrower

PASSWORD = "Demo-pass-2026"
WRONG_PASSWORD = "Not-the-pass-2026"
COOKIE = "portal_session"
CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
HTML_LANG_RE = re.compile(r'<html lang="([^"]+)"')


@contextmanager
def database(app):
    """A database session in an app context of its own, closed on exit.

    Never make a request inside this block: the request would share the context (and Flask-Login's cached user).
    """
    with app.app_context():
        yield db.session


def location_path(response) -> str:
    """The path of a redirect's Location header; fails when it points at another host."""
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    return parts.path


def html_lang(response) -> str:
    match = HTML_LANG_RE.search(response.get_data(as_text=True))
    assert match, "no <html lang> on the page"
    return match.group(1)


def translated(app, message: str, lang: str = "zh_Hans", **params) -> str:
    """`message` as the app's catalogs render it in `lang`, HTML-escaped as a template shows it."""
    with app.test_request_context(), force_locale(lang):
        return str(escape(gettext(message, **params)))


def field_errors(html: str, field_id: str) -> list[str]:
    """The error messages shown next to one form field."""
    pattern = rf'<p class="error-message" id="{field_id}-error"><span class="visually-hidden">[^<]*</span>\s*(.*?)</p>'
    return [m.strip() for m in re.findall(pattern, html, re.S)]


def loan_numbers(app, phone: str) -> list[str]:
    with database(app) as session:
        return list(
            session.scalars(
                select(Loan.number).join(Borrower).where(Borrower.phone == phone).order_by(Loan.id)
            )
        )


def borrower_id(app, phone: str) -> int:
    with database(app) as session:
        return session.scalar(select(Borrower.id).where(Borrower.phone == phone))


def sms_bodies(app, phone: str | None = None) -> list[str]:
    """Bodies of the sign-in code messages in the outbox (for one phone, or all), oldest first."""
    with database(app) as session:
        query = (
            select(Notification.body)
            .join(Borrower, Borrower.id == Notification.borrower_id)
            .where(Notification.kind == "sign_in_code")
            .order_by(Notification.id)
        )
        if phone:
            query = query.where(Borrower.phone == phone)
        return list(session.scalars(query))


def code_from(body: str) -> str:
    codes = CODE_RE.findall(body)
    assert len(codes) == 1, body
    return codes[0]


def sent_messages(app) -> list[tuple[str, str]]:
    """What the memory SMS sender delivered (phone, body)."""
    sender = app.extensions.get("outbox_sender")
    return list(sender.sent) if sender is not None else []


def session_data(app, client) -> dict:
    """The decoded contents of the client's session cookie ({} when there is none)."""
    cookie = client.get_cookie(COOKIE)
    if cookie is None:
        return {}
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def is_signed_in(client) -> bool:
    """Whether the client's cookie still opens the dashboard (a redirect to sign-in means no)."""
    response = client.get("/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302, response.status_code
    assert location_path(response) == "/sign-in"
    return False


def request_code(client, phone: str):
    return client.submit("/sign-in/code", {"phone": phone})


def enter_code(client, code: str):
    return client.submit("/sign-in/code/enter", {"code": code})


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"
