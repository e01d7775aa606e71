"""Configuration: no production start without a secret key, DEBUG off, secure cookies and HSTS in production."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.config import DEV_SECRET, ConfigError
from tests.helpers.common import settings

PRODUCTION_SECRET = "production-secret-0123456789abcdef"
PRODUCTION_AUDIT_KEYS = "prod1:production-audit-key-0123456789"


def _production(database_url, **extra) -> dict:
    base = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": PRODUCTION_SECRET,
        "AUDIT_KEYS": PRODUCTION_AUDIT_KEYS,
        "AUDIT_CHECKPOINTS": None,  # none in the repository's instance/
        "DATABASE_URL": database_url,
    }
    base.update(extra)
    return base


@pytest.fixture
def production_app(database_url):
    application = create_app(_production(database_url))
    yield application
    application.extensions["db_engine"].dispose()


def test_production_refuses_to_start_without_a_secret_key(database_url, monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)

    with pytest.raises(ConfigError):
        create_app(_production(database_url, SECRET_KEY=None))
    with pytest.raises(ConfigError):
        create_app(_production(database_url, SECRET_KEY=""))


def test_production_refuses_the_development_secret(database_url):
    with pytest.raises(ConfigError):
        create_app(_production(database_url, SECRET_KEY=DEV_SECRET))


def test_production_is_the_default_environment(database_url, monkeypatch):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)

    with pytest.raises(ConfigError):
        create_app({"DATABASE_URL": database_url})


def test_the_secret_key_comes_from_the_environment(database_url, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", PRODUCTION_SECRET)
    monkeypatch.setenv("PORTAL_AUDIT_KEYS", PRODUCTION_AUDIT_KEYS)
    application = create_app({"PORTAL_ENV": "production", "DATABASE_URL": database_url})
    try:
        assert application.secret_key == PRODUCTION_SECRET
    finally:
        application.extensions["db_engine"].dispose()


def test_debug_is_off_in_production_and_in_tests(app, production_app):
    for application in (app, production_app):
        assert application.debug is False
        assert application.config["DEBUG"] is False


def test_production_cookies_are_secure_and_https_gets_hsts(production_app):
    assert production_app.config["SESSION_COOKIE_SECURE"] is True
    assert production_app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production_app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    client = production_app.test_client()

    response = client.get("/sign-in", base_url="https://localhost")

    assert response.status_code == 200
    hsts = response.headers.get("Strict-Transport-Security", "")
    assert "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 15552000
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("portal_session=")]
    assert cookies and all("Secure" in c.split("; ") for c in cookies)


def test_the_same_secret_makes_a_cookie_valid_on_every_worker(demo, database_url):
    from tests.helpers.common import Client, sign_in

    worker_a = create_app(settings(database_url))
    worker_b = create_app(settings(database_url))
    worker_a.test_client_class = worker_b.test_client_class = Client
    try:
        browser = worker_a.test_client()
        sign_in(browser)
        other = worker_b.test_client()
        other.set_cookie("portal_session", browser.get_cookie("portal_session").value)

        assert other.get("/").status_code == 200
    finally:
        worker_a.extensions["db_engine"].dispose()
        worker_b.extensions["db_engine"].dispose()


def test_maintenance_commands_run_without_a_secret_but_serving_does_not(monkeypatch):
    from portal import config

    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    monkeypatch.setattr("sys.argv", ["/usr/bin/flask", "--app", "app", "i18n", "check"])
    assert config.load({"PORTAL_ENV": "production"})["SECRET_KEY"]
    for argv in (["/usr/bin/flask", "--app", "app", "run"], ["/usr/bin/gunicorn", "app:app"]):
        monkeypatch.setattr("sys.argv", argv)
        with pytest.raises(config.ConfigError):
            config.load({"PORTAL_ENV": "production"})
