"""The people of `make resilience`: borrowers applying and reviewers deciding, as their browsers would, through the
proxy with `requests` (forms with their CSRF tokens, redirects read, not followed).

Every request ends one of three ways, and the tally keeps each: the answer the step expected; a clear retryable
error (the proxy's 502/503/504, or the app's own 503 page with Retry-After, or its error page with a reference),
after which the person tries again as the page tells them to; or a failure (a hang past the timeout, a wrong
answer): any failure fails the run. A retried form is the same form again (same key, same version the page
showed), so the app's own guards must make it harmless.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyotp
import requests

from portal.domain import hardship

PASSWORD = "Demo-pass-2026"
TOTP_SECRET = "PORTALDEMOSTAFFTOTPSECRET2345672"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION_RE = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')
STATUS_RE = re.compile(r'class="tag tag-app-([a-z_]+)"')
TIMEOUT = 40  # seconds a person waits for a page: the proxy gives up on a server after 30
ATTEMPTS = 12  # tries of one step before the person gives up (a failure of the run)
RETRYABLE = ("proxy 502", "proxy 503", "proxy 504", "app 503 + Retry-After", "app error page + reference")
DECIDED = ("approved", "rejected", "awaiting_second_approval", "offered")


@dataclass
class Tally:
    """What every request got, shared by every thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    kinds: Counter = field(default_factory=Counter)
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    double_submits: int = 0

    def count(self, kind: str) -> None:
        with self.lock:
            self.requests += 1
            self.kinds[kind] += 1

    def fail(self, who: str, what: str) -> None:
        with self.lock:
            self.failures.append(f"{who}: {what}")


def classify(response: requests.Response) -> str:
    """Where an answer came from: the app's pages carry their request id, the proxy's error pages do not."""
    from_app = "X-Request-Id" in response.headers
    status = response.status_code
    if not from_app:
        return f"proxy {status}" if status in (502, 503, 504) else f"proxy {status} (unexpected)"
    if status == 503 and response.headers.get("Retry-After"):
        return "app 503 + Retry-After"
    if status >= 500 and response.headers["X-Request-Id"] in response.text:
        return "app error page + reference"
    return "answered"


