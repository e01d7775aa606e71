"""The outcomes page and the demo cases behind it.

One module-scoped data set (the demo with 120 extra borrowers and their cases) serves every test here: the tests
only read it (signing in writes an audit row, which no figure counts). To compare statement counts, the page is
also measured once on a demo with 20 extra borrowers, built first on a database of its own.
"""

from __future__ import annotations

import re
import shutil
import statistics
from collections import Counter
from datetime import UTC, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.numbers import format_percent
from flask_babel import force_locale
from flask_babel import ngettext as _ngettext
from markupsafe import escape
from sqlalchemy import create_engine, func, select, text

import portal.staff.outcomes  # noqa: F401 - attaches /staff/outcomes to the staff blueprint before any app is made
from portal import create_app, db, i18n
from portal.applications.models import Application
from portal.applications.outcomes import plural_count
from portal.core import audit_verify
from portal.demo.cases import build_cases
from portal.demo.world import build_demo
from portal.people.models import Borrower, StaffUser
from tests.helpers.common import (
    BUSINESS_DATE,
    PG_URL,
    Client,
    settings,
    sign_in,
    staff_sign_in,
    statements_of_get,
)

PASSWORD = "Demo-pass-2026"
QUEUE = ("submitted", "in_review", "awaiting_second_approval", "appealed", "info_requested")
OFFERED = ("approved", "countered", "accepted", "active", "completed", "broken", "declined", "expired")
DECIDED = OFFERED + ("rejected", "appealed")
# `accepted` never rests: accepting puts the new schedule in force in the same transaction (accepted -> active).
NEVER_AT_REST = ("draft", "accepted")
ALL_STATUSES = (
    "draft",
    "submitted",
    "in_review",
    "info_requested",
    "awaiting_second_approval",
    "approved",
    "countered",
    "accepted",
    "declined",
    "expired",
    "rejected",
    "appealed",
    "withdrawn",
    "active",
    "completed",
    "broken",
)


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))  # noqa: S608 - table names
    engine.dispose()


def _fresh_database(template_database, folder, name: str) -> str:
    if PG_URL:
        _empty_postgres(PG_URL)
        return PG_URL
    path = folder / f"{name}.sqlite3"
    shutil.copy(template_database, path)
    return f"sqlite:///{path}"


def _demo_app(url: str, extra: int):
    app = create_app(settings(url))
    app.test_client_class = Client
    with app.app_context():
        build_demo(db.session, extra_borrowers=extra)
        build_cases(db.session, BUSINESS_DATE)
        db.session.commit()
    return app


def staff_client(app, username: str = "reviewer1") -> Client:
    client = app.test_client()
    response = staff_sign_in(client, username)
    assert response.status_code == 302, response.status_code
    return client


def page_statements(app) -> tuple[int, str]:
    """How many SQL statements one GET of the outcomes page runs (signed in already), and the page."""
    return statements_of_get(app, staff_client(app), "/staff/outcomes")


@pytest.fixture(scope="module")
def demo_cases(template_database, tmp_path_factory):
    """The demo with 120 extra borrowers and their cases; also how many statements the page took with 20."""
    folder = tmp_path_factory.mktemp("outcomes")
    small = _demo_app(_fresh_database(template_database, folder, "small"), 20)
    small_count, _html = page_statements(small)
    small.extensions["db_engine"].dispose()
    app = _demo_app(_fresh_database(template_database, folder, "large"), 120)
    app.config["STATEMENTS_WITH_20"] = small_count
    yield app
    app.extensions["db_engine"].dispose()
    if PG_URL:
        _empty_postgres(PG_URL)


def statuses(app) -> Counter:
    with app.app_context():
        rows = db.session.execute(select(Application.status, func.count()).group_by(Application.status)).all()
    return Counter(dict(rows))


