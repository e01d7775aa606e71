"""The approval queue: filters narrow it correctly, sorting, keyset pagination that visits every row once, and a
fixed number of SQL statements however many rows a page shows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.applications import decisions, transitions
from portal.applications.models import Application
from portal.loans.positions import loan_position
from portal.people.models import StaffUser
from tests.helpers.common import BUSINESS_DATE, statements_of_get
from tests.helpers.staff import (
    URBAN,
    application,
    crowd,
    database,
    draft,
    queue_pages,
    queue_total,
    staff_client,
    staff_id,
    submitted,
    text,
)

BANDS = {  # yuan: [low, high)
    "under_10k": (Decimal("0"), Decimal("10000")),
    "10k_50k": (Decimal("10000"), Decimal("50000")),
    "50k_200k": (Decimal("50000"), Decimal("200000")),
    "over_200k": (Decimal("200000"), None),
}


def _facts(app) -> dict[str, dict]:
    """What each open application is, worked out from its loan, branch and figures (not from the queue's query)."""
    facts = {}
    with database(app) as session:
        for row in session.scalars(select(Application).order_by(Application.id)):
            report = loan_position(session, row.loan, BUSINESS_DATE).report
            facts[row.reference] = {
                "id": row.id,
                "status": row.status,
                "kind": row.option,
                "variant": row.borrower.variant,
                "branch": row.loan.branch.code,
                "bucket": report.bucket,
                "amount": Decimal(row.amount_fen) / 100,
                "holder": row.claimed_by_id,
                "due": row.decision_due,
                "risk": row.risk_score,
                "submitted_at": row.submitted_at,
            }
    return facts


def _all(pages: list[list[str]]) -> list[str]:
    return [reference for page in pages for reference in page]


@pytest.fixture
def busy(app):
    """40 open applications in several states, branches, buckets and amounts; some held, some past their date."""
    references = crowd(app, 40)
    reviewer1 = staff_id(app, "reviewer1")
    reviewer2 = staff_id(app, "reviewer2")
    with database(app) as session, app.test_request_context():
        staff = {s.id: s for s in session.scalars(select(StaffUser))}
        for index, reference in enumerate(references):
            row = application(session, reference)
            if index % 5 == 0:
                decisions.claim(session, row, staff[reviewer1], seen_version=row.row_version)
            elif index % 7 == 0:
                decisions.claim(session, row, staff[reviewer2], seen_version=row.row_version)
            if index % 6 == 1:
                row.decision_due = BUSINESS_DATE - timedelta(days=index)  # past the decision date
            elif index % 4 == 2:
                row.decision_due = BUSINESS_DATE + timedelta(days=index % 9)
        first = application(session, references[0])  # held by reviewer1: now waiting for the borrower
        decisions.request_information(
            session, first, staff[reviewer1], seen_version=first.row_version, question="Payslip?"
        )
        session.commit()
    return app


FILTERS = [
    ("status=in_review", lambda f: f["status"] == "in_review"),
    ("status=info_requested", lambda f: f["status"] == "info_requested"),
    ("kind=extension", lambda f: f["kind"] == "extension"),
    ("kind=installment_plan", lambda f: f["kind"] == "installment_plan"),
    ("variant=rural", lambda f: f["variant"] == "rural"),
    ("variant=urban", lambda f: f["variant"] == "urban"),
    ("branch=QS01", lambda f: f["branch"] == "QS01"),
    ("branch=CC11", lambda f: f["branch"] == "CC11"),
    ("bucket=M0", lambda f: f["bucket"] == "M0"),
    ("bucket=M2", lambda f: f["bucket"] == "M2"),
    ("bucket=M4%2B", lambda f: f["bucket"] == "M4+"),
    ("amount=under_10k", lambda f: f["amount"] < 10000),
    ("amount=10k_50k", lambda f: 10000 <= f["amount"] < 50000),
    ("amount=50k_200k", lambda f: 50000 <= f["amount"] < 200000),
    ("amount=over_200k", lambda f: f["amount"] >= 200000),
    ("late=1", lambda f: f["due"] < BUSINESS_DATE),
    ("holder=unassigned", lambda f: f["holder"] is None),
]


def test_each_filter_narrows_the_queue_to_exactly_the_matching_applications(busy):
    facts = _facts(busy)
    reviewer1 = staff_client(busy, "reviewer1")
    everything = set(_all(queue_pages(reviewer1)))
    assert everything == set(facts) and len(everything) == 40
    problems = []

    for query, matches in FILTERS:
        expected = {reference for reference, f in facts.items() if matches(f)}
        shown = _all(queue_pages(reviewer1, query))
        if not expected or expected == everything:
            problems.append(f"{query}: the test data does not exercise it ({len(expected)} of 40)")
        if sorted(shown) != sorted(expected):
            problems.append(f"{query}: shown {sorted(shown)} expected {sorted(expected)}")
        if queue_total(reviewer1, query) != len(expected):
            problems.append(f"{query}: the total says {queue_total(reviewer1, query)}, not {len(expected)}")
    for username in ("reviewer1", "reviewer2"):  # "mine" is whoever is signed in
        holder_id = staff_id(busy, username)
        expected = {reference for reference, f in facts.items() if f["holder"] == holder_id}
        shown = _all(queue_pages(staff_client(busy, username), "holder=mine"))
        if not expected or sorted(shown) != sorted(expected):
            problems.append(f"holder=mine for {username}: shown {sorted(shown)} expected {sorted(expected)}")
    both = {r for r, f in facts.items() if f["variant"] == "urban" and f["holder"] is None}
    shown = _all(queue_pages(reviewer1, "variant=urban&holder=unassigned"))
    if not 0 < len(both) < len(facts) or sorted(shown) != sorted(both):
        problems.append(f"variant=urban&holder=unassigned: shown {sorted(shown)} expected {sorted(both)}")

    assert problems == []


def test_decided_applications_and_drafts_are_not_in_the_queue(demo):
    open_one = submitted(demo, URBAN)
    decided = submitted(demo, "13800000005")
    with database(demo) as session, demo.test_request_context():
        row = application(session, decided)
        transitions.move(session, row, "in_review", role="reviewer", actor="staff:1")
        transitions.move(session, row, "rejected", role="reviewer", actor="staff:1")
        session.commit()
    unsent = draft(demo, "13800000002")

    shown = _all(queue_pages(staff_client(demo, "reviewer1")))

    assert shown == [open_one]
    assert decided not in shown and unsent not in shown


def _sort_key(sort: str):
    return {
        "sla": lambda f: (f["due"], f["id"]),
        "risk": lambda f: (-f["risk"], -f["id"]),
        "amount": lambda f: (-f["amount"], -f["id"]),
        "age": lambda f: (f["submitted_at"], f["id"]),
    }[sort]


def test_sorting_orders_the_whole_queue_across_pages(busy):
    facts = _facts(busy)
    reviewer1 = staff_client(busy, "reviewer1")
    # Decision dates and scores differ, so each order means something.
    assert len({f["due"] for f in facts.values()}) > 5
    assert len({f["risk"] for f in facts.values()}) > 3

    for sort in ("sla", "risk", "amount", "age"):
        expected = sorted(facts, key=lambda reference, sort=sort: _sort_key(sort)(facts[reference]))

        shown = _all(queue_pages(reviewer1, f"sort={sort}"))

        assert shown == expected, sort
    assert _all(queue_pages(reviewer1)) == sorted(facts, key=lambda r: _sort_key("sla")(facts[r]))  # default


def test_sixty_applications_page_by_page_each_exactly_once(app):
    references = crowd(app, 60)
    reviewer1 = staff_client(app, "reviewer1")

    for query in ("", "sort=risk", "sort=amount", "sort=age"):
        pages = queue_pages(reviewer1, query)

        assert [len(page) for page in pages] == [25, 25, 10], query
        shown = _all(pages)
        assert len(shown) == len(set(shown)) == 60, query
        assert set(shown) == set(references), query
    assert queue_total(reviewer1) == 60


def test_a_tampered_cursor_is_ignored_not_an_error(demo):
    submitted(demo, URBAN)
    reviewer1 = staff_client(demo, "reviewer1")

    for after in ("not-a-cursor", "2026-13-45|x", "|", "9" * 200, "abc|1"):
        response = reviewer1.get("/staff/queue", query_string={"after": after, "sort": "sla"})
        assert response.status_code == 200, after
    for after in ("abc|1", "x|y"):
        assert reviewer1.get("/staff/queue", query_string={"after": after, "sort": "risk"}).status_code == 200


def test_the_number_of_sql_statements_does_not_grow_with_the_rows_shown(app):
    references = crowd(app, 25)
    reviewer1 = staff_client(app, "reviewer1")
    with database(app) as session:
        later = session.scalars(select(Application).where(Application.reference.in_(references[5:]))).all()
        for row in later:
            row.status = "withdrawn"  # out of the queue for the first count
        session.commit()
    assert len(_all(queue_pages(reviewer1))) == 5
    reviewer1.get("/staff/queue")  # warm up (first-use queries such as the translations are not the point)
    five, _page = statements_of_get(app, reviewer1, "/staff/queue")

    with database(app) as session:
        for row in session.scalars(select(Application).where(Application.reference.in_(references[5:]))):
            row.status = "submitted"
        session.commit()
    assert len(queue_pages(reviewer1)[0]) == 25
    twenty_five, _page = statements_of_get(app, reviewer1, "/staff/queue")

    assert five == twenty_five, (five, twenty_five)
    assert twenty_five <= 10, twenty_five


def test_a_queue_longer_than_the_cap_says_more_than_the_cap_and_still_pages_through_every_row(
    app, monkeypatch
):
    from portal.applications import queue as queue_module

    references = crowd(app, 8)
    reviewer1 = staff_client(app, "reviewer1")
    monkeypatch.setattr(queue_module, "TOTAL_CAP", 5)
    monkeypatch.setattr(queue_module, "PAGE_SIZE", 3)

    html = reviewer1.get("/staff/queue").get_data(as_text=True)
    assert text(app, "More than %(num)s applications", num="5") in html
    assert queue_total(reviewer1) == 5
    assert sorted(_all(queue_pages(reviewer1))) == sorted(references)  # the cap is on the count only
    assert queue_total(reviewer1, "status=in_review") == 0  # a short list is counted exactly
