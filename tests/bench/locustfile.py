"""Locust users for `make bench`: one page per run, chosen by BENCH_PAGE; the people sign in through the forms.

BENCH_TARGETS (JSON) gives the URLs the run found in the data (queue page 500's cursor, the case, the draft).
Signed-in pages start from the session cookie run.py got by signing in through the real form.
"""

from __future__ import annotations

import json
import os
from http.cookiejar import Cookie
from urllib.parse import urlsplit

from locust import FastHttpUser, constant, task

PAGE = os.environ.get("BENCH_PAGE", "baseline")
TARGETS = json.loads(os.environ.get("BENCH_TARGETS", "{}"))

# page: (who, path, text the page must contain)
PAGES = {
    "baseline": (None, "/bench/baseline", "ok"),
    "sign_in": (None, "/sign-in", 'name="password"'),
    "dashboard": ("borrower", "/", TARGETS.get("loan_number", "")),
    "loan": ("borrower", TARGETS.get("loan", "/"), TARGETS.get("loan_number", "")),
    "options": ("borrower", TARGETS.get("options", "/"), 'class="'),
    "queue_first": ("reviewer", "/staff/queue", TARGETS.get("queue_marker", "<table")),
    "queue_500": ("reviewer", TARGETS.get("queue_500", "/staff/queue"), "<table"),
    "case": ("reviewer", TARGETS.get("case", "/staff/queue"), TARGETS.get("case_marker", "")),
}


def jar_cookie(name: str, value: str, host: str) -> Cookie:
    """A host-only cookie for the whole site, as the server set it at sign-in."""
    return Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=host,
        domain_specified=False,
        domain_initial_dot=False,
        path="/",
        path_specified=True,
        secure=False,
        expires=None,
        discard=False,
        comment=None,
        comment_url=None,
        rest={"HttpOnly": None},
    )


class Visitor(FastHttpUser):
    """One person on one page, as fast as the server answers (no think time): a closed loop of BENCH_USERS."""

    wait_time = constant(0)

    def on_start(self):
        # run.py signed each role in once through the real form; every user starts with that session cookie, so
        # the measured seconds are not spent in argon2 (sign-in itself is not one of the pages measured). The
        # cookie goes into the user's cookie jar, which keeps what the server sets as a browser does: the session
        # records the time it was last seen once a minute, and a cookie that never took the new one would make
        # every later page write the session again.
        who = PAGES[PAGE][0]
        cookie = TARGETS.get("cookies", {}).get(who) if who else None
        if cookie:
            name, _, value = cookie.partition("=")
            self.client.cookiejar.set_cookie(jar_cookie(name, value, urlsplit(self.host).hostname))

    @task
    def page(self):
        _who, path, marker = PAGES[PAGE]
        with self.client.get(path, name=PAGE, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif marker and marker not in (response.text or ""):
                response.failure("expected content missing")