def in_page_locale(app, render, locale: str = "zh_Hans") -> str:
    """What a page in `locale` shows for `render()` (reviewer1 reads the portal in Simplified Chinese)."""
    with app.test_request_context(), force_locale(locale):
        return str(render())


def cells(html: str, attribute: str, key: str) -> list[str]:
    """The texts of the cells of the table row marked `data-<attribute>="<key>"`."""
    row = re.search(rf'<tr data-{attribute}="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert row, f"no row {attribute}={key}"
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]


def key_figure(html: str, name: str) -> str:
    match = re.search(rf'<dd id="key-{name}">(.*?)</dd>', html, re.S)
    assert match, name
    return match.group(1).strip()


def number(app, value) -> str:
    return in_page_locale(app, lambda: i18n.number(value))


def percent(app, offered: int, decided: int) -> str:
    """A rate as the page writes it: Babel's percentage for reviewer1's locale, to one decimal place."""
    value = (Decimal(offered) * 100 / decided).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return format_percent(value / 100, locale="zh_Hans_CN", decimal_quantization=False)


# --- the demo cases ----------------------------------------------------------------------------------------


def test_every_status_but_draft_is_in_the_demo(demo_cases):
    found = statuses(demo_cases)

    missing = [s for s in ALL_STATUSES if s not in NEVER_AT_REST and not found[s]]

    assert missing == []
    assert found["submitted"] >= 20  # a working office's queue, even with 120 extra borrowers


def test_every_application_keeps_the_audit_chain(demo_cases):
    with demo_cases.app_context():
        assert audit_verify.verify(db.session, demo_cases.config) == []


def test_the_named_borrowers_loans_stay_free_for_the_demo_journeys(demo_cases):
    with demo_cases.app_context():
        named = db.session.scalar(
            select(func.count(Application.id))
            .join(Borrower, Borrower.id == Application.borrower_id)
            .where(Borrower.phone.like("13800000%"))
        )
    assert named == 0


def test_building_the_cases_again_adds_nothing(demo_cases):
    before = statuses(demo_cases)
    with demo_cases.app_context():
        build_cases(db.session, BUSINESS_DATE)
        db.session.commit()
    assert statuses(demo_cases) == before


def test_the_cases_vary_like_a_real_office(demo_cases):
    with demo_cases.app_context():
        rows = db.session.execute(
            select(
                Application.variant, Application.option, Application.branch_id, Application.submitted_at
            ).where(Application.status == "submitted")
        ).all()
        holders = set(
            db.session.scalars(
                select(StaffUser.username)
                .join(Application, Application.claimed_by_id == StaffUser.id)
                .where(Application.status == "in_review")
            )
        )
        phone = db.session.scalar(select(func.count(Application.id)).where(Application.channel == "phone"))
    assert {variant for variant, *_ in rows} == {"rural", "urban"}
    assert len({option for _v, option, *_ in rows}) >= 3
    assert len({branch for _v, _o, branch, _s in rows}) == 6
    days = {(BUSINESS_DATE - submitted.date()).days for *_, submitted in rows}
    assert min(days) <= 1 and max(days) >= 10  # spread over the weeks before the business date
    assert holders == {"reviewer1", "reviewer2"}
    assert phone >= 1  # some came in through a phone agent


# --- the page ----------------------------------------------------------------------------------------------


def test_the_page_draws_its_charts_in_svg_beside_tables(demo_cases):
    response = staff_client(demo_cases).get("/staff/outcomes")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    svgs = re.findall(r"<svg[^>]*>", html)
    assert len(svgs) == 7
    assert all('aria-hidden="true"' in tag for tag in svgs)  # the tables beside them carry the figures
    assert html.count('<rect class="chart-bar') >= 20
    assert html.count("<table") == 7
    assert "<script" not in html