class Person:
    """One browser: a cookie jar, and the steps it takes with their retries."""

    def __init__(self, base: str, tally: Tally, who: str):
        self.base = base
        self.tally = tally
        self.who = who
        self.http = requests.Session()

    def call(
        self, method: str, path: str, data: dict | None = None, expect=(200,)
    ) -> requests.Response | None:
        """One step: the expected answer, or None after recording the failure; retryable errors are retried."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self.http.request(
                    method, self.base + path, data=data, allow_redirects=False, timeout=(5, TIMEOUT)
                )
            except requests.Timeout:
                self.tally.count("timeout")
                self.tally.fail(self.who, f"{method} {path}: no answer within {TIMEOUT} s")
                return None
            except requests.ConnectionError as error:
                self.tally.count("connection error")
                self.tally.fail(self.who, f"{method} {path}: the proxy refused the connection ({error})")
                return None
            kind = classify(response)
            self.tally.count(kind)
            if kind == "answered" and response.status_code in expect:
                return response
            if kind in RETRYABLE:
                wait = response.headers.get("Retry-After", "")
                time.sleep(min(int(wait), 5) if wait.isdigit() else min(0.5 * attempt, 3))
                continue
            self.tally.fail(self.who, f"{method} {path}: {kind} {response.status_code}, expected {expect}")
            return None
        self.tally.fail(self.who, f"{method} {path}: still a retryable error after {ATTEMPTS} tries")
        return None

    def token(self, path: str) -> str | None:
        page = self.call("GET", path)
        found = CSRF_RE.search(page.text) if page is not None else None
        if page is not None and found is None:
            self.tally.fail(self.who, f"no form on {path}")
        return found.group(1) if found else None


def location(response: requests.Response) -> str:
    parts = urlsplit(response.headers.get("Location", ""))
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- borrowers ---------------------------------------------------------------------------------------------------


def budget(variant: str) -> dict:
    """Every line of the money page(s), as tests/helpers/applications.py fills them."""
    data = {f"income_{k}": "0" for k in hardship.income_sources_for(variant)}
    data.update({f"spending_{k}": "0" for k in hardship.spending_for(variant)})
    data.update(income_wages="3000", income_business="1000.50")
    data.update(spending_food="1200", spending_housing="800", spending_transport="266")
    data.update(other_debt="500", dependants="2")
    return data


def apply(person: Person, phone: str, variant: str, loan: str) -> str | None:
    """Sign in, start an application for the loan (twice, as a double click), fill it in and send it (twice).
    Returns the reference the borrower was told was sent, or None (the failure is in the tally)."""
    token = person.token("/sign-in")
    signed = token and person.call(
        "POST", "/sign-in", {"phone": phone, "password": PASSWORD, "csrf_token": token}, expect=(302, 303)
    )
    if not signed:
        return None
    if location(signed).startswith("/sign-in"):
        person.tally.fail(person.who, "sign-in refused")
        return None
    token = person.token(f"/loans/{loan}/help")
    if token is None:
        return None
    start = {"key": secrets.token_urlsafe(24), "csrf_token": token}
    first = person.call("POST", f"/loans/{loan}/help", start, expect=(303,))
    again = first and person.call("POST", f"/loans/{loan}/help", start, expect=(303,))  # the double click
    if not again:
        return None
    person.tally.double_submits += 1
    found = re.match(r"^/applications/([^/?]+)/hardship$", location(first))
    if found is None or location(again) != location(first):
        person.tally.fail(person.who, f"start led to {location(first)} then {location(again)}")
        return None
    reference = found.group(1)
    base = f"/applications/{reference}"
    steps = [
        (
            f"{base}/hardship",
            {"reasons": ["income_reduced"], "duration": "under_6_months", "account": "工时减少。"},
        ),
        (f"{base}/money", budget(variant)),
    ]
    if variant == "rural":
        steps.append((f"{base}/spending", budget(variant)))
    steps.append(
        (
            f"{base}/plan/installment_plan",
            {"months": "12", "pay_day": "10", "upfront": "", "action": "choose"},
        )
    )
    for path, data in steps:
        if not person.call("POST", path, {**data, "csrf_token": token}, expect=(303,)):
            return None
    sent = person.call("POST", f"{base}/check", {"csrf_token": token}, expect=(303,))
    twice = sent and person.call("POST", f"{base}/check", {"csrf_token": token}, expect=(303,))
    if not twice:
        return None
    person.tally.double_submits += 1
    for answer in (sent, twice):
        if location(answer) not in (base, f"{base}?sent=1"):
            person.tally.fail(person.who, f"sending {reference} led to {location(answer)}")
            return None
    return reference


# --- reviewers ---------------------------------------------------------------------------------------------------


def staff_sign_in(person: Person, username: str) -> bool:
    """Password, then the authenticator code (a new 30-second step if this one's code was used already)."""
    for _round in range(3):
        token = person.token("/staff/sign-in")
        first = token and person.call(
            "POST",
            "/staff/sign-in",
            {"username": username, "password": PASSWORD, "csrf_token": token},
            expect=(302, 303),
        )
        if not first:
            return False
        token = person.token("/staff/sign-in/code")
        if token is None:
            return False
        code = pyotp.TOTP(TOTP_SECRET).now()
        done = person.call(
            "POST", "/staff/sign-in/code", {"code": code, "csrf_token": token}, expect=(200, 302, 303)
        )
        if done is None:
            return False
        if done.status_code != 200 and not location(done).startswith("/staff/sign-in"):
            return True
        time.sleep(30 - time.time() % 30 + 0.5)  # the code was refused (used already): wait for the next one
    person.tally.fail(person.who, "staff sign-in did not finish")
    return False


def case(person: Person, reference: str) -> tuple[str, str, str, str] | None:
    """(status, CSRF token, version shown, page) of the case page."""
    page = person.call("GET", f"/staff/cases/{reference}")
    if page is None:
        return None
    status, token = STATUS_RE.search(page.text), CSRF_RE.search(page.text)
    versions = [a or b for a, b in VERSION_RE.findall(page.text)]
    if status is None or token is None:
        person.tally.fail(person.who, f"case page of {reference} shows no status or form")
        return None
    return status.group(1), token.group(1), (versions[0] if versions else ""), page.text


def decide(person: Person, reference: str, action: str) -> str | None:
    """Claim the case and approve or reject it, reading the case page before each form as a reviewer does: a
    retried form whose first try was applied shows as done on the page (or as a 409 conflict, then read again).
    Returns the status the decision left, or None."""
    data = (
        {"reason": "no_hardship_shown", "message": "材料不足。"}
        if action == "reject"
        else {"message": "可以。"}
    )
    for _round in range(ATTEMPTS):
        seen = case(person, reference)
        if seen is None:
            return None
        status, token, version, page = seen
        if status in DECIDED:
            return status
        if status == "submitted":
            form, extra = "claim", {}
        elif status == "in_review" and f"/staff/cases/{reference}/{action}" in page:
            form, extra = action, data
        else:
            person.tally.fail(person.who, f"{reference} is {status}, not for this reviewer")
            return None
        answer = person.call(
            "POST",
            f"/staff/cases/{reference}/{form}",
            {"csrf_token": token, "version": version, **extra},
            expect=(303, 409),
        )
        if answer is None:
            return None
    person.tally.fail(person.who, f"{reference}: no decision after {ATTEMPTS} rounds")
    return None
