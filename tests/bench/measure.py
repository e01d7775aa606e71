"""In-process measurements for `make bench`: SQL statements per page, page bytes (plain and gzip -6), quote time.

Pages are fetched with Flask's test client from an app bound to the benchmark's database; statements are counted
with a SQLAlchemy cursor event, after one warm-up request (first-use work such as loading translations is not
the page's own).
"""

from __future__ import annotations

import gzip
import re
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

REPOSITORY = Path(__file__).resolve().parents[2]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))  # the suite's shared helpers (tests.helpers)

from tests.helpers.common import counting_statements  # noqa: E402

PASSWORD = "Demo-pass-2026"  # the demo password, published in the README  # noqa: S105
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src)="(/static/[^"?]+)')
OPTION_KINDS = ("installment_plan", "extension", "grace", "seasonal")


def make_app(url: str, today: date):
    from portal import create_app

    return create_app(
        {
            "PORTAL_ENV": "testing",
            "SECRET_KEY": "bench-secret-key-0123456789",
            "DATABASE_URL": url,
            "BUSINESS_DATE": today,
            "SMS_SENDER": "memory",
            "SESSION_COOKIE_SECURE": False,
        }
    )


DEMO_TOTP_SECRET = "PORTALDEMOSTAFFTOTPSECRET2345672"
CODE_STEP = "/staff/sign-in/code"


def totp_code() -> str:
    """The code the demo staff's authenticator app shows now (every demo decider uses the README's secret)."""
    import pyotp

    return pyotp.TOTP(DEMO_TOTP_SECRET).now()


def sign_in(client, path: str, **fields) -> None:
    """Sign in through the real forms: the password, then for reviewers the second factor's code."""
    page = client.get(path).get_data(as_text=True)
    token = CSRF.search(page).group(1)
    response = client.post(path, data={**fields, "password": PASSWORD, "csrf_token": token})
    assert response.status_code in (302, 303), f"sign-in at {path} refused"
    if response.headers["Location"].endswith(CODE_STEP):
        page = client.get(CODE_STEP).get_data(as_text=True)
        response = client.post(
            CODE_STEP, data={"code": totp_code(), "csrf_token": CSRF.search(page).group(1)}
        )
        assert response.status_code in (302, 303), "second factor refused"


def count_statements(app, client, url: str, *, kept: bool = False) -> tuple[int, int]:
    """(SQL statements, status) of one GET; transaction control (SQLite's BEGIN) is not counted. The page is
    rendered from the database (no kept page, portal/web/page_cache.py) unless `kept`."""
    client.get(url)  # warm-up
    if not kept:
        app.extensions["page_cache"].clear()
    with counting_statements(app) as executed:
        response = client.get(url)
    return len(executed), response.status_code


def page_bytes(client, url: str) -> dict:
    """The page with its CSS and scripts: bytes uncompressed and as nginx would send them with gzip level 6."""
    response = client.get(url)
    html = response.get_data()
    body = html.decode()
    assets = sorted(set(ASSET.findall(body)))
    plain = len(html)
    zipped = len(gzip.compress(html, compresslevel=6))
    for asset in assets:
        data = client.get(asset).get_data()
        plain += len(data)
        zipped += len(gzip.compress(data, compresslevel=6))
    return {
        "status": response.status_code,
        "html": len(html),
        "total": plain,
        "gzip": zipped,
        "assets": assets,
    }


def borrower_pages(targets: dict) -> dict[str, str]:
    """Every borrower page of the 360-month loans (the largest a borrower can have)."""
    draft, offer, loan = targets["long_draft"], targets["long_offer"], targets["long_loan"]
    pages = {
        "dashboard": "/",
        "loan page (360 months)": f"/loans/{loan}",
        "schedule version": f"/loans/{loan}/schedules/1",
        "apply: hardship": f"/applications/{draft}/hardship",
        "apply: money": f"/applications/{draft}/money",
        "apply: evidence": f"/applications/{draft}/evidence",
        "apply: options": f"/applications/{draft}/options",
    }
    for kind in OPTION_KINDS:
        pages[f"apply: plan {kind}"] = f"/applications/{draft}/plan/{kind}"
        pages[f"apply: option {kind}"] = f"/applications/{draft}/options/{kind}"
    pages["apply: check"] = f"/applications/{draft}/check"
    pages["application"] = f"/applications/{offer}"
    pages["offer"] = f"/applications/{offer}/offer"
    return pages


def borrower_measures(app, targets: dict) -> dict:
    client = app.test_client()
    sign_in(client, "/sign-in", phone=targets["long_phone"])
    results = {}
    for name, url in borrower_pages(targets).items():
        statements, status = count_statements(app, client, url)
        results[name] = {"url": url, "statements": statements, **page_bytes(client, url)}
        results[name]["status"] = status
    return results


def reviewer_client(app):
    """reviewer1 signed in (password and code: one sign-in per 30-second step, so keep the client)."""
    client = app.test_client()
    sign_in(client, "/staff/sign-in", username="reviewer1")
    return client


def staff_statements(app, targets: dict, client=None) -> dict:
    client = client or reviewer_client(app)
    results = {}
    for name in ("queue_first", "queue_500", "case"):
        statements, status = count_statements(app, client, targets[name])
        results[name] = {"statements": statements, "status": status}
    statements, status = count_statements(app, client, targets["case"], kept=True)
    results["case_kept"] = {"statements": statements, "status": status}
    bench = app.test_client()
    sign_in(bench, "/sign-in", phone=targets["phone"])
    for name in ("dashboard", "loan", "options"):
        statements, status = count_statements(app, bench, targets[name])
        results[name] = {"statements": statements, "status": status}
    for name in ("dashboard", "loan"):
        statements, status = count_statements(app, bench, targets[name], kept=True)
        results[f"{name}_kept"] = {"statements": statements, "status": status}
    anonymous = app.test_client()
    statements, status = count_statements(app, anonymous, "/sign-in")
    results["sign_in"] = {"statements": statements, "status": status}
    return results


def quote_timing(app, targets: dict, today: date, repeat: int = 30) -> dict:
    """Milliseconds to quote every option (default terms) for the 360-month loan, facts gathered beforehand."""
    from portal import db
    from portal.applications import calculation
    from portal.applications.models import Application

    with app.app_context():
        application = db.session.scalar(
            select(Application).where(Application.reference == targets["long_draft"])
        )
        calc = calculation.calculator(db.session, application, today)
        calc.quote_all()  # warm-up
        times, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            quotes = calc.quote_all()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        started = time.perf_counter()
        calculation.calculator(db.session, application, today).quote_all()
        with_facts = (time.perf_counter() - started) * 1000
    return {
        "median_ms": round(statistics.median(times), 2),
        "cpu_median_ms": round(
            statistics.median(cpu), 2
        ),  # this process's CPU time: less hurt by a busy machine
        "max_ms": round(max(times), 2),
        "with_facts_ms": round(with_facts, 2),
        "options": len(quotes),
        "lines": max(len(q.schedule) for q in quotes),
    }
