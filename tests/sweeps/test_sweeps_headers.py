"""Security headers on every page of the catalog, for each role: the CSP, nosniff, the referrer policy, no
framing, no-store on every signed-in page; every cookie any page sets is HttpOnly and SameSite=Lax; no inline
script or event handler anywhere (the CSP would block it, so a page that relies on one is broken)."""

from __future__ import annotations

import re

import pytest

from tests.helpers.pages import ANONYMOUS, Visit

pytestmark = pytest.mark.page_sweep  # every page's wording and headers: SQLite only (Makefile)

REQUIRED_CSP = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def header_problems(response, visit: Visit) -> list[str]:
    problems = []
    if response.status_code != visit.status:
        problems.append(f"status {response.status_code}")
    raw_csp = response.headers.get("Content-Security-Policy", "")
    csp = csp_directives(raw_csp)
    for directive, values in REQUIRED_CSP.items():
        if csp.get(directive) != values:
            problems.append(f"{directive} is {csp.get(directive)}")
    for forbidden in ("unsafe-inline", "unsafe-eval", "*", "data: 'unsafe", "http:"):
        if forbidden in raw_csp:
            problems.append(f"CSP allows {forbidden}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if response.headers.get("Referrer-Policy") != "strict-origin-when-cross-origin":
        problems.append(f"Referrer-Policy {response.headers.get('Referrer-Policy')}")
    if response.headers.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options {response.headers.get('X-Frame-Options')}")
    if visit.signed_in and "no-store" not in response.headers.get("Cache-Control", ""):
        problems.append(f"Cache-Control {response.headers.get('Cache-Control')} on a signed-in page")
    for cookie in response.headers.getlist("Set-Cookie"):
        attributes = {part.strip().split("=", 1)[0].lower() for part in cookie.split(";")[1:]}
        value = cookie.split(";", 1)[0]
        if "httponly" not in attributes or "samesite=lax" not in cookie.lower().replace(" ", ""):
            problems.append(f"cookie without HttpOnly and SameSite=Lax: {value.split('=', 1)[0]}")
    return problems


def test_every_page_sends_the_security_headers(site):
    problems = {}
    for visit in site.visits:
        found = header_problems(site.client(visit.login).get(visit.url), visit)
        if found:
            problems[f"{visit.name} {visit.url}"] = found

    assert problems == {}


def test_signing_in_sets_only_http_only_same_site_cookies_with_no_store(site):
    """The responses that set the session cookie (each sign-in, and the language switcher) pass the same checks."""
    from tests.helpers.pages import ROLES, sign_in_as

    for role, login in ROLES.items():
        client = site.app.test_client()
        client.get("/sign-in")
        response = client.submit("/language", {"lang": "en", "next": "/"}, page="/sign-in")
        assert header_problems(response, Visit("switch", None, "anonymous", ANONYMOUS, "", status=303)) == []
        if login.signed_in:
            sign_in_as(client, login)
            page = client.get("/staff/borrowers" if login.kind == "staff" else "/")
            assert "no-store" in page.headers.get("Cache-Control", ""), role


def test_no_page_has_inline_script_or_event_handlers(site):
    found = []
    for visit in site.visits:
        html = site.client(visit.login).get(visit.url).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html, re.I):
            if not re.search(r"\bsrc=", tag):
                found.append(f"{visit.name}: inline script {tag}")
        if re.search(r"<[^>]+\son[a-z]+\s*=", html, re.I):
            found.append(f"{visit.name}: inline event handler")
        if re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I):
            found.append(f"{visit.name}: javascript: URL")
        if re.search(r"\sstyle\s*=", html, re.I):
            found.append(f"{visit.name}: inline style attribute (the CSP blocks it)")

    assert found == []


def test_the_header_check_finds_a_missing_header(site):
    visit = next(v for v in site.visits if v.signed_in)
    response = site.client(visit.login).get(visit.url)
    del response.headers["X-Content-Type-Options"]
    response.headers["Cache-Control"] = "private"
    response.headers.add("Set-Cookie", "tracker=1; Path=/")

    assert header_problems(response, visit) == [
        "no nosniff",
        "Cache-Control private on a signed-in page",
        "cookie without HttpOnly and SameSite=Lax: tracker",
    ]
