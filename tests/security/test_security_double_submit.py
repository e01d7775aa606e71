"""Double submits: a form that creates something carries an idempotency key; the same key again, even posted at the
same moment from a double click, returns the first result (303 to it) and never makes a second row. A decision
posted twice is applied once (the second sees a changed version: a conflict)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from portal.applications.models import Application
from portal.core.models import Notification
from tests.helpers.common import sign_in, staff_sign_in
from tests.helpers.security import (
    COOKIE,
    audit_actions,
    case_form,
    case_state,
    database,
    loan_number,
    location_path,
    submitted_case,
)

PHONE = "13800000001"


def test_the_same_start_key_posted_eight_times_at_once_makes_one_application(demo, app):
    owner = app.test_client()
    sign_in(owner, PHONE)
    token = owner.csrf_token("/")
    cookie = owner.get_cookie(COOKIE).value
    url = f"/loans/{loan_number(app, PHONE)}/help"

    def click(_n):
        browser = app.test_client()
        browser.set_cookie(COOKIE, cookie)
        response = browser.post(url, data={"csrf_token": token, "key": "double-click-key-00000001"})
        return response.status_code, response.headers.get("Location")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(click, range(8)))

    assert {status for status, _ in results} == {303}, results
    assert len({location for _, location in results}) == 1, results  # every click lands on the same draft
    with database(app) as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 1
    assert [a for _w, a in audit_actions(app)].count("application.started") == 1


def test_an_approval_posted_twice_is_applied_once(demo, app):
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
    form = {"csrf_token": token, "version": version}

    first = reviewer.post(f"/staff/cases/{reference}/approve", data=form)
    told = _messages(app)
    second = reviewer.post(f"/staff/cases/{reference}/approve", data=form)

    assert first.status_code == 303 and location_path(first) == f"/staff/cases/{reference}"
    assert second.status_code == 409
    assert case_state(app, reference)[0] == "approved"
    assert [a for _w, a in audit_actions(app)].count("application.approved") == 1
    assert told > 0 and _messages(app) == told  # the borrower is told once


def _messages(app) -> int:
    with database(app) as session:
        return session.scalar(select(func.count()).where(Notification.kind == "application_approved"))
