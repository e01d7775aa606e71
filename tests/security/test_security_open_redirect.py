"""Open redirect: `next` after sign-in only ever goes to a path on this site."""

from __future__ import annotations

import re

import pytest

from portal.auth.sessions import safe_next
from tests.helpers.security import HOSTILE_NEXT, PASSWORD, loan_number, location, sms_code, staff_sign_in

MORE_HOSTILE = [
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%252F%252Fevil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "http:/evil.example",
    "http:evil.example",
    "HTTPS://evil.example",
    " //evil.example",
    "\t//evil.example",
    "/\r\nSet-Cookie: x=1",
    "/%0d%0aSet-Cookie:%20x=1",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "/" + "a" * 2001,
    "",
    None,
]

GOOD = ["/", "/loans/DKCC11000001", "/loans/DKCC11000001?tab=schedule", "/sign-in/code"]


def _lands_on(response, path: str) -> bool:
    return response.status_code == 302 and location(response) in (("", path), ("localhost", path))


def test_sign_in_with_any_hostile_next_lands_on_the_dashboard(demo, app):
    wrong = {}
    for target in HOSTILE_NEXT:
        client = app.test_client()
        response = client.submit("/sign-in", {"phone": "13800000001", "password": PASSWORD, "next": target})
        if not _lands_on(response, "/") or "evil" in response.headers.get("Location", ""):
            wrong[target] = (response.status_code, response.headers.get("Location"))

    assert wrong == {}


def test_sms_code_sign_in_with_a_hostile_next_lands_on_the_dashboard(demo, app):
    wrong = {}
    # One borrower per target: a second code for the same number within a minute is not sent.
    for phone, target in zip(
        ("13800000001", "13800000002", "13800000003", "13800000004"), HOSTILE_NEXT, strict=False
    ):
        client = app.test_client()
        assert client.submit("/sign-in/code", {"phone": phone, "next": target}).status_code == 302
        response = client.submit("/sign-in/code/enter", {"code": sms_code(app), "next": target})
        if not _lands_on(response, "/"):
            wrong[target] = (response.status_code, response.headers.get("Location"))

    assert wrong == {}


def test_staff_sign_in_with_a_hostile_next_lands_on_the_staff_home(demo, app):
    wrong = {}
    for target in HOSTILE_NEXT:
        client = app.test_client()
        response = staff_sign_in(client, "reviewer1", next=target)
        if not _lands_on(response, "/staff/"):
            wrong[target] = (response.status_code, response.headers.get("Location"))

    assert wrong == {}


def test_a_next_on_this_site_is_honoured(demo, client):
    number = loan_number(demo, "13800000001")

    response = client.submit(
        "/sign-in", {"phone": "13800000001", "password": PASSWORD, "next": f"/loans/{number}"}
    )

    assert _lands_on(response, f"/loans/{number}")
    assert number in client.get(f"/loans/{number}").get_data(as_text=True)


def test_an_anonymous_visit_to_the_dashboard_comes_back_there_after_sign_in(demo, client):
    page = client.get("/")
    assert page.status_code == 302
    assert location(page)[1] == "/sign-in"
    form = client.get(page.headers["Location"]).get_data(as_text=True)
    sign_in_form = form[form.index('action="/sign-in"') :]
    hidden = re.search(r'<input[^>]*name="next"[^>]*>', sign_in_form)
    assert hidden and 'value="/"' in hidden.group(0)

    response = client.submit("/sign-in", {"phone": "13800000001", "password": PASSWORD, "next": "/"})

    assert _lands_on(response, "/")


@pytest.mark.parametrize("target", HOSTILE_NEXT + MORE_HOSTILE)
def test_safe_next_refuses_anything_but_a_path_on_this_site(target):
    assert safe_next(target, "/dashboard-default") == "/dashboard-default"


@pytest.mark.parametrize("target", GOOD)
def test_safe_next_keeps_a_path_on_this_site(target):
    assert safe_next(target, "/dashboard-default") == target
