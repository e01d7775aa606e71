"""Helpers shared by the test suites: import them with `from support import ...`.

(Every folder's conftest.py is a module named `conftest`, so importing from it is ambiguous; this is not.)
"""

from __future__ import annotations

import os
import re
from datetime import date

from flask.testing import FlaskClient

BUSINESS_DATE = date(2026, 11, 29)
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


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

    def submit(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """POST `data` to `url` with a CSRF token taken from `page` (default: `url` itself)."""
        form = dict(data or {})
        form.setdefault("csrf_token", self.csrf_token(page or url))
        return self.post(url, data=form, **kwargs)


def sign_in(client: Client, phone: str = "13800000001", password: str = "Demo-pass-2026"):
    """Sign a borrower in through the real form."""
    return client.submit("/sign-in", {"phone": phone, "password": password})
