"""Who reaches the agents' pages: every /agent id route, tried by everyone it is not for, answers 404 and changes
nothing; and the agent's own page (today's callbacks, recent calls with notes, open sessions)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal import clock
from portal.core.models import AuditEvent
from portal.people.models import Borrower, StaffUser
from portal.support import help as help_service
from portal.support.models import AssistedSession, Callback, CallNote, VerificationAttempt
from tests.helpers.agents import (
    RURAL,
    URBAN,
    add_agent,
    assisting,
    audit_rows,
    borrower_client,
    borrower_id,
    database,
    open_sessions,
    staff_client,
)

# The kinds KNOWN_ID_ROUTES in tests/security/test_security_object_access.py gives these routes.
KINDS = {
    "agents.verify": "agent",
    "agents.verify_code": "agent",
    "agents.verify_questions": "agent",
    "agents.borrower": "agent_borrower",
    "agents.add_note": "agent_borrower",
    "agents.add_callback": "agent_borrower",
    "agents.callback_done": "agent_own",
    "agents.end_session": "agent_own",
    "agents.reveal_callback_number": "agent_own",
    "agents.reveal_request_number": "agent_own",
}


def _routes(app, kind: str, ids: dict) -> list[tuple[str, set, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if KINDS.get(rule.endpoint) == kind:
            url = rule.rule
            for name in rule.arguments:
                url = url.replace(f"<int:{name}>", str(ids[name]))
            routes.append((rule.endpoint, rule.methods & {"GET", "POST"}, url))
    return routes


def _counts(app) -> dict:
    with database(app) as session:
        return {
            m.__tablename__: session.scalar(select(func.count()).select_from(m))
            for m in (AuditEvent, AssistedSession, CallNote, Callback, VerificationAttempt)
        }


def _outsider(app, who: str):
    if who == "anonymous":
        client = app.test_client()
        return client, client.csrf_token("/sign-in")
    if who.startswith("borrower:"):
        client = borrower_client(app, who.split(":")[1])
        return client, client.csrf_token("/")
    client = staff_client(app, who.split(":")[1])
    return client, client.csrf_token("/staff/account/password")


def _try(app, routes, who, client, token) -> list[str]:
    leaks = []
    form = {"csrf_token": token, "code": "123456", "body": "x", "due_on": "2026-12-01", "due_time": "10:00"}
    for _endpoint, methods, url in routes:
        if "GET" in methods and client.get(url).status_code != 404:
            leaks.append(f"GET {url} as {who}")
        if "POST" in methods and client.post(url, data=form).status_code != 404:
            leaks.append(f"POST {url} as {who}")
    return leaks


def test_every_agent_id_route_is_classified(app):
    found = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("agents.") and r.arguments}
    assert found == set(KINDS)


def test_agent_routes_are_404_for_everyone_but_agents(demo):
    ids = {"borrower_id": borrower_id(demo, RURAL)}
    routes = _routes(demo, "agent", ids)
    outsiders = ["anonymous", "borrower:13800000002", "staff:reviewer1", "staff:senior1", "staff:admin1"]
    clients = {who: _outsider(demo, who) for who in outsiders}
    before = _counts(demo)

    leaks = [leak for who, (c, t) in clients.items() for leak in _try(demo, routes, who, c, t)]

    assert leaks == []
    assert _counts(demo) == before
    assert staff_client(demo).get(f"/agent/borrowers/{ids['borrower_id']}/verify").status_code == 200


def test_borrower_record_routes_need_a_verified_session_for_that_very_borrower(demo):
    ids = {"borrower_id": borrower_id(demo, RURAL)}
    routes = _routes(demo, "agent_borrower", ids)
    clients = {
        who: _outsider(demo, who)
        for who in (
            "anonymous",
            "borrower:13800000002",
            "borrower:13800000001",
            "staff:reviewer1",
            "staff:admin1",
        )
    }
    clients["agent without a session"] = _outsider(demo, "staff:agent1")
    for_other = assisting(demo, URBAN)
    clients["agent with a session for someone else"] = (for_other, for_other.csrf_token("/agent/"))
    before = _counts(demo)

    leaks = [leak for who, (c, t) in clients.items() for leak in _try(demo, routes, who, c, t)]

    assert leaks == []
    assert _counts(demo) == before
    assert assisting(demo, RURAL).get(f"/agent/borrowers/{ids['borrower_id']}").status_code == 200


def test_an_agents_own_callbacks_and_sessions_are_theirs_alone(demo):
    add_agent(demo)
    owner = assisting(demo, RURAL)
    owner.submit(
        f"/agent/borrowers/{borrower_id(demo, RURAL)}/callbacks",
        {"due_on": "2026-12-01", "due_time": "10:00", "note": "after harvest"},
        page="/agent/",
    )
    with database(demo) as session:
        callback_id = session.scalar(select(Callback.id))
    [live] = open_sessions(demo)
    routes = _routes(
        demo, "agent_own", {"callback_id": callback_id, "session_id": live.id, "request_id": 999999}
    )
    outsiders = ["anonymous", "borrower:13800000002", "staff:reviewer1", "staff:admin1", "staff:agent2"]
    clients = {who: _outsider(demo, who) for who in outsiders}
    before = _counts(demo)

    leaks = [leak for who, (c, t) in clients.items() for leak in _try(demo, routes, who, c, t)]

    assert leaks == []
    assert _counts(demo) == before
    assert open_sessions(demo) != []


@pytest.fixture
def morning():
    """10:00 in the institution's time zone (Beijing), so later today is still within calling hours."""
    with time_machine.travel(datetime(2026, 11, 29, 2, 0, tzinfo=UTC), tick=False):
        yield


