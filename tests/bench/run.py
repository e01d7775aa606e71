"""`make bench`: generate the data set on PostgreSQL and SQLite, serve it with gunicorn, drive it with locust,
measure what the load test cannot see, and write the table (test-artifacts/bench/ and README.md).

Settings (environment): BENCH_SCALE (1.0 = 100,000 borrowers, 120,000 loans, 100,000 open applications),
BENCH_SECONDS per page and database (15), BENCH_USERS (20), BENCH_POSTGRES_URL (the test_bench database),
BENCH_DATABASES ("postgresql,sqlite"), BENCH_README (1: rewrite the README's table).
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import bulk  # noqa: E402
import measure  # noqa: E402

OUT = ROOT / "test-artifacts" / "bench"
BIN = Path(sys.executable).parent
TODAY = date(2026, 11, 29)
PAGES = ("baseline", "sign_in", "dashboard", "loan", "options", "queue_first", "queue_500", "case")
PAGE_NAMES = {
    "baseline": "baseline (minimal route)",
    "sign_in": "sign-in page",
    "dashboard": "borrower dashboard",
    "loan": "loan page",
    "options": "options page",
    "queue_first": "queue, first page",
    "queue_500": "queue, page 500",
    "case": "case page",
    # The kept pages again on a server that keeps no rendered pages (PORTAL_PAGE_CACHE_SIZE=0): every view reads
    # the ledger and renders, as the first view after a payment or a decision does.
    "dashboard_rendered": "borrower dashboard, nothing kept",
    "loan_rendered": "loan page, nothing kept",
    "case_rendered": "case page, nothing kept",
    "dashboard_kept": "borrower dashboard, kept page",
    "loan_kept": "loan page, kept page",
    "case_kept": "case page, kept page",
}
KEPT = ("dashboard", "loan", "case")  # pages served from portal/web/page_cache.py when nothing changed
# A page under load is a kept page; with nothing kept it is the full read: whose statement count each row shows.
COUNTED = {
    **{page: f"{page}_kept" for page in KEPT},
    **{f"{page}_rendered": page for page in KEPT},
}
# One key for every server of the run, so a session signed in on one is good on the next.
SECRET_KEY = secrets.token_urlsafe(48)
MARK_START, MARK_END = "<!-- bench:start -->", "<!-- bench:end -->"
LIMITS = {
    "statements": 10,
    "page_kb": 50,
    "slow3g_s": 2.0,
    "quote_ms": 10,
    "queue_p95_ms": 150,
    "dashboard_ratio": 35,
    "loan_ratio": 20,
    "case_ratio": 15,
}


def log(message: str) -> None:
    print(message, flush=True)


def database_urls() -> dict[str, str]:
    wanted = os.environ.get("BENCH_DATABASES", "postgresql,sqlite").split(",")
    urls = {
        "postgresql": os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench"
        ),
        "sqlite": f"sqlite:///{OUT / 'bench.sqlite3'}",
    }
    return {name: urls[name] for name in wanted if name in urls}


# --- what the run needs to know about the data --------------------------------------------------------------


def find_targets(url: str, generated: dict) -> dict:
    """URLs and markers: queue page 500's cursor, a case in the middle of the queue, the bench people's pages."""
    from sqlalchemy import select

    from portal import db
    from portal.applications import queue
    from portal.applications.models import Application
    from portal.loans.models import Loan

    app = measure.make_app(url, TODAY)
    with app.app_context():
        open_rows = select(Application).where(Application.status.in_(queue.QUEUE_STATUSES))
        from sqlalchemy import func

        total = db.session.scalar(
            select(func.count(Application.id)).where(Application.status.in_(queue.QUEUE_STATUSES))
        )
        page = max(1, min(500, total // queue.PAGE_SIZE))
        before = db.session.scalars(
            open_rows.order_by(Application.decision_due, Application.id)
            .offset((page - 1) * queue.PAGE_SIZE - 1)
            .limit(1)
        ).first()
        case = db.session.scalars(
            select(Application)
            .where(Application.status == "submitted")
            .order_by(Application.id)
            .offset(total // 2)
            .limit(1)
        ).first()
        long_loan = db.session.scalar(select(Loan.number).where(Loan.number == "BENCH0000360"))
        bench_loan = db.session.scalar(select(Loan.number).where(Loan.number == "BENCH0000001"))
    app.extensions["db_engine"].dispose()
    after = queue.encode_cursor("sla", before) if page > 1 else ""
    return {
        "open_applications": total,
        "queue_page": page,
        "queue_first": "/staff/queue",
        "queue_500": f"/staff/queue?after={urllib.request.quote(after)}" if after else "/staff/queue",
        "case": f"/staff/cases/{case.reference}",
        "case_marker": case.reference,
        "phone": bulk.BENCH_PHONE,
        "loan_number": bench_loan,
        "dashboard": "/",
        "loan": f"/loans/{bench_loan}",
        "options": f"/applications/{generated['draft']}/options",
        "long_phone": bulk.LONG_PHONE,
        "long_loan": long_loan,
        "long_draft": generated["long_draft"],
        "long_offer": generated["long_offer"],
    }


# --- serving and loading ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, port: int, **settings: str) -> subprocess.Popen:
    env = {
        **os.environ,
        **settings,
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": SECRET_KEY,
        "PORTAL_AUDIT_KEYS": "bench:" + SECRET_KEY,
        "PORTAL_AUDIT_CHECKPOINTS": str(
            OUT / "audit-checkpoints.jsonl"
        ),  # written as in production, kept apart
        "PORTAL_DATABASE_URL": url,
        "PORTAL_BUSINESS_DATE": TODAY.isoformat(),
        "PORTAL_SMS_SENDER": "masked-log",
    }
    process = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "--workers",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--pythonpath",
            str(HERE),
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(OUT / "gunicorn.log", "a"),
        stderr=subprocess.STDOUT,  # noqa: SIM115
        start_new_session=True,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/baseline", timeout=1).read()  # noqa: S310
            return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not start: see test-artifacts/bench/gunicorn.log")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def session_cookie(port: int, path: str, fields: dict) -> str:
    """Sign in through the real form once; returns the session cookie ("name=value")."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(base + path).read().decode()
    token = measure.CSRF.search(page).group(1)
    data = urllib.parse.urlencode({**fields, "password": measure.PASSWORD, "csrf_token": token}).encode()
    answer = opener.open(base + path, data=data)
    answer.read()
    if answer.geturl().endswith(measure.CODE_STEP):  # a reviewer: the second factor's code
        # A code is good once: the statement counts signed reviewer1 in moments ago, so wait for a fresh step.
        time.sleep(30 - time.time() % 30 + 1)
        page = opener.open(base + measure.CODE_STEP).read().decode()
        token = measure.CSRF.search(page).group(1)
        code = urllib.parse.urlencode({"code": measure.totp_code(), "csrf_token": token}).encode()
        opener.open(base + measure.CODE_STEP, data=code).read()
    cookies = [f"{c.name}={c.value}" for c in jar if c.name == "portal_session"]
    if not cookies:
        raise SystemExit(f"signing in at {path} failed")
    return cookies[0]


