"""The portal as each app server of `make resilience` serves it: the production configuration from the environment,
but plain HTTP between the clients and the proxy, so the session cookie cannot be marked Secure (in production the
proxy terminates TLS)."""

from __future__ import annotations

from portal import create_app

app = create_app({"SESSION_COOKIE_SECURE": False})
