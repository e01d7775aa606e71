"""What an agent can learn about a borrower before verifying the caller (issue 17): no listing of borrowers, searches
exact, posted, throttled per agent and audited, a lock that is the agent's own, no "0" for a last payment, the
borrower told when a session opens, a support code never in the cookie, and numbers to dial revealed on the record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from sqlalchemy import select

from portal.loans.models import Loan, Payment
from portal.people.models import Borrower
from portal.support.models import AgentSearch, VerificationAttempt
from portal.support.search import SEARCH_LIMIT
from tests.helpers.agents import (
    RURAL,
    URBAN,
    answers,
    audit_rows,
    borrower_client,
    borrower_id,
    count,
    database,
    find,
    messages,
    staff_client,
    support_code,
    verify_by_code,
    verify_by_questions,
)


def test_an_agent_has_no_borrowers_list(demo):
    """ASVS 4.1.3 / 4.2.1: the staff Borrowers page (every borrower, searchable by phone substring) is not an agent's:
    404, and no link to it."""
    agent = staff_client(demo)

    listing = agent.get("/staff/borrowers?q=138")
    home = agent.get("/agent/").get_data(as_text=True)

    assert listing.status_code == 404
    assert "/staff/borrowers" not in home


def test_a_search_in_the_address_finds_nothing(demo):
    """ASVS 8.3.1: a phone number or birth date is never taken from the URL (it would sit in logs and history)."""
    agent = staff_client(demo)

    html = agent.get(f"/agent/find?phone={RURAL}").get_data(as_text=True)

    with database(demo) as session:
        masked = session.scalar(select(Borrower).where(Borrower.phone == RURAL)).masked_phone
    assert masked not in html
    assert count(demo, AgentSearch) == 0


def test_every_search_is_audited_without_the_birth_date_in_clear(demo):
    """ASVS 7.1.3 / 8.3.5: who searched, how, how many were found; what was searched for only as a keyed hash."""
    agent = staff_client(demo)
    with database(demo) as session:
        b = session.scalar(select(Borrower).where(Borrower.phone == URBAN))
        name, birth = b.name, b.birth_date.isoformat()

    find(agent, name=name, birth_date=birth)
    find(agent, phone="13899999999")

    rows = audit_rows(demo, action="caller.searched")
    assert [(r.data["kind"], r.data["results"]) for r in rows] == [("name_birth", 1), ("phone", 0)]
    assert all(r.actor.startswith("staff:") for r in rows)
    text = repr([(r.data, r.subject, r.on_behalf_of) for r in rows])
    assert birth not in text and name not in text and "13899999999" not in text


def test_searches_are_throttled_per_agent_with_a_translated_message(demo):
    """ASVS 2.2.1 (anti-automation): guessing a birth date one day after another stops after a handful of searches
    in 10 minutes, counted in the database; the refusal is a 429 with a message in the agent's language, and on
    the record."""
    with database(demo) as session:
        name = session.scalar(select(Borrower.name).where(Borrower.phone == URBAN))
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        agent = staff_client(demo)
        tries = [
            find(agent, name=name, birth_date=(date(1988, 1, 1) + timedelta(days=n)).isoformat())
            for n in range(SEARCH_LIMIT + 1)
        ]
        refused = tries[-1]
        other_agent_ok = find(staff_client(demo, "reviewer1"), phone=URBAN).status_code  # not an agent: 404
        clock.shift(timedelta(minutes=10, seconds=1))
        later = find(agent, phone=URBAN)

    assert [t.status_code for t in tries[:-1]] == [200] * SEARCH_LIMIT
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "分钟后再试" in refused.get_data(as_text=True)
    assert other_agent_ok == 404
    assert later.status_code == 200
    assert len(audit_rows(demo, action="caller.search_refused")) == 1


def _never_paid(app) -> int:
    with database(app) as session:
        paid = select(Loan.borrower_id).join(Payment, Payment.loan_id == Loan.id)
        return session.scalars(
            select(Borrower.id).where(Borrower.id.not_in(paid)).order_by(Borrower.id)
        ).first()


def test_a_borrower_who_never_paid_cannot_be_verified_by_questions(demo):
    """ASVS 2.5.x / 4.1.x: "0" for the last payment is an answer anyone can give; a caller who never paid is
    verified by their support code. "0" is refused at the field for everyone, so the page tells nothing."""
    target = _never_paid(demo)
    assert target is not None
    with database(demo) as session:
        b = session.get(Borrower, target)
        right = {"id_last4": b.id_number[-4:], "birth_date": b.birth_date.isoformat()}
    agent = staff_client(demo)

    zero = verify_by_questions(agent, target, {**right, "last_payment": "0"})
    guessed = verify_by_questions(agent, target, {**right, "last_payment": "100.00"})

    assert zero.status_code == 200 and "支持码" in zero.get_data(as_text=True)
    assert guessed.status_code == 200
    assert audit_rows(demo, action="assist.started") == []
    with database(demo) as session:
        assert [a.outcome for a in session.scalars(select(VerificationAttempt))] == ["failed"]


def test_the_borrower_is_told_at_once_when_an_agent_session_opens(demo):
    """ASVS 2.2.3 / 3.x: a session opened for a borrower is announced to them (a text message that quiet hours do
    not hold, and a portal message), so an impostor's call does not go unnoticed."""
    verify_by_questions(staff_client(demo), borrower_id(demo, URBAN), answers(demo, URBAN))

    [sms] = [m for m in messages(demo, URBAN, "sms") if m.kind == "assist_started"]
    [portal] = [m for m in messages(demo, URBAN, "portal") if m.kind == "assist_started"]
    assert sms.urgent and sms.body == portal.body
    assert "400-800-9600" in sms.body


