"""Object-level access: a page about another person's record, or for another role, answers 404 and changes nothing.

Every route with a URL variable must be listed in KNOWN_ID_ROUTES with who owns what it points at; the generic test
below then tries it, with the owner's real ids, as other borrowers, as staff of every role and anonymously.
"""

from __future__ import annotations

import io
import re

import pytest
from flask import url_for
from sqlalchemy import func, select

from portal.applications import transitions
from portal.applications.models import Application, Evidence
from portal.loans.models import Loan
from portal.people.models import Borrower
from tests.helpers.common import BUSINESS_DATE, fill_draft, sign_in
from tests.helpers.files import PNG
from tests.helpers.security import PASSWORD, database, loan_number, location_path, row_counts, staff_sign_in

OWNER = "13800000001"
# endpoint -> whose record the URL names. "borrower": one borrower's own record, for that borrower only.
# "staff_case": a submitted application as a case, for reviewers and senior reviewers (admins may read it); a
# borrower's unsent draft is not a case for anyone on the staff side.
# A new id route fails `test_every_id_route_is_listed` until it is classified here (and so tested below).
KNOWN_ID_ROUTES = {
    "static": "public",
    "borrower.loan": "borrower",
    "borrower.schedule_version": "borrower",
    "borrower.start_page": "borrower",
    "borrower.start_application": "borrower",
    "borrower.hardship_step": "borrower",
    "borrower.money_step": "borrower",
    "borrower.spending_step": "borrower",
    "borrower.evidence_step": "borrower",
    "borrower.delete_evidence": "borrower",
    "borrower.download_evidence": "borrower",
    "borrower.options_step": "borrower",
    "borrower.option_schedule": "borrower",
    "borrower.plan_step": "borrower",
    "borrower.propose_step": "borrower",
    "borrower.check_step": "borrower",
    "borrower.application": "borrower",
    "borrower.withdraw": "borrower",
    "borrower.appeal": "borrower",
    "borrower.confirm_withdraw": "borrower",
    "borrower.answer": "borrower",
    "borrower.offer": "borrower",
    "borrower.offer_code": "borrower",
    "borrower.accept": "borrower",
    "borrower.decline": "borrower",
    "borrower.agreement": "borrower",
    "staff.case": "staff_case",
    "staff.claim": "staff_case",
    "staff.release": "staff_case",
    "staff.reassign": "staff_case",
    "staff.approve": "staff_case",
    "staff.reject": "staff_case",
    "staff.request_information": "staff_case",
    "staff.counter": "staff_case",
    "staff.case_evidence": "staff_case",
    "staff.case_schedule": "staff_case",
    # Phone agents (tested in tests/agents/test_agents_access.py). "agent": any phone agent, nobody else.
    # "agent_borrower": only an agent with a live verified assisted session for that borrower.
    # "agent_own": only the agent whose callback or session it is.
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
    "staff.change_variant": "staff_case",
    # "staff_borrower": any borrower's record, for reviewers, senior reviewers and admins (tested below).
    "staff.change_borrower_variant": "staff_borrower",
    # A borrower's request for help, for the agents and admins who handle it (tests/variants/test_variants_help.py).
    "staff.help_request_done": "staff_help",
}
# GET pages the owner of a fresh draft application cannot open yet (so no control that the URL is real).
NOT_FOR_A_DRAFT = {"borrower.agreement"}
INTRUDERS = [
    "borrower:13800000002",
    "borrower:13800000004",
    "anonymous",
    "staff:reviewer1",
    "staff:senior1",
    "staff:agent1",
    "staff:admin1",
]


def test_every_id_route_is_listed(app):
    id_routes = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules() if rule.arguments}

    missing = {endpoint: path for endpoint, path in id_routes.items() if endpoint not in KNOWN_ID_ROUTES}

    assert not missing, f"id routes without an access test (classify them in KNOWN_ID_ROUTES): {missing}"
    gone = set(KNOWN_ID_ROUTES) - set(id_routes)
    assert not gone, f"listed but no longer in the app: {gone}"
    assert set(KNOWN_ID_ROUTES.values()) <= {
        "public",
        "borrower",
        "staff_case",
        "agent",
        "agent_borrower",
        "agent_own",
        "staff_help",
        "staff_borrower",
    }, "a new kind of owner needs its own access test"


def _viewer(app, who: str):
    """A client signed in as `who`, and a CSRF token from its own session (so only access can stop it)."""
    client = app.test_client()
    if who.startswith("borrower:"):
        sign_in(client, who.split(":", 1)[1])
        return client, client.csrf_token("/")
    if who.startswith("staff:"):
        staff_sign_in(client, who.split(":", 1)[1])
        return client, client.csrf_token("/staff/")
    return client, client.csrf_token("/sign-in")


