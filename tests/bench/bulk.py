"""Bulk data for the benchmark: the demo set through the services, then borrowers, loans, schedules, payments and
open applications written straight into the tables (PostgreSQL COPY, SQLite executemany).

Schedules come from the real domain code (`build_schedule`), arrears from `arrears.assess`, quotes from
`options.quote` and the queue stamps from `risk.score` with the same inputs `scoring.stamp_for_queue` uses.
Each distinct loan (principal, rate, term, method, first due date, payments) is worked out once as a template and
reused, so 120,000 loans take seconds. `check_stamps` recomputes a sample with the real service and compares.

    .venv/bin/python tests/bench/bulk.py sqlite:///test-artifacts/bench/x.sqlite3 --scale 0.01
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # portal, and the suite's shared helpers (tests.helpers)

from portal.domain import arrears as arrears_rules  # noqa: E402
from portal.domain import options, risk  # noqa: E402
from portal.domain.hardship import Budget  # noqa: E402
from portal.domain.money import to_fen  # noqa: E402
from portal.domain.options import LoanFacts  # noqa: E402
from portal.domain.schedule import add_months, build_schedule  # noqa: E402
from tests.helpers.common import postgres_database  # noqa: E402

BORROWERS, LOANS, APPLICATIONS = 100_000, 120_000, 100_000
TEMPLATES = 1_500
PASSWORD = "Demo-pass-2026"  # the demo password, published in the README  # noqa: S105
BENCH_PHONE = "13700000001"  # the benchmark's borrower: one overdue 36-month loan and a draft application
LONG_PHONE = "13700000002"  # rural, two 360-month loans, where a flood was declared: every plan is open
SEED = 8

PRODUCTS = {  # product code: (method, months choices)
    "CONSUMER": ("equal_installment", (12, 24, 36, 60)),
    "BUSINESS": ("interest_first", (12, 24, 36)),
    "AGRI": ("equal_principal", (12, 24, 36)),
    "SEASONAL": ("bullet", (12,)),
}
RATES = ("0.0435", "0.0520", "0.0600", "0.0750", "0.0860")
INCOME = {"wages": 300_000, "business": 100_050}
SPENDING = {"food": 120_000, "housing": 80_000, "transport": 26_600}
OTHER_DEBT = 50_000


def counts(scale: float) -> tuple[int, int, int]:
    return (max(50, int(BORROWERS * scale)), max(60, int(LOANS * scale)), max(50, int(APPLICATIONS * scale)))


def bench_budget() -> dict:
    """Every bench application's monthly budget in yuan, as `save_budget` and the domain `Budget` take it."""
    return {
        "income": {k: Decimal(v) / 100 for k, v in INCOME.items()},
        "spending": {k: Decimal(v) / 100 for k, v in SPENDING.items()},
        "other_debt": Decimal(OTHER_DEBT) / 100,
        "dependants": 1,
    }


# --- the demo set and the benchmark's own people, through the services ---------------------------------------


