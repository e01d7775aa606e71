"""Configuration: the only module that reads the environment.

Every setting has a name, a default for local development and, where it matters, a check that refuses to start
an unsafe production configuration.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ENV_PREFIX = "PORTAL_"
DEV_SECRET = "dev-only-secret-key-not-for-production"  # refused outside development below  # noqa: S105  # nosec B105
# The audit trail's development key (id "dev"); refused in production like DEV_SECRET.
DEV_AUDIT_KEYS = "dev:dev-only-audit-key-not-for-production"  # noqa: S105  # nosec B105
AUDIT_KEY_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,16}")
MIN_AUDIT_KEY_LENGTH = 16


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe or malformed."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else default


def _business_date(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigError(f"PORTAL_BUSINESS_DATE must be YYYY-MM-DD, got {raw!r}") from exc


def load(overrides: dict | None = None) -> dict:
    """Build the Flask configuration from the environment, then apply `overrides` (tests pass a dict)."""
    overrides = dict(overrides or {})
    env = overrides.pop("PORTAL_ENV", None) or _env("ENV", "production")
    development = env in ("development", "testing")
    default_db = "sqlite:///" + str(ROOT / "instance" / "portal.sqlite3")
    config = {
        "PORTAL_ENV": env,
        "DEBUG": False,
        "TESTING": env == "testing",
        "SECRET_KEY": _env("SECRET_KEY", DEV_SECRET if development else None),
        "DATABASE_URL": _env("DATABASE_URL", default_db),
        "BUSINESS_DATE": _business_date(_env("BUSINESS_DATE")),
        "TIMEZONE": _env("TIMEZONE", "Asia/Shanghai"),
        # `log` writes whole messages (codes included) to the log: development only. Production without a
        # gateway configured logs messages with every code masked.
        "SMS_SENDER": _env("SMS_SENDER", "log" if development else "masked-log"),
        "PREFERRED_URL_SCHEME": "http" if development else "https",
        # Sessions: a signed cookie, checked against a server-side session version on each request.
        "SESSION_COOKIE_NAME": "portal_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not development,
        "IDLE_TIMEOUT": timedelta(minutes=30),
        "ABSOLUTE_TIMEOUT": timedelta(hours=12),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # The cookie is written when the session changes (the idle clock moves once a minute), not on every page.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Sign-in throttling (SECURITY.md): 5 failures in 15 minutes lock the account for the rest of the window
        # (passwords and codes are counted apart: guessing one does not lock the other).
        "LOCKOUT_FAILURES": 5,
        "LOCKOUT_WINDOW": timedelta(minutes=15),
        # Password checks from one client (IP address), whatever the account: counted before any hashing.
        "SIGN_IN_CLIENT_LIMITS": ((timedelta(minutes=5), 30),),
        # Text-message codes (sign-in and accepting an offer), as (window, most allowed) pairs: to one phone, from
        # one client (IP address) and in all. A client or global limit reached raises an alarm in the log.
        "SMS_CODE_LIMITS": {
            "phone": ((timedelta(minutes=1), 1), (timedelta(hours=1), 5), (timedelta(days=1), 10)),
            "client": ((timedelta(hours=1), 10), (timedelta(days=1), 30)),
            "all": ((timedelta(hours=1), 500),),
        },
        "OTP_TTL": timedelta(minutes=5),
        "OTP_MAX_TRIES": 5,
        # An evidence file may be 10 MB; the form around it adds a little. The file limit itself is checked exactly.
        "MAX_CONTENT_LENGTH": 10 * 1024 * 1024 + 256 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session, which has its own timeouts
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "LANGUAGES": ("zh_Hans", "zh_Hant", "en"),
        # Rendered dashboards kept per worker (portal/web/page_cache.py): how many, and for how long at most. 0 keeps none.
        "PAGE_CACHE_SIZE": int(_env("PAGE_CACHE_SIZE", "512")),
        "PAGE_CACHE_SECONDS": 60,
        # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (nginx, haproxy): the client's
        # address is read that many hops back, so the per-client limits count clients, not the proxy. 0 trusts none.
        "PROXY_HOPS": int(_env("PROXY_HOPS", "0")),
        "INSTITUTION_PHONE": _env("INSTITUTION_PHONE", "400-800-9600"),
        "BANK_ACCOUNT": _env("BANK_ACCOUNT", "6228 4801 2345 6789 012"),
        # The audit trail's keys, "id:secret,id:secret": the first seals new rows, the others only verify older ones
        # (rotation, README). Never stored in the database.
        "AUDIT_KEYS": _env("AUDIT_KEYS", DEV_AUDIT_KEYS if development else None),
        # The append-only file of the trail's checkpoints (row count and head, sealed with the key). Tests keep
        # none unless they set one.
        "AUDIT_CHECKPOINTS": _env(
            "AUDIT_CHECKPOINTS",
            None if env == "testing" else str(ROOT / "instance" / "audit-checkpoints.jsonl"),
        ),
    }
    config.update(overrides)
    _audit_keys(config)
    if not config["SECRET_KEY"]:
        if not _maintenance_command():
            raise ConfigError(
                "PORTAL_SECRET_KEY must be set outside development (set PORTAL_ENV=development to try it)"
            )
        # `flask i18n check`, `flask db upgrade`...: nothing is signed, so a throw-away key is enough.
        config["SECRET_KEY"] = secrets.token_urlsafe(32)
    if config["PORTAL_ENV"] == "production" and config["SECRET_KEY"] == DEV_SECRET:
        raise ConfigError("the development secret key cannot be used in production")
    return config


def _audit_keys(config: dict) -> None:
    """Parse AUDIT_KEYS into {id: key bytes} and AUDIT_KEY_ID (the first id, which seals new rows)."""
    raw = config["AUDIT_KEYS"]
    if isinstance(raw, dict):  # already parsed (an app made from another's configuration)
        return
    if not raw:
        if not _maintenance_command():
            raise ConfigError("PORTAL_AUDIT_KEYS must be set outside development (id:secret, README)")
        # `flask i18n check` and the like touch no audit row; a command that does is refused by the trail itself.
        config["AUDIT_KEYS"], config["AUDIT_KEY_ID"] = {}, None
        return
    keys: dict[str, bytes] = {}
    for item in raw.split(","):
        key_id, _, secret = item.strip().partition(":")
        if not AUDIT_KEY_ID_RE.fullmatch(key_id) or key_id in keys:
            raise ConfigError(
                f"PORTAL_AUDIT_KEYS: key ids are 1-16 letters, digits, _ . - and unique: {key_id!r}"
            )
        if len(secret) < MIN_AUDIT_KEY_LENGTH:
            raise ConfigError(f"PORTAL_AUDIT_KEYS: the key {key_id!r} is shorter than {MIN_AUDIT_KEY_LENGTH}")
        keys[key_id] = secret.encode()
    if config["PORTAL_ENV"] == "production" and raw == DEV_AUDIT_KEYS:
        raise ConfigError("the development audit key cannot be used in production")
    config["AUDIT_KEYS"], config["AUDIT_KEY_ID"] = keys, next(iter(keys))


MAINTENANCE_COMMANDS = ("i18n", "db", "audit", "notify", "daily", "demo", "routes")


def _maintenance_command() -> bool:
    """True when this process is a `flask <command>` that serves no requests (never for gunicorn or `flask run`)."""
    if not sys.argv or os.path.basename(sys.argv[0]) != "flask":
        return False
    words, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False  # the value of `--app app` and the like
        elif arg in ("--app", "-A", "--env-file", "-e"):
            skip = True
        elif not arg.startswith("-"):
            words.append(arg)
    return bool(words) and words[0] in MAINTENANCE_COMMANDS
