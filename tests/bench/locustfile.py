"""Locust users for `make bench`: one page per run, chosen by BENCH_PAGE; the people sign in through the forms.

BENCH_TARGETS (JSON) gives the URLs the run found in the data (queue page 500's cursor, the case, the draft).
Signed-in pages carry the session cookie run.py got by signing in through the real form.
"""

from __future__ import annotations

import json
import os

from locust import FastHttpUser, constant, task

PAGE = os.environ.get("BENCH_PAGE", "baseline")
TARGETS = json.loads(os.environ.get("BENCH_TARGETS", "{}"))

# page: (who, path, text the page must contain)
PAGES = {
    "baseline": (None, "/bench/baseline", "ok"),
    "sign_in": (None, "/sign-in", 'name="password"'),
    "dashboard": ("borrower", "/", TARGETS.get("loan_number", "")),
    "options": ("borrower", TARGETS.get("options", "/"), 'class="'),
    "queue_first": ("reviewer", "/staff/queue", TARGETS.get("queue_marker", "<table")),
    "queue_500": ("reviewer", TARGETS.get("queue_500", "/staff/queue"), "<table"),
    "case": ("reviewer", TARGETS.get("case", "/staff/queue"), TARGETS.get("case_marker", "")),
}


class Visitor(FastHttpUser):
    """One person on one page, as fast as the server answers (no think time): a closed loop of BENCH_USERS."""

    wait_time = constant(0)

    def on_start(self):
        # run.py signed each role in once through the real form; every user carries that session cookie, so the
        # measured seconds are not spent in argon2 (sign-in itself is not one of the pages measured).
        who = PAGES[PAGE][0]
        self.cookie = TARGETS.get("cookies", {}).get(who) if who else None

    @task
    def page(self):
        _who, path, marker = PAGES[PAGE]
        headers = {"Cookie": self.cookie} if self.cookie else {}
        with self.client.get(path, name=PAGE, headers=headers, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif marker and marker not in (response.text or ""):
                response.failure("expected content missing")