def demo_part(url: str, business_date: date, *, fresh: bool = True, extra: int = 60) -> dict:
    """Schema (when `fresh`), demo data and the bench borrowers through the services; returns what the bulk part
    needs. `fresh=False` uses an already migrated, empty database (the test suite's)."""
    from portal import create_app, db
    from portal.applications import calculation, drafting
    from portal.demo.cases import build_cases
    from portal.demo.world import build_demo
    from portal.loans import services
    from portal.loans.models import LoanProduct
    from portal.migrations import upgrade
    from portal.people.models import Branch

    if fresh and url.startswith("postgresql"):
        postgres_database(url)  # a fresh machine has only `test`
    engine = create_engine(url)
    if not fresh:
        pass
    elif url.startswith("postgresql"):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    if fresh:
        upgrade(engine)
    engine.dispose()

    app = create_app(
        {
            "PORTAL_ENV": "development",
            "DATABASE_URL": url,
            "BUSINESS_DATE": business_date,
            "SMS_SENDER": "memory",
            "AUDIT_CHECKPOINTS": None,  # a throw-away data set: no checkpoints in the repository's instance/
        }
    )
    with app.app_context():
        session = db.session
        build_demo(session, extra_borrowers=extra)
        build_cases(session)
        branches = {b.code: b for b in session.scalars(select(Branch))}
        products = {p.code: p for p in session.scalars(select(LoanProduct))}
        from portal.people.models import Borrower

        shared_hash = session.scalar(select(Borrower.password_hash).where(Borrower.phone == "13800000001"))
        bench = services.register_borrower(
            session,
            phone=BENCH_PHONE,
            name="测试用户",
            id_number="430000199001010010",
            birth_date=date(1990, 1, 1),
            branch=branches["CC11"],
            occupation="salaried",
            password_hash=shared_hash,
        )
        loan = _service_loan(
            session,
            services,
            bench,
            branches["CC11"],
            products["CONSUMER"],
            "80000",
            "0.0600",
            36,
            business_date,
            due_so_far=12,
            paid=10,
            number="BENCH0000001",
        )
        draft = drafting.start(
            session, loan, actor=f"borrower:{bench.id}", create_key="bench-draft", as_of=business_date
        )
        _answer_hardship_and_budget(draft)
        long_borrower = services.register_borrower(
            session,
            phone=LONG_PHONE,
            name="长期贷款",
            id_number="430000198501010020",
            birth_date=date(1985, 1, 1),
            branch=branches["QS01"],
            occupation="farmer",
            password_hash=shared_hash,
        )
        long_loan = _service_loan(
            session,
            services,
            long_borrower,
            branches["QS01"],
            products["CONSUMER"],
            "900000",
            "0.0490",
            360,
            business_date,
            due_so_far=40,
            paid=37,
            number="BENCH0000360",
        )
        long_draft = drafting.start(
            session,
            long_loan,
            actor=f"borrower:{long_borrower.id}",
            create_key="bench-long",
            as_of=business_date,
        )
        _answer_hardship_and_budget(long_draft)
        long_calc = calculation.calculator(session, long_draft, business_date)
        drafting.choose(
            long_draft, next(q for q in long_calc.quote_all() if q.available and q.kind == "extension")
        )
        # A second 360-month loan whose plan is approved: the offer page with its long schedules.
        offer_loan = _service_loan(
            session,
            services,
            long_borrower,
            branches["QS01"],
            products["CONSUMER"],
            "400000",
            "0.0490",
            360,
            business_date,
            due_so_far=30,
            paid=27,
            number="BENCH0000361",
        )
        offered = _approved(session, offer_loan, long_borrower, business_date)
        session.commit()
        from portal import policies

        packs = {v: policies.current(session, v) for v in ("rural", "urban")}
        from portal.applications.models import Disaster
        from portal.people.models import StaffUser

        info = {
            "branches": {code: (b.id, b.kind) for code, b in branches.items()},
            "products": {
                code: (p.id, p.method, p.penalty_markup_ppm, p.compound_interest)
                for code, p in products.items()
            },
            "packs": {v: (row.id, policy) for v, (row, policy) in packs.items()},
            "disasters": {d.branch_id: d.declared_on for d in session.scalars(select(Disaster))},
            "reviewers": [
                s.id for s in session.scalars(select(StaffUser).where(StaffUser.role == "reviewer"))
            ],
            "senior": session.scalar(select(StaffUser.id).where(StaffUser.role == "senior_reviewer")),
            "shared_hash": shared_hash,
            "draft": draft.reference,
            "long_draft": long_draft.reference,
            "long_offer": offered,
        }
    app.extensions["db_engine"].dispose()
    return info


