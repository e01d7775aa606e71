"""Security headers on every kind of page, no-store on signed-in pages, and the session cookie's attributes."""

from __future__ import annotations

import re

from conftest import sign_in
from security_support import COOKIE, loan_number, staff_sign_in

REQUIRED_CSP = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
}

PAGES = [
    # (name, who, path, expected status, signed in)
    ("sign-in page", None, "/sign-in", 200, False),
    ("code request page", None, "/sign-in/code", 200, False),
    ("staff sign-in page", None, "/staff/sign-in", 200, False),
    ("404 page", None, "/no-such-page", 404, False),
    ("dashboard", "13800000001", "/", 200, True),
    ("loan page", "13800000001", "/loans/{loan}", 200, True),
    ("another borrower's loan (404)", "13800000002", "/loans/{loan}", 404, True),
    ("404 page signed in", "13800000001", "/no-such-page", 404, True),
    ("staff borrowers", "staff:reviewer1", "/staff/borrowers", 200, True),
]


def _csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def _problems(response, status: int, signed_in: bool) -> list[str]:
    problems = []
    if response.status_code != status:
        problems.append(f"status {response.status_code}")
    raw_csp = response.headers.get("Content-Security-Policy", "")
    csp = _csp(raw_csp)
    for directive, values in REQUIRED_CSP.items():
        if csp.get(directive) != values:
            problems.append(f"{directive} is {csp.get(directive)}")
    for forbidden in ("unsafe-inline", "unsafe-eval", "*"):
        if forbidden in raw_csp:
            problems.append(f"CSP allows {forbidden}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if response.headers.get("Referrer-Policy") != "strict-origin-when-cross-origin":
        problems.append(f"Referrer-Policy {response.headers.get('Referrer-Policy')}")
    if signed_in and "no-store" not in response.headers.get("Cache-Control", ""):
        problems.append(f"Cache-Control {response.headers.get('Cache-Control')}")
    return problems


def test_every_page_sends_the_security_headers(demo, app):
    clients = {None: app.test_client()}
    for who in {p[1] for p in PAGES if p[1]}:
        clients[who] = app.test_client()
        if who.startswith("staff:"):
            staff_sign_in(clients[who], who.split(":", 1)[1])
        else:
            sign_in(clients[who], who)
    number = loan_number(app, "13800000001")

    problems = {
        name: found
        for name, who, path, status, signed_in in PAGES
        if (found := _problems(clients[who].get(path.format(loan=number)), status, signed_in))
    }

    assert problems == {}


def test_pages_have_no_inline_script_or_event_handlers(demo, client):
    sign_in(client)
    for path in ("/", f"/loans/{loan_number(demo, '13800000001')}", "/no-such-page", "/sign-in"):
        html = client.get(path).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html, re.I):
            assert re.search(r"\bsrc=", tag), f"inline script on {path}: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), f"inline event handler on {path}"
        assert "javascript:" not in html.lower(), path


def test_no_hsts_over_plain_http_in_testing(client):
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers


def test_session_cookie_is_http_only_and_same_site_lax(demo, client):
    response = sign_in(client)

    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "=")]
    assert len(cookies) == 1
    attributes = {part.strip().split("=", 1)[0].lower(): part.strip() for part in cookies[0].split(";")[1:]}
    assert "httponly" in attributes
    assert attributes.get("samesite") == "SameSite=Lax"
    assert attributes.get("path") == "Path=/"
    assert "domain" not in attributes  # host-only
    stored = client.get_cookie(COOKIE)
    assert stored.http_only
    assert stored.same_site == "Lax"
