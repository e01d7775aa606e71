"""The kept dashboard (portal/web/page_cache.py): a repeat view reads only the session check, and a page is never shown
once anything on it changed, whoever wrote the change and however (a service, plain SQL, another worker)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, text

from portal import db, i18n
from portal.applications.models import Application
from portal.core import outbox
from portal.loans import services
from portal.loans.models import Loan
from portal.loans.positions import loan_position
from portal.people.models import Borrower
from portal.web.page_cache import PageCache
from tests.helpers.common import BUSINESS_DATE, CSRF_RE, sign_in, statements_of_get

OVERDUE = "13800000001"  # one overdue loan, no application
TOTAL_RE = re.compile(r'data-testid="total-to-bring-current">([^<]*)<')
KEY_RE = re.compile(r'name="key" type="hidden" value="([^"]+)"')


def _signed_in(app, phone: str = OVERDUE):
    client = app.test_client()
    assert sign_in(client, phone).status_code == 302
    return client


def _version(app, phone: str = OVERDUE) -> int:
    with app.app_context():
        return db.session.scalar(select(Borrower.view_version).where(Borrower.phone == phone))


def _total(app, phone: str = OVERDUE) -> str:
    """The total to bring the loan current as the dashboard should show it now, computed afresh."""
    with app.test_request_context():
        loan = db.session.scalars(select(Loan).join(Borrower).where(Borrower.phone == phone)).one()
        return i18n.money(loan_position(db.session, loan, BUSINESS_DATE).report.total_to_bring_current)


def test_a_repeat_view_of_the_dashboard_reads_only_the_session_check(demo):
    client = _signed_in(demo)
    first, page = statements_of_get(demo, client, "/")
    again, kept = statements_of_get(demo, client, "/")

    assert first >= 4  # the loans, their ledger, the applications and the messages
    assert again == 1  # the borrower row: session version and view version
    assert TOTAL_RE.findall(kept) == TOTAL_RE.findall(page) == [_total(demo)]


def test_a_borrower_never_gets_another_borrowers_kept_page(demo):
    with demo.app_context():
        phones = db.session.scalars(
            select(Borrower.phone).join(Loan).distinct().order_by(Borrower.phone)
        ).all()
    first, second = phones[0], phones[1]
    mine = _signed_in(demo, first)
    mine.get("/")
    assert mine.get("/").headers["Cache-Control"] == "no-store"  # kept here, never in a browser or a proxy

    theirs = _signed_in(demo, second).get("/").get_data(as_text=True)

    with demo.app_context():
        rows = db.session.execute(
            select(Borrower.phone, Loan.number).join(Loan).where(Borrower.phone.in_(phones[:2]))
        ).all()
        numbers = {phone: number for phone, number in rows}
    assert numbers[second] in theirs and numbers[first] not in theirs


def test_a_payment_shows_on_the_very_next_view(demo):
    client = _signed_in(demo)
    before = TOTAL_RE.findall(client.get("/").get_data(as_text=True))
    with demo.app_context():
        loan = db.session.scalars(select(Loan).join(Borrower).where(Borrower.phone == OVERDUE)).one()
        services.record_payment(
            db.session, loan, reference="KEPT-PAY-1", amount=Decimal("100.00"), paid_on=BUSINESS_DATE
        )
        db.session.commit()

    after = TOTAL_RE.findall(client.get("/").get_data(as_text=True))

    assert after == [_total(demo)]
    assert after != before


def test_a_message_for_the_borrower_shows_on_the_very_next_view(demo):
    client = _signed_in(demo)
    assert "Your plan was looked at" not in client.get("/").get_data(as_text=True)
    with demo.app_context():
        borrower = db.session.scalar(select(Borrower).where(Borrower.phone == OVERDUE))
        outbox.queue(db.session, borrower, kind="decision", body="Your plan was looked at", channel="portal")
        db.session.commit()

    assert "Your plan was looked at" in client.get("/").get_data(as_text=True)


def test_a_write_in_plain_sql_raises_the_view_version_of_the_borrower_it_touches(demo):
    """The database raises the version, so no write path can forget to: payments, schedules, loans,
    applications and messages, on insert, update and delete."""
    with demo.app_context():
        loan = db.session.scalars(select(Loan).join(Borrower).where(Borrower.phone == OVERDUE)).one()
        version_id = db.session.execute(
            text("SELECT id FROM schedule_versions WHERE loan_id = :loan ORDER BY version DESC"),
            {"loan": loan.id},
        ).scalar()
        loan_id, borrower_id = loan.id, loan.borrower_id
    writes = [
        (
            "INSERT INTO payments (loan_id, schedule_version_id, reference, paid_on, amount_fen, channel, created_at)"
            " VALUES (:loan, :version, 'SQL-PAY-1', :day, 1000, 'bank', :day)"
        ),
        "UPDATE payments SET amount_fen = 2000 WHERE reference = 'SQL-PAY-1'",
        "DELETE FROM payments WHERE reference = 'SQL-PAY-1'",
        "UPDATE loans SET status = status WHERE id = :loan",
        (
            "INSERT INTO notifications (borrower_id, channel, kind, locale, body, created_at, not_before, urgent)"
            " VALUES (:borrower, 'portal', 'note', 'zh_Hans', 'x', :day, :day, false)"
        ),
        "DELETE FROM notifications WHERE borrower_id = :borrower AND kind = 'note'",
    ]
    for sql in writes:
        before = _version(demo)
        with demo.app_context():
            db.session.execute(
                text(sql),
                {"loan": loan_id, "version": version_id, "borrower": borrower_id, "day": BUSINESS_DATE},
            )
            db.session.commit()
        assert _version(demo) == before + 1, sql


def test_a_loan_moved_to_another_borrower_changes_both_borrowers_pages(demo):
    with demo.app_context():
        loan = db.session.scalars(select(Loan).join(Borrower).where(Borrower.phone == OVERDUE)).one()
        other = db.session.scalar(select(Borrower).where(Borrower.phone != OVERDUE).order_by(Borrower.id))
        loan_id, other_id, other_phone = loan.id, other.id, other.phone
    before = (_version(demo), _version(demo, other_phone))
    with demo.app_context():
        db.session.execute(
            text("UPDATE loans SET borrower_id = :b WHERE id = :l"), {"b": other_id, "l": loan_id}
        )
        db.session.commit()

    assert (_version(demo), _version(demo, other_phone)) == (before[0] + 1, before[1] + 1)


def test_an_application_started_from_the_dashboard_shows_on_return(demo):
    client = _signed_in(demo)
    page = client.get("/").get_data(as_text=True)
    number = re.search(r'href="/loans/([^/"]+)/help"', page).group(1)
    page = client.get(f"/loans/{number}/help").get_data(as_text=True)  # the start page holds the button
    response = client.post(
        f"/loans/{number}/help",
        data={"csrf_token": CSRF_RE.search(page).group(1), "key": KEY_RE.search(page).group(1)},
    )
    assert response.status_code == 303
    with demo.app_context():
        reference = db.session.scalar(select(Application.reference).order_by(Application.id.desc()))

    assert reference in client.get("/").get_data(as_text=True)


def test_a_kept_page_carries_this_sessions_token_and_new_form_keys(demo):
    mine, theirs = _signed_in(demo), _signed_in(demo)
    first = mine.get("/").get_data(as_text=True)
    second = mine.get("/").get_data(as_text=True)  # kept
    other = theirs.get("/").get_data(as_text=True)  # kept, another session of the same borrower

    # The dashboard's "ask for a plan" is a link to the start page now; any form key a kept page carries
    # (the support code's) is still new on every view.
    assert not set(KEY_RE.findall(first)) & set(KEY_RE.findall(second)) & set(KEY_RE.findall(other)) - {None}
    assert "<!" not in second.replace("<!doctype", "")  # no placeholder left behind
    # Each session's token is its own: the other session's is refused, its own signs it out.
    assert theirs.post("/sign-out", data={"csrf_token": CSRF_RE.search(second).group(1)}).status_code == 400
    assert theirs.post("/sign-out", data={"csrf_token": CSRF_RE.search(other).group(1)}).status_code == 302
    assert mine.post("/sign-out", data={"csrf_token": CSRF_RE.search(second).group(1)}).status_code == 302


def test_the_language_and_the_business_date_are_part_of_what_is_kept(demo):
    client = _signed_in(demo)
    chinese = client.get("/").get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": "/", "csrf_token": CSRF_RE.search(page).group(1)})
    english = client.get("/").get_data(as_text=True)
    assert "<h1>我的贷款</h1>" in chinese
    assert "<h1>Your loans</h1>" in english

    demo.config["BUSINESS_DATE"] = BUSINESS_DATE + timedelta(days=40)
    later = client.get("/").get_data(as_text=True)

    assert TOTAL_RE.findall(later) != TOTAL_RE.findall(english)


def test_a_flashed_message_shows_once_and_is_never_kept(demo):
    client = _signed_in(demo)
    client.get("/")
    client.get("/")  # kept
    with client.session_transaction() as cookie:
        cookie["_flashes"] = [("info", "A note for this view only")]

    shown = client.get("/").get_data(as_text=True)
    again = client.get("/").get_data(as_text=True)

    assert "A note for this view only" in shown
    assert "A note for this view only" not in again


def test_a_live_support_code_is_never_served_from_a_kept_page(demo):
    client = _signed_in(demo)
    page = client.get("/").get_data(as_text=True)
    client.post("/support-code", data={"csrf_token": CSRF_RE.search(page).group(1)})
    shown = client.get("/").get_data(as_text=True)
    again = client.get("/").get_data(as_text=True)

    code = re.search(r'data-testid="support-code">(\d{6})<', shown).group(1)
    assert re.search(r'data-testid="support-code">(\d{6})<', again).group(1) == code
    assert 'class="notice notice-info"' in shown and 'class="notice notice-info"' not in again


def test_the_store_drops_the_least_recently_used_page_when_full():
    store = PageCache(2, seconds=60)
    for n in range(3):
        store.put(("page", n), f"page {n}")
    assert store.get(("page", 1)) == "page 1"  # now the most recently used
    store.put(("page", 3), "page 3")

    assert [n for n in range(4) if store.get(("page", n)) is not None] == [1, 3]


def test_the_store_keeps_nothing_at_size_zero_and_nothing_past_its_time(monkeypatch):
    assert PageCache(0, seconds=60).get(("page",)) is None
    off = PageCache(0, seconds=60)
    off.put(("page",), "page")
    assert off.get(("page",)) is None

    clock = [1000.0]
    monkeypatch.setattr("portal.web.page_cache.time.monotonic", lambda: clock[0])
    store = PageCache(10, seconds=60)
    store.put(("page",), "page")
    clock[0] += 60
    assert store.get(("page",)) == "page"
    clock[0] += 1
    assert store.get(("page",)) is None