def _answer_hardship_and_budget(draft) -> None:
    """The hardship and budget answers every bench draft made through the services has."""
    from portal.applications import drafting

    drafting.save_hardship(draft, reasons=["income_reduced"], duration="longer", account="Bench.")
    drafting.save_budget(draft, **bench_budget())


def _approved(session, loan, borrower, today) -> str:
    """An application on `loan` submitted by the borrower and approved by the senior reviewer (services only)."""
    from portal.applications import calculation, decisions, drafting, transitions
    from portal.people.models import StaffUser

    draft = drafting.start(
        session, loan, actor=f"borrower:{borrower.id}", create_key=f"bench-{loan.number}", as_of=today
    )
    _answer_hardship_and_budget(draft)
    calc = calculation.calculator(session, draft, today)
    drafting.choose(draft, next(q for q in calc.quote_all() if q.available and q.kind == "extension"))
    transitions.submit(session, draft, actor=f"borrower:{borrower.id}", as_of=today)
    senior = session.scalar(select(StaffUser).where(StaffUser.username == "senior1"))
    decisions.claim(session, draft, senior, seen_version=draft.row_version)
    decisions.approve(session, draft, senior, as_of=today, seen_version=draft.row_version, waivers={})
    return draft.reference


def _service_loan(
    session, services, borrower, branch, product, principal, rate, months, today, *, due_so_far, paid, number
):
    from portal.demo.world import last_due_before

    last_due = last_due_before(today, 10)
    first_due = add_months(last_due, -(due_so_far - 1))
    loan = services.open_loan(
        session,
        number=number,
        borrower=borrower,
        branch=branch,
        product=product,
        principal=Decimal(principal),
        annual_rate=Decimal(rate),
        months=months,
        start_date=add_months(first_due, -1),
        first_due=first_due,
        purpose="consumption",
    )
    _version, installments = services.current_schedule(session, loan)
    for item in installments[:paid]:
        services.record_payment(
            session,
            loan,
            reference=f"BANK-{number}-{item.number:03d}",
            amount=item.total,
            paid_on=item.due_date - timedelta(days=1),
        )
    return loan


# --- templates: each distinct loan worked out once ----------------------------------------------------------


@dataclass
class Template:
    branch: str
    product: str
    method: str
    principal: Decimal
    rate: Decimal
    months: int
    first_due: date
    schedule: list
    payments: list  # (number, paid_on, amount)
    report: object
    app: (
        dict | None
    )  # the application's columns that follow from the loan, or None when no plan is open to it


def build_templates(info: dict, today: date, count: int, rng: random.Random) -> list[Template]:
    from portal.demo.world import last_due_before

    templates = []
    codes = sorted(info["branches"])
    for _ in range(count):
        branch = rng.choice(codes)
        rural = info["branches"][branch][1] == "rural"
        product = rng.choice(("AGRI", "SEASONAL") if rural else ("CONSUMER", "BUSINESS"))
        method, month_choices = PRODUCTS[product]
        months = rng.choice(month_choices)
        behind = rng.choices((0, 1, 2, 3, 5), weights=(8, 35, 25, 17, 15))[0]
        due_so_far = rng.randint(max(1, behind), months - 1) if method != "bullet" else 1
        if method == "bullet":
            behind = 1
        principal = Decimal(rng.randrange(10_000, 80_000 if rural else 300_000, 1_000))
        rate = Decimal(rng.choice(RATES))
        last_due = last_due_before(today, rng.randint(1, 28))
        first_due = add_months(last_due, -(months - 1 if method == "bullet" else due_so_far - 1))
        schedule = build_schedule(principal, rate, months, method, first_due)
        paid = max(0, min(due_so_far, len(schedule)) - behind)
        payments = [(i.number, i.due_date - timedelta(days=1), i.total) for i in schedule[:paid]]
        _pid, _method, markup_ppm, compound = info["products"][product]
        terms = arrears_rules.PenaltyTerms(rate, Decimal(markup_ppm) / 1_000_000, compound)
        report = arrears_rules.assess(
            schedule,
            [arrears_rules.Payment(f"P{n}", day, amount) for n, day, amount in payments],
            terms,
            today,
        )
        t = Template(
            branch, product, method, principal, rate, months, first_due, schedule, payments, report, None
        )
        t.app = _application_part(t, info, today, rng)
        templates.append(t)
    return templates


