"""The session cookie's attributes, no HSTS over plain HTTP, no inline script (every page: tests/sweeps/)."""

from __future__ import annotations

from tests.helpers.common import sign_in
from tests.helpers.security import COOKIE

# Every page of the catalog (tests/helpers/pages.py), for each role, is checked in
# tests/sweeps/test_sweeps_headers.py: the CSP, nosniff, Referrer-Policy, no-store when signed in, cookie flags,
# and no inline script or event handler.


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
