"""Rendered pages kept in each worker's memory, for a page read far more often than what it shows changes.

The borrower's dashboard is the one user: a borrower comes back to it after every step, and rendering it means
reading the ledger and replaying the arrears. A kept page is used only under a key that names everything the page
shows: whose page and the version of their data (`borrowers.view_version`, which the database itself raises in the
same transaction as every write to their loans, payments, schedules, applications and messages: migration 0006),
the business date, the language, the variant and the address. Anything that is not in the key but could change
(a branch's phone number, a product's name) is shown at most `PAGE_CACHE_SECONDS` late; money never is.

What must be new on every response is put back on each use: this session's CSRF token and each form's
idempotency key (`fresh_token`). The caller decides when not to keep a page at all (an agent's view, a page with a
flashed message or a live support code).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict

from flask import Flask, current_app, g
from flask_wtf.csrf import generate_csrf

# Neither can come out of a template's escaped output (a bare "<!" followed by a word) nor is in a template.
CSRF_MARK = "<!csrf-token!>"
KEY_MARK = "<!fresh-key!>"
_KEY_MARKS = re.compile(re.escape(KEY_MARK))


def fresh_token() -> str:
    """A random idempotency key for a form on this page (a kept page gets new ones on every use)."""
    token = secrets.token_urlsafe(24)
    g.setdefault("fresh_tokens", []).append(token)
    return token


class PageCache:
    """At most `size` pages, each for at most `seconds`; least recently used go first. Thread-safe."""

    def __init__(self, size: int, seconds: float):
        self.size = size
        self.seconds = seconds
        self._pages: OrderedDict[tuple, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            if time.monotonic() - found[0] > self.seconds:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return found[1]

    def put(self, key: tuple, page: str) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._pages[key] = (time.monotonic(), page)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def init_app(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache(app.config["PAGE_CACHE_SIZE"], app.config["PAGE_CACHE_SECONDS"])


def kept(key: tuple) -> str | None:
    """The page kept under `key`, with this response's CSRF token and new idempotency keys; None if none is kept."""
    page = current_app.extensions["page_cache"].get(key)
    if page is None:
        return None
    page = page.replace(CSRF_MARK, generate_csrf())
    return _KEY_MARKS.sub(lambda _match: fresh_token(), page) if KEY_MARK in page else page


def keep(key: tuple, page: str) -> str:
    """Keep this request's rendered `page` under `key` (its per-response parts marked); returns `page` unchanged."""
    stored = page.replace(generate_csrf(), CSRF_MARK)
    for token in g.get("fresh_tokens", ()):
        stored = stored.replace(token, KEY_MARK)
    current_app.extensions["page_cache"].put(key, stored)
    return page
