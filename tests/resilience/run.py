"""`make resilience`: borrowers apply and reviewers decide through a proxy in front of two app servers while one
server is killed (SIGKILL) and PostgreSQL restarts; then the run proves that nothing was lost, duplicated or
decided twice, that every person got an answer or a clear retryable error, and that the audit trail verifies.
Prints the figures; exits 1 when any proof fails. Not part of `make test` (README "Resilience").

Needs root (network namespaces), haproxy (the Makefile installs it) and the local PostgreSQL at 127.0.0.1:5432,
which it restarts once: a test run on it at that moment sees its connections cut.

Settings (environment): RESILIENCE_DATABASE (resilience_run, dropped and made again), RESILIENCE_SECONDS (60: how
long new borrowers keep starting), RESILIENCE_BORROWERS (6 at a time), RESILIENCE_KILL_AT (3 s into the load),
RESILIENCE_REVIVE_AT (7), RESILIENCE_RESTART_DB_AT (10: while borrowers are still applying).
"""

from __future__ import annotations

import os
import queue
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import actors  # noqa: E402
import proofs  # noqa: E402
from stage import BIN, SERVERS, Stage, audit_settings, tools_missing  # noqa: E402

OUT = ROOT / "test-artifacts" / "resilience"
DATABASE = os.environ.get("RESILIENCE_DATABASE", "resilience_run")
SECONDS = int(os.environ.get("RESILIENCE_SECONDS", "60"))
BORROWERS = int(os.environ.get("RESILIENCE_BORROWERS", "6"))
KILL_AT = float(os.environ.get("RESILIENCE_KILL_AT", "3"))
REVIVE_AT = float(os.environ.get("RESILIENCE_REVIVE_AT", "7"))
RESTART_DB_AT = float(os.environ.get("RESILIENCE_RESTART_DB_AT", "10"))
REVIEWERS = (("reviewer1", "approve"), ("reviewer2", "reject"), ("senior1", "approve"))
FINISH_WITHIN = 300  # seconds after the load ends for every person to be done: longer is a hang


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def flask(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "PORTAL_DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
        **audit_settings(OUT),
    }
    return subprocess.run(
        [str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def prepare_database(url: str) -> None:
    """A new database with the demo: its borrowers and reviewers are the run's people."""
    for statement in (f"drop database if exists {DATABASE} with (force)", f"create database {DATABASE}"):
        subprocess.run(
            ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-c", statement],
            check=True,
            capture_output=True,
        )
    for step in (("db", "upgrade"), ("demo",)):
        done = flask(*step, url=url)
        if done.returncode != 0:
            raise SystemExit(f"flask {' '.join(step)} failed:\n{done.stdout}{done.stderr}")


class Run:
    """The people, the faults on their timeline, and what each person was told."""

    def __init__(self, base: str, stage: Stage, candidates: list[tuple[str, str, str]]):
        self.base = base
        self.stage = stage
        self.tally = actors.Tally()
        self.candidates: queue.Queue = queue.Queue()
        for candidate in candidates:
            self.candidates.put(candidate)
        self.to_decide: queue.Queue = queue.Queue()
        self.sent: dict[
            str, tuple[str, str]
        ] = {}  # reference -> (phone, loan) the borrower was told was sent
        self.decided: dict[str, tuple[str, str]] = {}  # reference -> (reviewer, status the page showed)
        self.events: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self.load_ends = 0.0
        self.borrowers_done = threading.Event()

    def borrower(self, number: int) -> None:
        while time.monotonic() < self.load_ends:
            try:
                phone, variant, loan = self.candidates.get_nowait()
            except queue.Empty:
                return
            person = actors.Person(self.base, self.tally, f"borrower {phone}")
            reference = actors.apply(person, phone, variant, loan)
            if reference is not None:
                with self.lock:
                    self.sent[reference] = (phone, loan)
                self.to_decide.put(reference)

    def reviewer(self, person: actors.Person, username: str, action: str) -> None:
        while True:
            try:
                reference = self.to_decide.get(timeout=0.5)
            except queue.Empty:
                if self.borrowers_done.is_set() and self.to_decide.empty():
                    return
                continue
            status = actors.decide(person, reference, action)
            if status is not None:
                with self.lock:
                    self.decided[reference] = (username, status)

    def note(self, started: float, what: str) -> None:
        self.events.append((time.monotonic() - started, what))
        log(f"  {time.monotonic() - started:5.1f} s  {what}")

    def go(self) -> float:
        reviewers = []
        for username, action in REVIEWERS:
            person = actors.Person(self.base, self.tally, username)
            if not actors.staff_sign_in(person, username):
                raise SystemExit(f"{username} could not sign in before the faults: {self.tally.failures}")
            reviewers.append(
                threading.Thread(target=self.reviewer, args=(person, username, action), daemon=True)
            )
        started = time.monotonic()
        self.load_ends = started + SECONDS
        borrowers = [threading.Thread(target=self.borrower, args=(n,), daemon=True) for n in range(BORROWERS)]
        for thread in borrowers + reviewers:
            thread.start()
        self.note(started, f"load: {BORROWERS} borrowers at a time, {len(REVIEWERS)} reviewers")
        victim = SERVERS[0]
        for at, what, act in (
            (
                KILL_AT,
                f"SIGKILL app server {victim.name} (master and workers)",
                lambda: self.stage.kill_server(victim),
            ),
            (REVIVE_AT, f"app server {victim.name} started again", lambda: self.stage.start_server(victim)),
            (RESTART_DB_AT, "PostgreSQL restart (pg_ctlcluster restart -m fast)", self.restart_db),
        ):
            time.sleep(max(0.0, started + at - time.monotonic()))
            act()
            self.note(started, what)
        for thread in borrowers:
            thread.join(timeout=max(1.0, self.load_ends + FINISH_WITHIN - time.monotonic()))
        self.borrowers_done.set()
        for thread in reviewers:
            thread.join(timeout=max(1.0, self.load_ends + FINISH_WITHIN - time.monotonic()))
        stuck = sum(thread.is_alive() for thread in borrowers + reviewers)
        if stuck:
            self.tally.fail("run", f"{stuck} people still waiting {FINISH_WITHIN} s after the load ended")
        self.note(started, "everyone done")
        return time.monotonic() - started

    def restart_db(self) -> None:
        self.db_away = self.stage.restart_postgres()


def candidates(url: str) -> list[tuple[str, str, str]]:
    """(phone, variant, loan) of every demo borrower whose first active loan can be given an installment plan."""
    from decimal import Decimal

    from sqlalchemy import select

    from portal import create_app, db, policies
    from portal.applications.calculation import loan_facts
    from portal.clock import business_date
    from portal.domain.options import Terms
    from portal.domain.options.quote import quote
    from portal.loans.models import Loan
    from portal.people.models import Borrower

    app = create_app({"DATABASE_URL": url, "PORTAL_ENV": "development"})
    found = []
    with app.app_context():
        for borrower in db.session.scalars(select(Borrower).order_by(Borrower.phone)):
            loan = db.session.scalars(
                select(Loan).where(Loan.borrower_id == borrower.id, Loan.status == "active").order_by(Loan.id)
            ).first()
            if loan is None:
                continue
            policy = policies.current(db.session, borrower.variant)[1]
            facts = loan_facts(db.session, loan, business_date())
            if quote(
                "installment_plan", facts, policy, Terms(months=12, pay_day=10), Decimal("1234.50")
            ).available:
                found.append((borrower.phone, borrower.variant, loan.number))
    app.extensions["db_engine"].dispose()
    return found


def main() -> int:
    missing = tools_missing()
    if missing or os.geteuid() != 0:
        raise SystemExit(f"make resilience needs root and {', '.join(missing) or 'nothing else'}")
    OUT.mkdir(parents=True, exist_ok=True)
    for old in [
        *OUT.glob("*.log"),
        *OUT.glob("*.jsonl"),
    ]:  # the database is made anew: so are its checkpoints
        old.unlink()
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
    began = time.monotonic()
    log(f"== database {DATABASE}: schema and demo data ==")
    prepare_database(url)
    people = candidates(url)
    log(f"   {len(people)} borrowers whose loan can get an installment plan")
    stage = Stage(OUT, DATABASE, secrets.token_urlsafe(48), free_port())
    try:
        log("== stage: two namespaces, haproxy, two gunicorn servers ==")
        stage.network_up()
        stage.start_proxy()
        for server in SERVERS:
            stage.start_server(server)
        base = f"http://127.0.0.1:{stage.port}"
        stage.wait_until_answering(f"{base}/sign-in")
        log(f"== load and faults through {base} ==")
        run = Run(base, stage, people)
        seconds = run.go()
    finally:
        stage.stop()
    log("== proofs ==")
    verified = flask("audit", "verify", url=url)
    checks = proofs.check(url, run.sent, run.decided, run.tally, verified)
    checks.append(
        (
            "the run did its work: applications sent and decided, a server killed, PostgreSQL restarted",
            []
            if run.sent and run.decided and len(run.events) >= 5
            else [f"{len(run.sent)} sent, {len(run.decided)} decided"],
        )
    )
    figures(run, seconds, time.monotonic() - began)
    for name, failures in checks:
        log(f"  {'ok  ' if not failures else 'FAIL'} {name}")
        for failure in failures[:20]:
            log(f"         {failure}")
    failed = [name for name, failures in checks if failures]
    log("resilience: " + ("every proof holds" if not failed else f"{len(failed)} proof(s) failed"))
    return 1 if failed else 0


def figures(run: Run, seconds: float, total: float) -> None:
    tally = run.tally
    retryable = {kind: n for kind, n in tally.kinds.items() if kind in actors.RETRYABLE}
    decisions = Counter(status for _who, status in run.decided.values())
    log("== figures ==")
    log(f"  requests                 {tally.requests}")
    log(f"  answered as expected     {tally.kinds['answered']}")
    log(f"  retryable errors         {sum(retryable.values())}")
    for kind, n in sorted(retryable.items()):
        log(f"    {kind:<28}{n}")
    log(f"  failures                 {len(tally.failures)}")
    log(f"  applications sent        {len(run.sent)}")
    log(f"  double submits guarded   {tally.double_submits}")
    log(
        f"  decisions                {len(run.decided)} ({', '.join(f'{s} {n}' for s, n in sorted(decisions.items()))})"
    )
    log(f"  PostgreSQL away          {getattr(run, 'db_away', 0):.1f} s")
    log(f"  load and faults          {seconds:.0f} s (whole run {total:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