def run_locust(page: str, port: int, targets: dict, seconds: int, users: int, prefix: Path) -> dict:
    env = {**os.environ, "BENCH_PAGE": page, "BENCH_TARGETS": json.dumps(targets)}
    subprocess.run(  # noqa: S603
        [
            str(BIN / "locust"),
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "5",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=open(OUT / "locust.log", "a"),  # noqa: SIM115
    )
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    row = rows.get(page)
    setup_failures = sum(int(r["Failure Count"]) for name, r in rows.items() if name.startswith("setup:"))
    if row is None:
        return {
            "rps": 0.0,
            "p50": None,
            "p95": None,
            "p99": None,
            "requests": 0,
            "errors": setup_failures or -1,
        }
    return {
        "rps": round(float(row["Requests/s"]), 1),
        "p50": int(float(row["50%"])),
        "p95": int(float(row["95%"])),
        "p99": int(float(row["99%"])),
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]) + setup_failures,
    }


def log_load(page: str, r: dict) -> None:
    log(
        f"  {PAGE_NAMES[page]}: {r['rps']} req/s, p50 {r['p50']} p95 {r['p95']} p99 {r['p99']} ms, "
        f"errors {r['errors']}"
    )


def slow_3g(port: int, phone: str) -> dict:
    """First load of the signed-in dashboard in Chromium at 400 kbit/s and 400 ms round trip, cache empty."""
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(base + "/sign-in")
        page.fill('input[name="phone"]', phone)
        page.fill('input[name="password"]', measure.PASSWORD)
        page.click('form button[type="submit"], form .button')
        page.wait_for_load_state("load")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": 400,
                "downloadThroughput": 400_000 / 8,
                "uploadThroughput": 400_000 / 8,
            },
        )
        page.goto(base + "/", wait_until="load")
        timing = page.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0];"
            " return {load: n.loadEventEnd, bytes: n.transferSize, url: location.pathname}; })()"
        )
        resources = page.evaluate("performance.getEntriesByType('resource').length")
        browser.close()
    return {
        "load_s": round(timing["load"] / 1000, 2),
        "document_bytes": timing["bytes"],
        "resources": resources,
        "url": timing["url"],
    }