def _application_part(t: Template, info: dict, today: date, rng: random.Random) -> dict | None:
    """What `submit` and `stamp_for_queue` would store for an application on this loan, or None."""
    variant = info["branches"][t.branch][1]
    _pack_id, policy = info["packs"][variant]
    branch_id = info["branches"][t.branch][0]
    facts = LoanFacts(
        principal=t.principal,
        annual_rate=t.rate,
        term_months=t.months,
        method=t.method,
        status="active",
        maturity=t.schedule[-1].due_date,
        schedule=tuple(t.schedule),
        report=t.report,
        as_of=today,
        due_day=t.first_due.day,
        variant=variant,
        disaster_declared_on=info["disasters"].get(branch_id),
    )
    if options.general_reasons(facts, policy):
        return None
    budget = Budget(**bench_budget())
    quotes = [q for q in options.quote_all(facts, policy, budget.disposable) if q.available]
    if not quotes:
        return None
    from portal.applications.serialisation import quote_to_json, terms_to_json

    quote = rng.choice(quotes)
    duration = rng.choice(("under_6_months", "longer", "permanent"))
    report = t.report
    regular = max((s.total for s in report.installments), default=Decimal("0.00"))
    scored = risk.score(
        days_past_due=report.days_past_due,
        arrears=report.total_to_bring_current,
        regular_payment=regular,
        broken_plans=0,
        disposable=budget.disposable,
        requested_payment=quote.regular_payment,
        affordability_share=policy.affordability_share,
        duration=duration,
    )
    return {
        "option": quote.kind,
        "terms": json.dumps(terms_to_json(quote.terms)),
        "quote": json.dumps(quote_to_json(quote)),
        "reasons": json.dumps(["income_reduced"]),
        "duration": duration,
        "budget": json.dumps(
            {
                "income": INCOME,
                "spending": SPENDING,
                "other_debt": OTHER_DEBT,
                "dependants": 1,
                "complete": True,
            }
        ),
        "branch_id": branch_id,
        "bucket": report.bucket,
        "arrears_fen": to_fen(report.total_to_bring_current),
        "amount_fen": to_fen(
            report.outstanding_principal + report.total_to_bring_current - report.overdue_principal
        ),
        "risk_score": scored.score,
        "risk_reasons": json.dumps([[r.code, r.value, r.points] for r in scored.reasons]),
        "sla_days": policy.sla_days,
        "variant": variant,
    }


# --- writing ----------------------------------------------------------------------------------------------


COLUMNS = {
    "borrowers": (
        "id",
        "phone",
        "name",
        "id_number",
        "birth_date",
        "locale",
        "variant",
        "home_branch_id",
        "occupation",
        "password_hash",
        "session_version",
        "created_at",
    ),
    "loans": (
        "id",
        "number",
        "borrower_id",
        "branch_id",
        "product_id",
        "principal_fen",
        "annual_rate_ppm",
        "months",
        "method",
        "start_date",
        "first_due",
        "purpose",
        "status",
        "created_at",
    ),
    "schedule_versions": ("id", "loan_id", "version", "effective_on", "reason", "created_at"),
    "schedule_lines": (
        "id",
        "schedule_version_id",
        "number",
        "due_date",
        "principal_fen",
        "interest_fen",
        "charges_fen",
    ),
    "payments": (
        "id",
        "loan_id",
        "schedule_version_id",
        "reference",
        "paid_on",
        "amount_fen",
        "channel",
        "created_at",
    ),
    "applications": (
        "id",
        "reference",
        "loan_id",
        "borrower_id",
        "status",
        "row_version",
        "variant",
        "policy_pack_id",
        "create_key",
        "channel",
        "created_by",
        "reasons",
        "duration",
        "account",
        "budget",
        "option",
        "terms",
        "quote",
        "amount_fen",
        "arrears_fen",
        "branch_id",
        "bucket",
        "risk_score",
        "risk_reasons",
        "claimed_by_id",
        "claimed_at",
        "first_approver_id",
        "created_at",
        "updated_at",
        "submitted_at",
        "decision_due",
        "info_request",
        "waivers",
    ),
}


