"""Two reviewers deciding at once: one wins, the others see a clear conflict, nothing is applied twice.

On SQLite the requests queue for the write lock (BEGIN IMMEDIATE) and the later ones find the version they saw is
stale; on PostgreSQL they run side by side and the version column (StaleDataError) stops all but the first.
"""

from __future__ import annotations

import threading

from portal.i18n import labels
from portal.loans.models import ScheduleVersion
from tests.helpers.staff import (
    URBAN,
    audit_rows,
    case_url,
    claim,
    count,
    label,
    notices_on,
    notifications,
    row,
    seen,
    staff_client,
    staff_id,
    submitted,
)

THREADS = 50
COOKIE = "portal_session"


def _signed_in_copy(app, signed_in):
    """A client of its own carrying reviewer1's signed-in session (as another tab of the same browser would):
    fifty password sign-ins would spend ten seconds on argon2 alone."""
    client = app.test_client()
    cookie = signed_in.get_cookie(COOKIE)
    assert cookie is not None
    client.set_cookie(COOKIE, cookie.value, domain=cookie.domain or "localhost")
    return client


def test_fifty_simultaneous_approvals_one_succeeds_the_others_get_a_conflict_and_it_is_applied_once(demo):
    reference = submitted(demo, URBAN)
    holder = staff_client(demo, "reviewer1")
    claim(holder, reference)
    _token, version = seen(holder, reference)
    assert version == row(demo, reference).row_version
    clients = [_signed_in_copy(demo, holder) for _ in range(THREADS)]
    tokens = [seen(client, reference)[0] for client in clients]
    schedules_before = count(demo, ScheduleVersion)
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS

    def approve(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            response = clients[index].post(
                case_url(reference, "approve"), data={"csrf_token": tokens[index], "version": str(version)}
            )
            results[index] = (response.status_code, response.get_data(as_text=True))
        except Exception as error:  # noqa: BLE001 - reported below with the thread's number
            results[index] = (f"{type(error).__name__}: {error}", "")

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not any(thread.is_alive() for thread in threads)
    statuses = [status for status, _html in results]
    assert sorted(statuses, key=str) == [303] + [409] * (THREADS - 1), statuses
    conflict = label(demo, labels.ERRORS, "conflict")
    for status, html in results:
        if status == 409:
            assert notices_on(html) == [conflict]
    stored = row(demo, reference)
    assert stored.status == "approved"
    assert stored.decided_by_id == staff_id(demo, "reviewer1")
    assert len(audit_rows(demo, reference, "application.approved")) == 1
    assert len(notifications(demo, URBAN, "application_approved")) == 2  # one SMS, one portal message
    assert count(demo, ScheduleVersion) == schedules_before  # an approval alone changes no schedule
