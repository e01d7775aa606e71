"""CSRF: every route that takes a POST refuses it without a valid token (400) and changes nothing; no view is exempt.

(No GET writes: test_security_get_writes.py.)"""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from portal.people.models import Borrower
from tests.helpers.common import sign_in
from tests.helpers.security import PASSWORD, database, loan_number, row_counts, staff_sign_in

# Every field any form might have, so a route that forgot CSRF would have what it needs to act.
FORM = {
    "phone": "13800000001",
    "password": PASSWORD,
    "current_password": PASSWORD,
    "new_password": "kettle orbit marmalade 7",
    "confirm_password": "kettle orbit marmalade 7",
    "code": "123456",
    "username": "reviewer1",
    "lang": "en",
    "next": "/",
}


def _urls(app, method: str) -> list[str]:
    """One concrete URL per rule that answers `method` (id routes get a real loan number or 1)."""
    number = loan_number(app, "13800000001")
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if method not in rule.methods or rule.endpoint == "static":
                continue
            values = {
                name: 1 if isinstance(rule._converters[name], IntegerConverter) else number
                for name in rule.arguments
            }
            urls.append(url_for(rule.endpoint, **values))
    return sorted(urls)


def _borrower_state(app):
    with database(app) as session:
        row = session.scalars(select(Borrower).where(Borrower.phone == "13800000001")).one()
        return row.locale, row.session_version, row.password_hash


def test_the_app_has_the_expected_post_routes(demo):
    assert {
        "/sign-in",
        "/sign-in/code",
        "/sign-in/code/enter",
        "/staff/sign-in",
        "/sign-out",
        "/language",
    } <= set(_urls(demo, "POST"))


def test_every_post_without_a_token_is_refused_for_an_anonymous_visitor(demo, client):
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["otp_phone"] = "13800000001"  # so the code form would otherwise be reachable
    before = row_counts(demo)

    for url in _urls(demo, "POST"):
        response = client.post(url, data=FORM)
        assert response.status_code == 400, f"POST {url} without a token answered {response.status_code}"

    assert row_counts(demo) == before
    assert demo.extensions.get("outbox_sender") is None or demo.extensions["outbox_sender"].sent == []
    assert client.get("/").status_code == 302  # not signed in
    assert client.get("/staff/borrowers").status_code == 302


def test_every_post_without_a_token_is_refused_for_a_signed_in_borrower(demo, client):
    sign_in(client)
    before_counts = row_counts(demo)
    before_state = _borrower_state(demo)

    for url in _urls(demo, "POST"):
        response = client.post(url, data=FORM)
        assert response.status_code == 400, f"POST {url} without a token answered {response.status_code}"

    assert row_counts(demo) == before_counts
    assert _borrower_state(demo) == before_state  # language not switched, not signed out anywhere
    dashboard = client.get("/")
    assert dashboard.status_code == 200  # sign-out without a token kept the session
    assert '<html lang="zh-Hans"' in dashboard.get_data(as_text=True)


def test_every_post_without_a_token_is_refused_for_staff(demo, client):
    staff_sign_in(client, "reviewer1")
    before = row_counts(demo)

    for url in _urls(demo, "POST"):
        response = client.post(url, data=FORM)
        assert response.status_code == 400, f"POST {url} without a token answered {response.status_code}"

    assert row_counts(demo) == before
    assert client.get("/staff/borrowers").status_code == 200


def test_a_token_from_another_session_is_refused(demo, client, app):
    sign_in(client)
    attacker = app.test_client()
    foreign_token = attacker.csrf_token("/sign-in")

    response = client.post("/sign-out", data={"csrf_token": foreign_token})

    assert response.status_code == 400
    assert client.get("/").status_code == 200
    refused = app.test_client().post("/sign-in", data={**FORM, "csrf_token": foreign_token})
    assert refused.status_code == 400


def test_a_malformed_token_is_refused(demo, client):
    sign_in(client)

    for token in ("", "x", "IjAwMDAi.bad.signature", "a" * 500):
        assert client.post("/sign-out", data={"csrf_token": token}).status_code == 400
    assert client.get("/").status_code == 200


def test_no_view_or_blueprint_is_exempt_from_csrf(app):
    from portal import csrf

    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert app.config.get("WTF_CSRF_CHECK_DEFAULT", True) is True
    assert set(app.config.get("WTF_CSRF_METHODS", ["POST", "PUT", "PATCH", "DELETE"])) >= {
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
    }
    assert csrf._exempt_views == set()
    assert csrf._exempt_blueprints == set()


def test_every_unsafe_method_on_every_route_needs_a_token(demo, client):
    staff_sign_in(client, "reviewer1")
    before = row_counts(demo)
    wrong = []

    for url in _urls(demo, "POST"):
        for method in ("post", "put", "patch", "delete"):
            status = getattr(client, method)(url, data=FORM).status_code
            if status not in (400, 405):
                wrong.append(f"{method.upper()} {url}: {status}")

    assert wrong == []
    assert row_counts(demo) == before