class Writer:
    """Rows in, tables filled: PostgreSQL COPY or SQLite executemany, in batches."""

    def __init__(self, url: str):
        self.url = url
        self.pg = url.startswith("postgresql")
        if self.pg:
            import psycopg

            self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
            # The rows are consistent by construction: skip the per-row foreign-key triggers and the view-version
            # triggers (no page is kept yet) while copying (needs a superuser, as the benchmark's database owner
            # is; otherwise the triggers simply run).
            try:
                self.conn.execute("SET session_replication_role = replica")
            except psycopg.Error:
                self.conn.rollback()
        else:
            import sqlite3

            self.conn = sqlite3.connect(url.split("///", 1)[1])
            self.conn.execute("PRAGMA synchronous=OFF")
            self.conn.execute("PRAGMA foreign_keys=OFF")
            # SQLite cannot switch triggers off: the view-version triggers (migration 0006) are set aside while
            # loading (no page is kept yet) and put back as they were in `finish`.
            self.triggers = self.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'view_version_%'"
            ).fetchall()
            for name, _sql in self.triggers:
                self.conn.execute(f"DROP TRIGGER {name}")

    def max_id(self, table: str) -> int:
        cur = self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - our own table names
        return cur.fetchone()[0]

    def write(self, table: str, rows) -> int:
        cols = COLUMNS[table]
        n = 0
        if self.pg:
            with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    n += 1
            return n
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"  # noqa: S608
        batch = []
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) >= 20_000:
                self.conn.executemany(sql, batch)
                n += len(batch)
                batch = []
        if batch:
            self.conn.executemany(sql, batch)
            n += len(batch)
        return n

    def finish(self) -> None:
        self.conn.commit()
        if self.pg:
            for table in COLUMNS:
                self.conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                )
            self.conn.commit()
            self.conn.autocommit = True
            self.conn.execute("VACUUM ANALYZE")
            # Write the bulk load's dirty pages out now, so the checkpointer is not still flushing gigabytes
            # while the pages are being measured.
            self.conn.execute("CHECKPOINT")
        else:
            for _name, sql in self.triggers:
                self.conn.execute(sql)
            self.conn.execute("ANALYZE")
            self.conn.commit()
        self.conn.close()