def test_the_find_page_hint_is_nobodys_birth_date(demo):
    """ASVS 8.3.x: the example date on the agent's pages is not a real borrower's birth date."""
    html = staff_client(demo).get("/agent/find").get_data(as_text=True)
    with database(demo) as session:
        births = {d.isoformat() for d in session.scalars(select(Borrower.birth_date))}

    import re

    shown = set(re.findall(r"(?<!\d)(?:19|20)\d\d-\d\d-\d\d(?!\d)", html))
    assert shown and not (shown & births)


def test_the_support_code_is_never_in_the_session_cookie(demo):
    """ASVS 3.2.3 / 8.3.x: the signed cookie is readable by whoever holds it: it names the code's row, never the
    code; the dashboard still shows the code while it lives."""
    borrower = borrower_client(demo, RURAL)
    code = support_code(borrower)
    cookie = borrower.get_cookie(demo.config["SESSION_COOKIE_NAME"])
    serializer = demo.session_interface.get_signing_serializer(demo)

    contents = serializer.loads(cookie.value)

    assert code not in repr(contents)
    assert isinstance(contents.get("support_code_id"), int)
    assert code in borrower.get("/").get_data(as_text=True)
    assert verify_by_code(staff_client(demo), borrower_id(demo, RURAL), code).status_code == 303
    assert code not in borrower.get("/").get_data(as_text=True)  # used: gone


def test_a_number_to_dial_is_masked_until_revealed_on_the_record(demo):
    """ASVS 8.3.x / 7.1.3: the agent's page lists callbacks masked; the whole number comes from a POST that writes
    an audit row."""
    from portal.support import help as help_service

    with database(demo) as session:
        urban = session.scalar(select(Borrower).where(Borrower.phone == URBAN))
        row, _created = help_service.request_help(
            session,
            urban,
            kind="callback",
            window="evening",
            note="",
            create_key="reveal-test-1",
            actor=f"borrower:{urban.id}",
        )
        session.commit()
        request_id = row.id
    agent = staff_client(demo)

    listed = agent.get("/agent/").get_data(as_text=True)
    requests_page = agent.get("/staff/help-requests").get_data(as_text=True)
    revealed = agent.submit(f"/agent/help-requests/{request_id}/number", {}, page="/agent/")

    assert URBAN not in listed and URBAN not in requests_page
    assert revealed.status_code == 200 and URBAN in revealed.get_data(as_text=True)
    [audit] = audit_rows(demo, action="phone.revealed")
    assert audit.actor.startswith("staff:") and audit.data == {"for": f"help:{request_id}"}
