"""A fault in the middle of a decision leaves nothing half-written (one transaction), and the person sees a plain,
translated error page with a reference id (the request id), never a stack trace; the log line carries the id."""

from __future__ import annotations

import io
import logging
import re
from html import unescape

import pytest
from sqlalchemy import select

from portal import _RequestIdFilter
from portal.applications import decisions, offers
from portal.applications.models import Application
from portal.clock import business_date
from portal.loans import services
from portal.people.models import StaffUser
from tests.helpers.common import sign_in, staff_sign_in
from tests.helpers.security import (
    PASSWORD,
    case_form,
    case_state,
    database,
    submitted_case,
    table_snapshot,
)

PHONE = "13800000001"


class InjectedFault(RuntimeError):
    pass


@pytest.fixture
def portal_log(app):
    """The app's own log handler (request id and all), writing into a buffer."""
    handler = next(
        h
        for h in logging.getLogger("portal").handlers
        if any(isinstance(f, _RequestIdFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # serve the error page, as production does
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def _after(original, where: str):
    """`original`, then a fault: the work it did stays in the (uncommitted) session."""

    def faulty(*args, **kwargs):
        original(*args, **kwargs)
        raise InjectedFault(f"injected fault {where}")

    return faulty


def _plain_error_page(app, response, log: str) -> None:
    html = response.get_data(as_text=True)
    reference = response.headers["X-Request-Id"]
    assert response.status_code == 500
    assert re.fullmatch(r"[0-9a-f-]{36}", reference)
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_Hans"):
        title = gettext("Sorry, something went wrong")
        shown_reference = gettext("Reference: %(ref)s", ref=reference)
    assert f"<h1>{title}</h1>" in html
    assert shown_reference in unescape(html)
    for leak in ("Traceback", "InjectedFault", "injected fault", 'File "', "portal/loans", "werkzeug"):
        assert leak not in html
    lines = [line for line in log.splitlines() if reference in line]
    assert lines, "the reference id is not in the log"
    assert "ERROR" in lines[0]


@pytest.mark.parametrize(
    "target, where",
    [
        ("_staff_move", "after the status change and its audit row"),
        ("notices.decided", "after the status change, before the borrower's message"),
    ],
)
def test_a_fault_midway_through_approving_leaves_nothing_half_written(
    demo, app, portal_log, monkeypatch, target, where
):
    reference = submitted_case(app, PHONE)
    reviewer = app.test_client()
    staff_sign_in(reviewer, "reviewer1")
    token, version, _html = case_form(reviewer, reference)
    assert (
        reviewer.post(
            f"/staff/cases/{reference}/claim", data={"csrf_token": token, "version": version}
        ).status_code
        == 303
    )
    token, version, _html = case_form(reviewer, reference)
    before = table_snapshot(app)
    state = case_state(app, reference)
    if target == "_staff_move":
        monkeypatch.setattr(decisions, "_staff_move", _after(decisions._staff_move, where))
    else:
        monkeypatch.setattr(decisions.notices, "decided", _after(decisions.notices.decided, where))

    response = reviewer.post(
        f"/staff/cases/{reference}/approve", data={"csrf_token": token, "version": version, "message": "ok"}
    )

    _plain_error_page(app, response, portal_log.getvalue())
    assert case_state(app, reference) == state == ("in_review", state[1], None, None)
    assert table_snapshot(app) == before  # same rows, same values, in every table (audit trail included)


def _approved(app) -> str:
    """An application approved through the services, waiting for the borrower's answer."""
    reference = submitted_case(app, PHONE)
    with database(app) as session, app.test_request_context():
        application = session.scalars(select(Application).where(Application.reference == reference)).one()
        staff = session.scalars(select(StaffUser).where(StaffUser.username == "reviewer1")).one()
        decisions.claim(session, application, staff, seen_version=application.row_version)
        decisions.approve(
            session, application, staff, as_of=business_date(), seen_version=application.row_version
        )
        session.commit()
    return reference


def test_a_fault_midway_through_accepting_leaves_nothing_half_written(demo, app, portal_log, monkeypatch):
    reference = _approved(app)
    borrower = app.test_client()
    sign_in(borrower, PHONE)
    token = borrower.csrf_token(f"/applications/{reference}/offer")
    before = table_snapshot(app)
    state = case_state(app, reference)
    assert state[0] == "approved"
    monkeypatch.setattr(
        services,
        "write_schedule_version",
        _after(services.write_schedule_version, "after the new schedule version"),
    )

    response = borrower.post(
        f"/applications/{reference}/accept", data={"csrf_token": token, "password": PASSWORD, "code": ""}
    )

    _plain_error_page(app, response, portal_log.getvalue())
    assert case_state(app, reference) == state
    assert table_snapshot(app) == before
    with database(app) as session:
        assert (
            session.scalars(select(Application).where(Application.reference == reference))
            .one()
            .agreement_hash
            is None
        )


def test_without_the_fault_the_same_accept_goes_through(demo, app):
    """The control: the arranged accept does work, so the test above proves the rollback, not a refusal."""
    reference = _approved(app)
    borrower = app.test_client()
    sign_in(borrower, PHONE)

    response = borrower.submit(
        f"/applications/{reference}/accept",
        {"password": PASSWORD, "code": ""},
        page=f"/applications/{reference}/offer",
    )

    assert response.status_code == 303
    assert case_state(app, reference)[0] == "active"
    with database(app) as session:
        stored = session.scalars(select(Application).where(Application.reference == reference)).one()
        assert stored.agreement_hash == offers.agreement_hash(stored.agreement)