@pytest.fixture
def owned(demo, app):
    """Borrower 13800000001 with a draft application and one evidence file: (owner client, the real ids)."""
    owner = app.test_client()
    sign_in(owner, OWNER)
    number = loan_number(demo, OWNER)
    started = owner.submit(f"/loans/{number}/help", {"key": "access-test-key-000001"}, page="/")
    assert started.status_code == 303
    reference = location_path(started).split("/")[2]
    uploaded = owner.submit(
        f"/applications/{reference}/evidence",
        {"file": (io.BytesIO(PNG), "payslip.png")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 303
    with database(demo) as session:
        token = session.scalars(select(Evidence.token)).one()
    return owner, {
        "loan_number": number,
        "version": 1,
        "reference": reference,
        "token": token,
        "kind": "extension",
    }


def _borrower_routes(app, ids: dict, kind: str = "borrower") -> list[tuple[str, set[str], str]]:
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.arguments and KNOWN_ID_ROUTES.get(rule.endpoint) == kind:
                missing = set(rule.arguments) - set(ids)
                assert not missing, f"{rule.endpoint}: no owner's value for {missing}"
                url = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
                routes.append((rule.endpoint, rule.methods & {"GET", "POST"}, url))
    return sorted(routes)


def _owner_state(app) -> dict:
    """Every column of the owner's application and of its evidence rows."""
    with database(app) as session:
        rows = [
            session.scalars(select(Application)).one(),
            *session.scalars(select(Evidence).order_by(Evidence.id)),
        ]
        return {
            (type(row).__name__, column.key): getattr(row, column.key)
            for row in rows
            for column in type(row).__mapper__.column_attrs
            if column.key != "data"
        }


def test_the_owner_reaches_every_page_of_their_own(owned, app):
    owner, ids = owned

    for endpoint, methods, url in _borrower_routes(app, ids):
        if "GET" in methods and endpoint not in NOT_FOR_A_DRAFT:
            assert owner.get(url).status_code != 404, f"{endpoint}: the owner's own {url} is 404"


def test_every_borrower_id_route_is_404_for_anyone_but_the_owner(owned, app):
    owner, ids = owned
    routes = _borrower_routes(app, ids)
    intruders = {who: _viewer(app, who) for who in INTRUDERS}
    counts = row_counts(app)
    state = _owner_state(app)
    leaks = []

    for who, (intruder, token) in intruders.items():
        form = {"csrf_token": token, "key": "intruder-key-00000001", "code": "123456", "password": PASSWORD}
        for endpoint, methods, url in routes:
            if "GET" in methods:
                response = intruder.get(url)
                if response.status_code != 404:
                    leaks.append(f"GET {url} ({endpoint}) as {who}: {response.status_code}")
                html = without_echo(response, url)
                leaks += [
                    f"GET {url} as {who} shows {s}"
                    for s in (ids["reference"], "payslip.png", "张伟")
                    if s in html
                ]
            if "POST" in methods:
                response = intruder.post(url, data=form)
                if response.status_code != 404:
                    leaks.append(f"POST {url} ({endpoint}) as {who}: {response.status_code}")

    assert leaks == []
    assert row_counts(app) == counts
    assert _owner_state(app) == state
    download = owner.get(f"/applications/{ids['reference']}/evidence/{ids['token']}")
    assert download.status_code == 200
    assert download.data == PNG  # the file is still there, unchanged


def test_borrower_loan_page_is_404_for_anyone_but_its_borrower(demo):
    number = loan_number(demo, OWNER)
    owner = demo.test_client()
    sign_in(owner, OWNER)
    assert owner.get(f"/loans/{number}").status_code == 200  # the page exists for its borrower
    viewers = {who: _viewer(demo, who)[0] for who in INTRUDERS}
    before = row_counts(demo)

    for who, viewer in viewers.items():
        response = viewer.get(f"/loans/{number}")

        assert response.status_code == 404, who
        html = without_echo(response, f"/loans/{number}")
        assert number not in html, who
        assert "张伟" not in html, who  # the owner's name
    assert row_counts(demo) == before


def test_another_borrowers_loan_looks_exactly_like_a_loan_that_does_not_exist(demo, client):
    sign_in(client, "13800000002")
    other = loan_number(demo, OWNER)

    someone_elses = client.get(f"/loans/{other}")
    nonexistent = client.get("/loans/DKCC11999999")

    assert someone_elses.status_code == nonexistent.status_code == 404
    assert other not in without_echo(someone_elses, f"/loans/{other}")
    assert _heading(someone_elses) == _heading(nonexistent)


def without_echo(response, path: str) -> str:
    """The page without the language switcher's echo of the address the visitor typed (their own input)."""
    return response.get_data(as_text=True).replace(f'value="{path}"', 'value=""')


def _heading(response) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)
    assert match
    return match.group(1)


def test_every_borrower_sees_each_of_their_own_loans_and_no_one_elses(demo, app):
    with database(demo) as session:
        owners = session.execute(select(Borrower.phone, Loan.number).join(Loan).order_by(Loan.id)).all()
    assert len(owners) >= 7
    for phone in sorted({phone for phone, _ in owners}):
        client = app.test_client()
        sign_in(client, phone)
        for owner_phone, number in owners:
            expected = 200 if owner_phone == phone else 404
            assert client.get(f"/loans/{number}").status_code == expected, (phone, number)


def test_borrower_cannot_see_the_staff_pages(demo, client):
    sign_in(client, OWNER)

    response = client.get("/staff/borrowers")

    assert response.status_code == 404
    assert "13800000002" not in response.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_staff_sign_in_for_the_staff_pages(demo, client):
    response = client.get("/staff/borrowers")

    assert response.status_code == 302
    assert location_path(response) == "/staff/sign-in"


def test_staff_do_not_get_the_borrower_dashboard(demo, app):
    for username in ("reviewer1", "senior1", "agent1", "admin1"):
        client = app.test_client()
        staff_sign_in(client, username)

        assert client.get("/").status_code == 404, username


# --- staff cases ---------------------------------------------------------------------------------------------

CASE_OUTSIDERS = ["borrower:13800000001", "borrower:13800000002", "anonymous", "staff:agent1"]
STAFF_WHO_READ_CASES = ["staff:reviewer1", "staff:reviewer2", "staff:senior1", "staff:admin1"]


def _with_evidence(app, phone: str, key: str) -> tuple[str, str]:
    """A draft of `phone`'s first loan with one uploaded file, through the borrower's pages: (reference, token)."""
    client = app.test_client()
    sign_in(client, phone)
    started = client.submit(f"/loans/{loan_number(app, phone)}/help", {"key": key}, page="/")
    assert started.status_code == 303
    reference = location_path(started).split("/")[2]
    uploaded = client.submit(
        f"/applications/{reference}/evidence",
        {"file": (io.BytesIO(PNG), "payslip.png")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 303
    with database(app) as session:
        application = session.scalars(select(Application).where(Application.reference == reference)).one()
        return reference, application.evidence[0].token


def _submit(app, reference: str) -> None:
    """Complete and submit a draft with the services the borrower's pages call."""
    with database(app) as session:
        application = session.scalars(select(Application).where(Application.reference == reference)).one()
        fill_draft(session, application, BUSINESS_DATE, account="Hours cut.")
        transitions.submit(
            session, application, actor=f"borrower:{application.borrower_id}", as_of=BUSINESS_DATE
        )
        session.commit()


@pytest.fixture
def cases(demo, app):
    """A submitted case of 13800000001 and an unsent draft of 13800000002, each with a file: their ids."""
    case_reference, case_token = _with_evidence(app, OWNER, "staff-case-key-0000001")
    _submit(app, case_reference)
    draft_reference, draft_token = _with_evidence(app, "13800000002", "staff-draft-key-000001")
    case = {"reference": case_reference, "token": case_token, "which": "requested"}
    return case, {"reference": draft_reference, "token": draft_token, "which": "requested"}


def _state(app) -> dict:
    """Every column of every application and evidence row."""
    with database(app) as session:
        rows = [
            *session.scalars(select(Application).order_by(Application.id)),
            *session.scalars(select(Evidence).order_by(Evidence.id)),
        ]
        return {
            (type(row).__name__, row.id, column.key): getattr(row, column.key)
            for row in rows
            for column in type(row).__mapper__.column_attrs
            if column.key != "data"
        }


def _decision_form(app, token: str, reference: str) -> dict:
    """A complete, valid decision for every staff form, on the application's current version."""
    with database(app) as session:
        version = session.scalars(
            select(Application.row_version).where(Application.reference == reference)
        ).one()
    return {
        "csrf_token": token,
        "version": str(version),
        "reason": "no_hardship_shown",
        "message": "Decided by someone who should not.",
        "question": "Who are you?",
        "kind": "installment_plan",
        "months": "12",
        "pay_day": "10",
        "action": "send",
        "waive_penalty": "y",
    }


def _try_every_route(app, routes, who: str, viewer, token: str, ids: dict) -> list[str]:
    leaks = []
    for endpoint, methods, url in routes:
        if "GET" in methods:
            response = viewer.get(url)
            if response.status_code != 404:
                leaks.append(f"GET {url} ({endpoint}) as {who}: {response.status_code}")
            html = without_echo(response, url)
            leaks += [f"GET {url} as {who} shows {s}" for s in ("payslip.png", "张伟", "王大山") if s in html]
        if "POST" in methods:
            response = viewer.post(url, data=_decision_form(app, token, ids["reference"]))
            if response.status_code != 404:
                leaks.append(f"POST {url} ({endpoint}) as {who}: {response.status_code}")
    return leaks


def test_every_staff_case_route_exists_for_a_reviewer(cases, app):
    case, _draft = cases
    reviewer, _token = _viewer(app, "staff:reviewer1")
    routes = _borrower_routes(app, case, "staff_case")
    assert {endpoint for endpoint, _methods, _url in routes} == {
        e for e, kind in KNOWN_ID_ROUTES.items() if kind == "staff_case"
    }

    for endpoint, methods, url in routes:
        if "GET" in methods:
            assert reviewer.get(url).status_code == 200, f"{endpoint}: {url} is not there for a reviewer"


def test_every_staff_case_route_is_404_for_borrowers_anonymous_and_agents_and_changes_nothing(cases, app):
    case, _draft = cases
    routes = _borrower_routes(app, case, "staff_case")
    viewers = {who: _viewer(app, who) for who in CASE_OUTSIDERS}
    counts = row_counts(app)
    state = _state(app)
    leaks = []

    for who, (viewer, token) in viewers.items():
        leaks += _try_every_route(app, routes, who, viewer, token, case)

    assert leaks == []
    assert row_counts(app) == counts  # not even a "case viewed" row
    assert _state(app) == state


def test_a_borrowers_unsent_draft_is_404_on_every_staff_case_route_for_all_staff(cases, app):
    _case, draft = cases
    routes = _borrower_routes(app, draft, "staff_case")
    viewers = {who: _viewer(app, who) for who in STAFF_WHO_READ_CASES}
    counts = row_counts(app)
    state = _state(app)
    leaks = []

    for who, (viewer, token) in viewers.items():
        leaks += _try_every_route(app, routes, who, viewer, token, draft)

    assert leaks == []
    assert row_counts(app) == counts
    assert _state(app) == state
    with database(app) as session:
        status = select(Application.status).where(Application.reference == draft["reference"])
        assert session.scalars(status).one() == "draft"


# --- staff: any borrower's record ----------------------------------------------------------------------------------


def _staff_borrower_routes(app, borrower_id: int) -> list[tuple[str, set[str], str]]:
    routes = _borrower_routes(app, {"borrower_id": borrower_id}, "staff_borrower")
    assert {endpoint for endpoint, _methods, _url in routes} == {
        e for e, kind in KNOWN_ID_ROUTES.items() if kind == "staff_borrower"
    }
    return routes


def test_every_staff_borrower_route_is_404_for_borrowers_anonymous_and_agents_and_changes_nothing(demo, app):
    with database(app) as session:
        owner = session.scalars(select(Borrower).where(Borrower.phone == OWNER)).one()
        owner_id, variant = owner.id, owner.variant
    other = "rural" if variant == "urban" else "urban"
    routes = _staff_borrower_routes(app, owner_id)
    viewers = {who: _viewer(app, who) for who in CASE_OUTSIDERS}
    counts = row_counts(app)
    leaks = []

    for who, (viewer, token) in viewers.items():
        for endpoint, methods, url in routes:
            if "POST" in methods:
                response = viewer.post(url, data={"csrf_token": token, "variant": other})
                if response.status_code != 404:
                    leaks.append(f"POST {url} ({endpoint}) as {who}: {response.status_code}")

    assert leaks == []
    assert row_counts(app) == counts
    with database(app) as session:
        assert session.get(Borrower, owner_id).variant == variant


def test_every_staff_borrower_route_exists_for_case_readers_and_an_unknown_borrower_is_404(demo, app):
    with database(app) as session:
        owner_id = session.scalars(select(Borrower.id).where(Borrower.phone == OWNER)).one()
        missing = session.scalar(select(func.max(Borrower.id))) + 1000
    viewers = {who: _viewer(app, who) for who in STAFF_WHO_READ_CASES}
    counts = row_counts(app)

    for who, (viewer, token) in viewers.items():
        for endpoint, _methods, url in _staff_borrower_routes(app, owner_id):
            # No variant chosen: the page answers (the route is there) and nothing changes.
            assert viewer.post(url, data={"csrf_token": token}).status_code == 200, (who, endpoint)
        for endpoint, _methods, url in _staff_borrower_routes(app, missing):
            response = viewer.post(url, data={"csrf_token": token, "variant": "rural"})
            assert response.status_code == 404, (who, endpoint, response.status_code)

    assert row_counts(app) == counts