def _sqlite_value(value):
    # The storage formats SQLAlchemy's SQLite dialect reads back.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def bulk_part(
    url: str, info: dict, templates: list[Template], today: date, scale: float, seed: int = SEED
) -> dict:
    """Borrowers, loans (with schedule and payments) and open applications, straight into the tables."""
    rng = random.Random(seed)  # noqa: S311 - test data
    n_borrowers, n_loans, n_apps = counts(scale)
    writer = Writer(url)
    now = datetime.now(UTC).replace(tzinfo=None)
    base = {t: writer.max_id(t) for t in COLUMNS}
    by_branch: dict[str, list[int]] = {}
    for i, t in enumerate(templates):
        by_branch.setdefault(t.branch, []).append(i)
    eligible_by_branch = {b: [i for i in ids if templates[i].app] for b, ids in by_branch.items()}
    codes = sorted(by_branch)

    # Which template each loan follows and whose it is: the first n_borrowers loans are one each, the rest
    # second loans of random borrowers (same branch). Applications go on the first n_apps eligible loans.
    borrower_branch = [rng.choice(codes) for _ in range(n_borrowers)]
    loans = []  # (borrower index, template index)
    for b in range(n_borrowers):
        pool = eligible_by_branch[borrower_branch[b]] if b < n_apps else by_branch[borrower_branch[b]]
        loans.append((b, rng.choice(pool)))
    for _ in range(n_loans - n_borrowers):
        b = rng.randrange(n_borrowers)
        loans.append((b, rng.choice(by_branch[borrower_branch[b]])))

    def borrowers():
        for b in range(n_borrowers):
            code = borrower_branch[b]
            branch_id, kind = info["branches"][code]
            yield (
                base["borrowers"] + b + 1,
                f"15{base['borrowers'] + b:09d}",
                f"用户{b:06d}",
                f"43{b:016d}",
                date(1980, 1, 1) + timedelta(days=b % 9000),
                "zh_Hans",
                kind,
                branch_id,
                "farmer" if kind == "rural" else "salaried",
                info["shared_hash"],
                1,
                now,
            )

    def loan_rows():
        for n, (b, ti) in enumerate(loans):
            t = templates[ti]
            yield (
                base["loans"] + n + 1,
                f"BK{t.branch}{base['loans'] + n + 1:08d}",
                base["borrowers"] + b + 1,
                info["branches"][t.branch][0],
                info["products"][t.product][0],
                to_fen(t.principal),
                int(t.rate * 1_000_000),
                t.months,
                t.method,
                add_months(t.first_due, -1),
                t.first_due,
                "farming" if t.product in ("AGRI", "SEASONAL") else "consumption",
                "active",
                now,
            )

    def versions():
        for n, (_b, ti) in enumerate(loans):
            yield (
                base["schedule_versions"] + n + 1,
                base["loans"] + n + 1,
                1,
                add_months(templates[ti].first_due, -1),
                "origination",
                now,
            )

    fen_lines = [
        [(i.number, i.due_date, to_fen(i.principal), to_fen(i.interest)) for i in t.schedule]
        for t in templates
    ]
    fen_payments = [[(num, day, to_fen(amount)) for num, day, amount in t.payments] for t in templates]

    def lines():
        next_id = base["schedule_lines"]
        for n, (_b, ti) in enumerate(loans):
            version_id = base["schedule_versions"] + n + 1
            for number, due, principal, interest in fen_lines[ti]:
                next_id += 1
                yield (next_id, version_id, number, due, principal, interest, 0)

    def payments():
        next_id = base["payments"]
        for n, (_b, ti) in enumerate(loans):
            loan_id = base["loans"] + n + 1
            for number, day, amount in fen_payments[ti]:
                next_id += 1
                yield (
                    next_id,
                    loan_id,
                    base["schedule_versions"] + n + 1,
                    f"BANK-BK{loan_id:08d}-{number:03d}",
                    day,
                    amount,
                    "bank",
                    now,
                )

    def applications():
        zone_midnight = datetime.combine(today, dtime(1, 0))
        made = 0
        for n, (b, ti) in enumerate(loans):
            app = templates[ti].app
            if made >= n_apps or app is None or b != n:
                continue
            made += 1
            app_id = base["applications"] + made
            status = rng.choices(
                ("submitted", "in_review", "info_requested", "awaiting_second_approval", "appealed"),
                weights=(85, 8, 4, 2, 1),
            )[0]
            days_ago = rng.randint(0, 25)
            submitted = zone_midnight - timedelta(days=days_ago, minutes=rng.randint(0, 600))
            claimed = (
                rng.choice(info["reviewers"]) if status in ("in_review", "awaiting_second_approval") else None
            )
            yield (
                app_id,
                f"RA{today:%y%m}{app_id:06d}",
                base["loans"] + n + 1,
                base["borrowers"] + b + 1,
                status,
                1,
                app["variant"],
                info["packs"][app["variant"]][0],
                secrets.token_hex(16),
                "web",
                f"borrower:{base['borrowers'] + b + 1}",
                app["reasons"],
                app["duration"],
                "",
                app["budget"],
                app["option"],
                app["terms"],
                app["quote"],
                app["amount_fen"],
                app["arrears_fen"],
                app["branch_id"],
                app["bucket"],
                app["risk_score"],
                app["risk_reasons"],
                claimed,
                submitted + timedelta(hours=2) if claimed else None,
                claimed if status == "awaiting_second_approval" else None,
                submitted,
                submitted,
                submitted,
                (today - timedelta(days=days_ago)) + timedelta(days=app["sla_days"]),
                "Please send last month's pay slip." if status == "info_requested" else None,
                "{}",
            )

    written = {}
    for table, rows in (
        ("borrowers", borrowers()),
        ("loans", loan_rows()),
        ("schedule_versions", versions()),
        ("schedule_lines", lines()),
        ("payments", payments()),
        ("applications", applications()),
    ):
        started = time.perf_counter()
        written[table] = writer.write(table, rows)
        written[table + "_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    writer.finish()
    written["analyze_s"] = round(time.perf_counter() - started, 1)
    return written


def check_stamps(url: str, today: date, sample: int = 5) -> list[str]:
    """Run the real `stamp_for_queue` on a few bulk applications and report any column it would change."""
    from portal import create_app, db
    from portal.applications import scoring
    from portal.applications.models import Application

    app = create_app(
        {"PORTAL_ENV": "development", "DATABASE_URL": url, "BUSINESS_DATE": today, "AUDIT_CHECKPOINTS": None}
    )
    problems = []
    with app.app_context():
        rows = db.session.scalars(
            select(Application)
            .where(Application.create_key.not_like("bench-%"), Application.created_by.like("borrower:%"))
            .order_by(Application.id.desc())
            .limit(sample)
        ).all()
        for row in rows:
            before = {
                k: getattr(row, k) for k in ("branch_id", "bucket", "arrears_fen", "amount_fen", "risk_score")
            }
            before["risk_reasons"] = [list(r) for r in row.risk_reasons]
            scoring.stamp_for_queue(db.session, row, today)
            after = {k: getattr(row, k) for k in before}
            after["risk_reasons"] = [list(r) for r in row.risk_reasons]
            if before != after:
                problems.append(f"{row.reference}: {before} != {after}")
        db.session.rollback()
    app.extensions["db_engine"].dispose()
    return problems


_TEMPLATE_CACHE: dict = {}


def generate(url: str, scale: float, today: date, log=print) -> dict:
    """The whole data set into `url`; returns what was written and the references the benchmark needs."""
    started = time.perf_counter()
    info = demo_part(url, today)
    log(f"  demo data through the services: {time.perf_counter() - started:.1f} s")
    key = (today, min(TEMPLATES, counts(scale)[1]))
    if key not in _TEMPLATE_CACHE:
        t0 = time.perf_counter()
        _TEMPLATE_CACHE[key] = build_templates(info, today, key[1], random.Random(SEED))  # noqa: S311
        eligible = sum(1 for t in _TEMPLATE_CACHE[key] if t.app)
        log(f"  {key[1]} loan templates ({eligible} open to a plan): {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    written = bulk_part(url, info, _TEMPLATE_CACHE[key], today, scale)
    log(f"  bulk rows {written}: {time.perf_counter() - t0:.1f} s")
    problems = check_stamps(url, today)
    if problems:
        raise SystemExit("bulk queue stamps differ from stamp_for_queue:\n" + "\n".join(problems))
    return {
        "written": written,
        "draft": info["draft"],
        "long_draft": info["long_draft"],
        "long_offer": info["long_offer"],
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--date", default="2026-11-29")
    args = parser.parse_args()
    print(generate(args.url, args.scale, date.fromisoformat(args.date)))


if __name__ == "__main__":
    main()