def test_notes_and_callbacks_on_the_record_and_the_agents_own_page(demo, morning):
    agent = assisting(demo, RURAL)
    target = borrower_id(demo, RURAL)
    record = f"/agent/borrowers/{target}"
    assert agent.get(record).status_code == 200
    with demo.app_context():
        today = clock.business_date()

    note = agent.submit(
        f"{record}/notes", {"body": "Harvest in October; wants a seasonal plan."}, page=record
    )
    callback = agent.submit(
        f"{record}/callbacks",
        {"due_on": today.isoformat(), "due_time": "20:59", "note": "Check the offer"},
        page=record,
    )
    later = agent.submit(
        f"{record}/callbacks",
        {"due_on": (today + timedelta(days=7)).isoformat(), "due_time": "09:00", "note": "Next week"},
        page=record,
    )
    home = agent.get("/agent/").get_data(as_text=True)

    assert note.status_code == callback.status_code == later.status_code == 303
    assert "Harvest in October; wants a seasonal plan." in home  # recent calls, with the note
    assert "Check the offer" in home  # due today
    assert "Next week" not in home  # not today
    assert "王大山" in home  # the open session and the call
    viewed = audit_rows(demo, action="borrower.viewed")
    assert viewed and viewed[0].on_behalf_of == f"borrower:{target}" and viewed[0].channel == "phone"
    for action in ("call.noted", "callback.scheduled"):
        [row] = audit_rows(demo, action=action)[:1]
        assert row.on_behalf_of == f"borrower:{target}" and row.channel == "phone"


def test_a_callback_marked_made_leaves_the_list(demo, morning):
    agent = assisting(demo, RURAL)
    target = borrower_id(demo, RURAL)
    with demo.app_context():
        today = clock.business_date()
    agent.submit(
        f"/agent/borrowers/{target}/callbacks",
        {"due_on": today.isoformat(), "due_time": "20:58", "note": "Ring back"},
        page="/agent/",
    )
    with database(demo) as session:
        callback_id = session.scalar(select(Callback.id))

    response = agent.submit(f"/agent/callbacks/{callback_id}/done", {}, page="/agent/")

    assert response.status_code == 303
    assert "Ring back" not in agent.get("/agent/").get_data(as_text=True)