# --- the table -------------------------------------------------------------------------------------------------


def write_table(results: dict) -> str:
    lines = []
    meta = results["meta"]
    lines.append(
        f"Run {meta['finished']} on {meta['cpus']} CPUs, scale {meta['scale']} "
        f"({meta['borrowers']:,} borrowers, {meta['loans']:,} loans, {meta['open_applications']:,} open applications), "
        f"{meta['users']} concurrent users per page, {meta['seconds']} s per page, gunicorn 4 workers, "
        f"locust {meta['locust']}; whole run {meta['minutes']} min."
    )
    lines.append("")
    for name, db_results in results["load"].items():
        baseline = db_results["baseline"]["rps"] or 1
        lines.append(f"**{name}**")
        lines.append("")
        lines.append("| page | req/s | p50 ms | p95 ms | p99 ms | errors | % of baseline | SQL statements |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for page in [*PAGES, *(f"{kept}_rendered" for kept in KEPT)]:
            r = db_results.get(page)
            if r is None:
                continue
            counted = COUNTED.get(page, page)
            statements = results["statements"].get(name, {}).get(counted, {}).get("statements", "")
            lines.append(
                f"| {PAGE_NAMES[page]} | {r['rps']:.0f} | {r['p50']} | {r['p95']} | {r['p99']} | {r['errors']} | "
                f"{100 * r['rps'] / baseline:.0f} % | {statements} |"
            )
        lines.append("")
    small = results.get("statements_small", {})
    if small:
        # The small set is on SQLite: compare it with SQLite at full size (PostgreSQL adds the audit trail's lock).
        full = results["statements"].get("SQLite", {})
        same = all(small[page]["statements"] == full[page]["statements"] for page in small) if full else None
        lines.append(
            f"SQL statements at {results['meta']['small_borrowers']:,} borrowers: "
            + ", ".join(f"{PAGE_NAMES[p]} {v['statements']}" for p, v in small.items())
            + {True: " — the same as at full size.", False: " — **differs from full size**.", None: "."}[same]
        )
        lines.append("")
    lines.append("Borrower pages of a 360-month loan, with portal.css and scripts:")
    lines.append("")
    lines.append("| page | HTML bytes | with CSS and scripts | gzip -6 | SQL statements |")
    lines.append("|---|---:|---:|---:|---:|")
    for page, r in results["bytes"].items():
        if r["status"] != 200:
            lines.append(f"| {page} | (answers {r['status']}) | | | {r['statements']} |")
            continue
        lines.append(f"| {page} | {r['html']:,} | {r['total']:,} | {r['gzip']:,} | {r['statements']} |")
    lines.append("")
    q = results["quote"]
    s3 = results.get("slow3g", {})
    lines.append(
        f"Quoting all {q['options']} options for the 360-month loan (rural, disaster declared: every plan open): "
        f"median {q['median_ms']} ms ({q.get('cpu_median_ms', '?')} ms of CPU), "
        f"slowest {q['max_ms']} ms ({q['with_facts_ms']} ms with reading the loan's facts from the database)."
    )
    if s3:
        lines.append(
            f"Dashboard, first load in Chromium at 400 kbit/s and 400 ms round trip, cache empty: {s3['load_s']} s "
            f"({s3['resources']} resources besides the page)."
        )
    lines.append("")
    lines.append("Targets: " + ", ".join(f"{c}" for c in results["checks"]) + ".")
    return "\n".join(lines)


def checks(results: dict) -> list[str]:
    out = []
    for name, db_results in results["load"].items():
        errors = sum(r["errors"] for r in db_results.values())
        out.append(f"{name} errors under load {errors} {'✓' if errors == 0 else '✗'}")
        for page, limit in (("dashboard", "dashboard_ratio"), ("loan", "loan_ratio"), ("case", "case_ratio")):
            if page not in db_results:
                continue
            ratio = 100 * db_results[page]["rps"] / (db_results["baseline"]["rps"] or 1)
            out.append(
                f"{name} {PAGE_NAMES[page]} {ratio:.0f} % of baseline {'✓' if ratio >= LIMITS[limit] else '✗'}"
            )
        if name == "PostgreSQL":
            worst = max(db_results["queue_first"]["p95"] or 0, db_results["queue_500"]["p95"] or 0)
            out.append(f"queue p95 {worst} ms {'✓' if worst < LIMITS['queue_p95_ms'] else '✗'}")
    most = max(
        [v["statements"] for d in results["statements"].values() for v in d.values()]
        + [v["statements"] for v in results["bytes"].values()]
    )
    out.append(f"at most {most} SQL statements a page {'✓' if most <= LIMITS['statements'] else '✗'}")
    biggest = max(v["total"] for v in results["bytes"].values() if v["status"] == 200)
    out.append(
        f"largest borrower page {biggest / 1000:.1f} KB {'✓' if biggest < LIMITS['page_kb'] * 1000 else '✗'}"
    )
    q = results["quote"]["median_ms"]
    out.append(f"quote all options {q} ms {'✓' if q < LIMITS['quote_ms'] else '✗'}")
    if results.get("slow3g"):
        s = results["slow3g"]["load_s"]
        out.append(f"slow 3G dashboard {s} s {'✓' if s < LIMITS['slow3g_s'] else '✗'}")
    return out


def update_readme(table: str) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(MARK_START), text.find(MARK_END)
    if start < 0 or end < start:
        log("README.md has no bench markers; table left in test-artifacts/bench/results.md")
        return
    readme.write_text(text[: start + len(MARK_START)] + "\n" + table + "\n" + text[end:], encoding="utf-8")


# --- the run ---------------------------------------------------------------------------------------------------


def main() -> None:
    started = time.perf_counter()
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    seconds = int(os.environ.get("BENCH_SECONDS", "15"))
    users = int(os.environ.get("BENCH_USERS", "20"))
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in OUT.glob("locust-*"):
        stale.unlink()
    borrowers, loans, applications = bulk.counts(scale)
    results: dict = {"load": {}, "statements": {}, "meta": {}}
    names = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}

    # SQL statements at a small size, to compare with the full size.
    small_url = f"sqlite:///{OUT / 'bench-small.sqlite3'}"
    log("Small data set (SQLite, scale 0.01) for the statement counts")
    small = bulk.generate(small_url, 0.01, TODAY, log=log)
    small_targets = find_targets(small_url, small)
    app = measure.make_app(small_url, TODAY)
    results["statements_small"] = measure.staff_statements(app, small_targets)
    app.extensions["db_engine"].dispose()

    for key, url in database_urls().items():
        name = names[key]
        log(
            f"{name}: generating scale {scale} ({borrowers:,} borrowers, {loans:,} loans, {applications:,} open)"
        )
        generated = bulk.generate(url, scale, TODAY, log=log)
        targets = find_targets(url, generated)
        log(f"  {targets['open_applications']:,} open applications; queue page {targets['queue_page']}")
        app = measure.make_app(url, TODAY)
        results["statements"][name] = measure.staff_statements(app, targets)
        if "bytes" not in results:
            log("  page bytes and statements of the borrower pages; quote timing")
            results["bytes"] = measure.borrower_measures(app, targets)
            results["quote"] = measure.quote_timing(app, targets, TODAY)
        app.extensions["db_engine"].dispose()
        results["meta"]["open_applications"] = targets["open_applications"]

        port = free_port()
        server = start_gunicorn(url, port)
        try:
            targets["cookies"] = {
                "borrower": session_cookie(port, "/sign-in", {"phone": bulk.BENCH_PHONE}),
                "reviewer": session_cookie(port, "/staff/sign-in", {"username": "reviewer1"}),
            }
            results["load"][name] = {}
            for page in PAGES:
                results["load"][name][page] = r = run_locust(
                    page, port, targets, seconds, users, OUT / f"locust-{key}-{page}"
                )
                log_load(page, r)
            if "slow3g" not in results:
                results["slow3g"] = slow_3g(port, bulk.BENCH_PHONE)
                log(f"  slow 3G dashboard: {results['slow3g']}")
        finally:
            stop(server)
        server = start_gunicorn(url, port, PORTAL_PAGE_CACHE_SIZE="0")
        try:
            for page in KEPT:  # the same sessions: every server of the run signs with one key
                results["load"][name][f"{page}_rendered"] = r = run_locust(
                    page, port, targets, seconds, users, OUT / f"locust-{key}-{page}-rendered"
                )
                log_load(f"{page}_rendered", r)
        finally:
            stop(server)

    import locust

    results["meta"].update(
        {
            "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "cpus": os.cpu_count(),
            "scale": scale,
            "borrowers": borrowers,
            "loans": loans,
            "small_borrowers": bulk.counts(0.01)[0],
            "users": users,
            "seconds": seconds,
            "locust": locust.__version__,
            "minutes": round((time.perf_counter() - started) / 60, 1),
        }
    )
    results["checks"] = checks(results)
    table = write_table(results)
    (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    (OUT / "results.md").write_text(table + "\n", encoding="utf-8")
    if os.environ.get("BENCH_README", "1") == "1":
        update_readme(table)
    log("")
    log(table)
    shutil.rmtree(OUT / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()
