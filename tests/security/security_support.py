"""Helpers for the security tests (imported by the test modules in this folder)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from urllib.parse import urlsplit

from sqlalchemy import func, select
from support import staff_sign_in  # noqa: F401 - the one staff sign-in helper, re-exported here

from portal import db
from portal.loans.models import (
    Application,
    AuditEvent,
    Borrower,
    Evidence,
    Loan,
    Notification,
    OneTimeCode,
    Payment,
    SignInFailure,
)

PASSWORD = "Demo-pass-2026"
COOKIE = "portal_session"

# The open-redirect list from SECURITY.md: each must land on the dashboard.
HOSTILE_NEXT = [
    "https://evil.example",
    "//evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "http://portal@evil.example",
]


@contextmanager
def database(app):
    """A database session in an app context of its own (never make a request inside the block)."""
    with app.app_context():
        yield db.session


def location(response) -> tuple[str, str]:
    """(host, path) of a redirect's Location header."""
    parts = urlsplit(response.headers["Location"])
    return parts.netloc, parts.path


def location_path(response) -> str:
    host, path = location(response)
    assert host in ("", "localhost"), response.headers["Location"]
    return path


def loan_number(app, phone: str) -> str:
    with database(app) as session:
        return session.scalars(
            select(Loan.number).join(Borrower).where(Borrower.phone == phone).order_by(Loan.id)
        ).first()


def sms_code(app) -> str:
    """The code in the newest sign-in SMS in the outbox."""
    with database(app) as session:
        body = session.scalars(
            select(Notification.body)
            .where(Notification.kind == "sign_in_code")
            .order_by(Notification.id.desc())
        ).first()
    codes = re.findall(r"(?<!\d)(\d{6})(?!\d)", body)
    assert len(codes) == 1, body
    return codes[0]


def row_counts(app) -> dict[str, int]:
    """How many rows each table that a request could write holds."""
    with database(app) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (
                AuditEvent,
                Notification,
                OneTimeCode,
                Payment,
                SignInFailure,
                Borrower,
                Loan,
                Application,
                Evidence,
            )
        }