def test_a_note_needs_words_and_a_callback_a_date(demo):
    agent = assisting(demo, RURAL)
    record = f"/agent/borrowers/{borrower_id(demo, RURAL)}"

    empty = agent.submit(f"{record}/notes", {"body": ""}, page=record)
    no_date = agent.submit(f"{record}/callbacks", {"due_on": "", "due_time": "10:00"}, page=record)

    assert empty.status_code == no_date.status_code == 200
    assert 'class="error-summary"' in empty.get_data(as_text=True)
    with database(demo) as session:
        assert session.scalar(select(func.count()).select_from(CallNote)) == 0
        assert session.scalar(select(func.count()).select_from(Callback)) == 0


@pytest.mark.parametrize(
    ("days", "at", "message"),
    [
        (0, "22:30", "08:00至21:00之间回电"),
        (1, "07:59", "08:00至21:00之间回电"),
        (0, "09:30", "还没过去的时间"),
        (-1, "12:00", "还没过去的时间"),
        (91, "12:00", "90天以内的时间"),
    ],
)
def test_a_callback_is_refused_in_quiet_hours_in_the_past_or_too_far_ahead(demo, morning, days, at, message):
    agent = assisting(demo, RURAL)
    record = f"/agent/borrowers/{borrower_id(demo, RURAL)}"
    with demo.app_context():
        day = clock.business_date() + timedelta(days=days)

    response = agent.submit(f"{record}/callbacks", {"due_on": day.isoformat(), "due_time": at}, page=record)

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with database(demo) as session:
        assert session.scalar(select(func.count()).select_from(Callback)) == 0


def test_an_agent_lands_on_their_own_page(demo):
    agent = staff_client(demo)

    response = agent.get("/staff/")

    assert response.status_code == 302 and response.headers["Location"].endswith("/agent/")


def test_a_borrowers_call_back_request_waits_on_the_agents_page_until_done(demo):
    with database(demo) as session:
        urban = session.scalar(select(Borrower).where(Borrower.phone == URBAN))
        help_service.request_help(
            session,
            urban,
            kind="callback",
            window="evening",
            note="After work, please",
            create_key="agents-page-1",
            actor=f"borrower:{urban.id}",
        )
        session.commit()
    agent = staff_client(demo)

    waiting = agent.get("/agent/").get_data(as_text=True)
    with database(demo) as session:
        row = help_service.open_requests(session, kind="callback")[0]
        help_service.mark_done(
            session,
            row,
            session.scalar(select(StaffUser).where(StaffUser.username == "agent1")),
            actor="staff:agent1",
        )
        session.commit()
    after = agent.get("/agent/").get_data(as_text=True)

    assert 'id="asked-callbacks"' in waiting and "After work, please" in waiting
    assert URBAN not in waiting and "138****0001" in waiting  # masked: the whole number is an audited reveal
    assert 'id="asked-callbacks"' not in after and "After work, please" not in after


def test_an_agent_can_ask_for_a_call_back_for_the_caller_and_it_is_on_the_record_as_by_phone(demo):
    agent = assisting(demo, URBAN)
    page = agent.get("/help/callback").get_data(as_text=True)
    assert 'id="help-callback-form"' in page

    key = re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)

    response = agent.submit(
        "/help/callback",
        {"key": key, "window": "evening", "note": "Asked on the phone"},
        page="/help/callback",
    )

    assert response.status_code == 303
    with database(demo) as session:
        [row] = help_service.open_requests(session, kind="callback")
        urban_id = session.scalar(select(Borrower.id).where(Borrower.phone == URBAN))
        assert (row.borrower_id, row.channel) == (urban_id, "phone")
        [audit] = session.scalars(select(AuditEvent).where(AuditEvent.action.like("help%"))).all()
        assert audit.on_behalf_of == f"borrower:{urban_id}" and audit.channel == "phone"
        assert audit.actor.startswith("staff:")
