"""Lockout under four gunicorn workers: the count lives in the database, so four processes allow 5 tries, not 20.

A real `gunicorn -w 4` serves the app on a temporary SQLite database (WAL); 20 threads each post a wrong password
for the same account at once, then the right password is tried. Exactly 5 wrong attempts reach the password check
(the page answers 200 with the error); the other 15, and the right password after them, get 429 with Retry-After.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from portal import create_app, db
from portal.demo.world import build_demo
from portal.migrations import upgrade
from tests.helpers.common import BUSINESS_DATE, CSRF_RE, settings
from tests.helpers.security import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13800000003"
WRONG = "Wrong-Pass-Word-2026"
ATTEMPTS = 20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def gunicorn_portal(tmp_path):
    """The demo on a fresh SQLite file, served by `gunicorn -w 4`; its base URL. Skips if gunicorn cannot run."""
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or shutil.which("gunicorn")
    if gunicorn is None:
        pytest.skip("gunicorn is not installed")
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    app = create_app(settings(url))
    with app.app_context():
        build_demo(db.session, extra_borrowers=0)
        db.session.commit()
    app.extensions["db_engine"].dispose()

    port = _free_port()
    env = {
        **os.environ,
        "PORTAL_ENV": "testing",
        "PORTAL_SECRET_KEY": "gunicorn-test-secret-0123456789",
        "PORTAL_DATABASE_URL": url,
        "PORTAL_BUSINESS_DATE": BUSINESS_DATE.isoformat(),
        "PORTAL_SMS_SENDER": "memory",
    }
    log = open(tmp_path / "gunicorn.log", "w+")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [gunicorn, "-w", "4", "-b", f"127.0.0.1:{port}", "--timeout", "60", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.skip(f"gunicorn could not bind 127.0.0.1:{port}: {log.read()[-500:]}")
            time.sleep(0.2)
        time.sleep(1.0)  # let all four workers boot, so the attempts really spread over processes
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _attempt(base: str, password: str) -> tuple[int, str | None, str]:
    """One browser: open the sign-in page (cookie + CSRF token), post the phone and `password`."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    page = opener.open(f"{base}/sign-in", timeout=60).read().decode()
    token = CSRF_RE.search(page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "phone": PHONE, "password": password}).encode()
    try:
        response = opener.open(f"{base}/sign-in", data=body, timeout=60)
        return response.status, response.headers.get("Retry-After"), response.headers.get("X-Request-Id", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After"), error.headers.get("X-Request-Id", "")


def test_four_gunicorn_workers_allow_exactly_five_failures_then_429_even_for_the_right_password(
    gunicorn_portal,
):
    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        results = list(pool.map(lambda _n: _attempt(gunicorn_portal, WRONG), range(ATTEMPTS)))

    statuses = sorted(status for status, _retry, _rid in results)
    assert statuses.count(200) == 5, statuses  # wrong password, checked, error shown
    assert statuses.count(429) == ATTEMPTS - 5, statuses
    refused = [retry for status, retry, _rid in results if status == 429]
    assert all(re.fullmatch(r"\d+", retry or "") and 0 < int(retry) <= 900 for retry in refused), refused
    status, retry_after, _rid = _attempt(gunicorn_portal, PASSWORD)
    assert status == 429
    assert retry_after is not None and 0 < int(retry_after) <= 900