def test_the_queue_size_matches_the_database(demo_cases):
    _count, html = page_statements(demo_cases)
    found = statuses(demo_cases)
    with demo_cases.app_context():
        late = dict(
            db.session.execute(
                select(Application.status, func.count())
                .where(Application.status.in_(QUEUE), Application.decision_due < BUSINESS_DATE)
                .group_by(Application.status)
            ).all()
        )

    assert key_figure(html, "open") == number(demo_cases, sum(found[s] for s in QUEUE))
    assert key_figure(html, "late") == number(demo_cases, sum(late.values()))
    for status in QUEUE:
        assert cells(html, "status", status) == [
            number(demo_cases, found[status]),
            number(demo_cases, late.get(status, 0)),
        ]


def test_the_approval_rate_of_each_variant_matches_the_database(demo_cases):
    _count, html = page_statements(demo_cases)
    with demo_cases.app_context():
        rows = db.session.execute(
            select(Application.variant, Application.status, func.count())
            .where(Application.status.in_(DECIDED))
            .group_by(Application.variant, Application.status)
        ).all()
    for variant in ("rural", "urban"):
        decided = sum(n for v, _s, n in rows if v == variant)
        offered = sum(n for v, s, n in rows if v == variant and s in OFFERED)
        assert decided
        assert cells(html, "variant", variant) == [
            number(demo_cases, decided),
            number(demo_cases, offered),
            percent(demo_cases, offered, decided),
        ]
    decided = sum(n for *_rest, n in rows)
    offered = sum(n for _v, s, n in rows if s in OFFERED)
    assert key_figure(html, "approval") == percent(demo_cases, offered, decided)


def test_decisions_and_the_median_match_the_database(demo_cases):
    _count, html = page_statements(demo_cases)
    zone = ZoneInfo("Asia/Shanghai")
    with demo_cases.app_context():
        rows = db.session.execute(
            select(Application.submitted_at, Application.decided_at).where(
                Application.decided_at.is_not(None)
            )
        ).all()

    def local_day(moment):
        return moment.replace(tzinfo=UTC).astimezone(zone).date()

    first = BUSINESS_DATE - timedelta(days=13)
    recent = [(s, d) for s, d in rows if first <= local_day(d) <= BUSINESS_DATE]
    median = Decimal(str(statistics.median((d - s).total_seconds() / 86400 for s, d in recent)))
    median = median.quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert recent
    assert key_figure(html, "decisions") == number(demo_cases, len(recent))
    assert key_figure(html, "median") == in_page_locale(
        demo_cases,
        lambda: escape(
            _ngettext("%(days)s day", "%(days)s days", plural_count(median), days=i18n.number(median))
        ),
    )


def test_plans_kept_and_broken_match_the_database(demo_cases):
    _count, html = page_statements(demo_cases)
    found = statuses(demo_cases)

    for status in ("active", "completed", "broken"):
        assert cells(html, "plans", status) == [number(demo_cases, found[status])]
    assert found["broken"] >= 1 and found["active"] >= 1


def test_the_page_runs_the_same_statements_for_20_and_for_120_borrowers(demo_cases):
    count, _html = page_statements(demo_cases)

    assert count == demo_cases.config["STATEMENTS_WITH_20"]
    assert count <= 10  # the session's own look-ups and six aggregates


@pytest.mark.parametrize("username", ["senior1", "admin1"])
def test_senior_reviewers_and_administrators_see_it_too(demo_cases, username):
    assert staff_client(demo_cases, username).get("/staff/outcomes").status_code == 200


def test_a_borrower_gets_404(demo_cases):
    client = demo_cases.test_client()
    sign_in(client, "13800000001")

    assert client.get("/staff/outcomes").status_code == 404


def test_a_phone_agent_gets_404(demo_cases):
    assert staff_client(demo_cases, "agent1").get("/staff/outcomes").status_code == 404


def test_a_visitor_is_sent_to_the_staff_sign_in(demo_cases):
    response = demo_cases.test_client().get("/staff/outcomes")

    assert response.status_code == 302
    assert "/staff/sign-in" in response.headers["Location"]
