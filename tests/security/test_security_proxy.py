"""Behind a reverse proxy the per-client limits count clients, not the proxy; without one, nobody can pose as
another client by sending X-Forwarded-For. ASVS 11.1.4 (anti-automation counted per client) and 14.5 (request
headers are not trusted blindly)."""

from __future__ import annotations

from flask import request

from portal import create_app
from tests.helpers.common import settings


def _address_seen(app) -> str:
    seen = {}

    @app.route("/_seen")
    def _seen():
        seen["address"] = request.remote_addr
        return ""

    app.test_client().get(
        "/_seen", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    return seen["address"]


def test_behind_one_proxy_the_client_is_the_forwarded_address(database_url):
    assert _address_seen(create_app(settings(database_url, PROXY_HOPS=1))) == "203.0.113.7"


def test_without_a_proxy_a_forwarded_header_is_ignored(database_url):
    assert _address_seen(create_app(settings(database_url))) == "10.0.0.9"
