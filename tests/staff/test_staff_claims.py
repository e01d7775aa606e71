"""Stale claims (issue 17 item 8): a claim lapses after the policy pack's working hours without action (worked out
on read, in the institution's office hours); a senior reviewer can release or reassign any case, audited."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from portal import clock
from portal.domain import workhours
from portal.i18n import labels
from tests.helpers.common import CSRF_RE
from tests.helpers.staff import (
    RURAL,
    URBAN,
    audit_rows,
    borrower_client,
    claim,
    database,
    decide,
    follow,
    label,
    notices_on,
    plain,
    queue_pages,
    row,
    seen,
    staff_client,
    staff_id,
    staff_name,
    submitted,
    text,
    update,
)

# The tests' business date, 29 November 2026, is a Sunday: 8 working hours before it is Friday 27th at 09:00.
THURSDAY_MORNING = (date(2026, 11, 26), time(10, 0))  # lapsed: 15 working hours ago
FRIDAY_MORNING = (date(2026, 11, 27), time(10, 0))  # holds: 7 working hours ago


@pytest.mark.parametrize(
    ("start", "hours", "lapses"),
    [
        (datetime(2026, 11, 26, 10, 0), 8, datetime(2026, 11, 27, 10, 0)),  # Thursday to Friday
        (datetime(2026, 11, 27, 10, 0), 8, datetime(2026, 11, 30, 10, 0)),  # over the weekend
        (datetime(2026, 11, 28, 15, 0), 8, datetime(2026, 11, 30, 17, 0)),  # claimed on a Saturday
        (datetime(2026, 11, 30, 20, 0), 1, datetime(2026, 12, 1, 10, 0)),  # claimed after hours
    ],
)
def test_working_hours_skip_nights_and_weekends(start, hours, lapses):
    assert workhours.add(start, hours) == lapses
    # On read: a claim holds while it is younger than `hours` working hours, and lapses at `lapses`.
    assert (
        workhours.subtract(lapses - timedelta(minutes=1), hours) < start <= workhours.subtract(lapses, hours)
    )


def _reassign(client, reference: str, to: str):
    """The senior's release-or-reassign form, posted as the case page shows it."""
    token, version = seen(client, reference)
    return client.post(
        f"/staff/cases/{reference}/reassign", data={"csrf_token": token, "version": str(version), "to": to}
    )


def _claimed_at(app, reference: str, when: tuple[date, time]) -> None:
    with database(app):
        update(app, reference, claimed_at=clock.stored_moment(*when))


def test_a_claim_older_than_eight_working_hours_lapses_and_another_reviewer_can_take_the_case(demo):
    """ASVS 11.1.1 (business flows in order, no step blocked for ever): a stale claim no longer blocks the case."""
    reference = submitted(demo, URBAN)
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, reference)
    _claimed_at(demo, reference, THURSDAY_MORNING)
    reviewer2 = staff_client(demo, "reviewer2")

    page = reviewer2.get(f"/staff/cases/{reference}").get_data(as_text=True)
    unassigned = [ref for rows in queue_pages(reviewer2, "holder=unassigned") for ref in rows]
    mine = [ref for rows in queue_pages(reviewer1, "holder=mine") for ref in rows]
    held = reviewer1.get(f"/staff/cases/{reference}").get_data(as_text=True)

    assert text(demo, "%(name)s's claim lapsed", name=staff_name(demo, "reviewer1")) in reviewer2.get(
        "/staff/queue"
    ).get_data(as_text=True)
    assert "held-by" in page and staff_name(demo, "reviewer1") in page.split('id="held-by"', 1)[1][:300]
    assert reference in unassigned and reference not in mine
    assert f'action="/staff/cases/{reference}/approve"' not in held  # the old holder must take it again
    taken = decide(reviewer2, reference, "claim")
    assert taken.status_code == 303
    assert row(demo, reference).claimed_by_id == staff_id(demo, "reviewer2")


def test_a_claim_within_eight_working_hours_still_holds(demo):
    reference = submitted(demo, URBAN)
    claim(staff_client(demo, "reviewer1"), reference)
    _claimed_at(demo, reference, FRIDAY_MORNING)
    reviewer2 = staff_client(demo, "reviewer2")

    refused = decide(reviewer2, reference, "claim", version=row(demo, reference).row_version)

    assert notices_on(follow(reviewer2, refused)) == [label(demo, labels.ERRORS, "claimed_by_other")]
    assert row(demo, reference).claimed_by_id == staff_id(demo, "reviewer1")


def test_a_senior_reassigns_a_case_another_reviewer_holds_and_the_history_names_both(demo):
    """ASVS 4.1.3, 4.3.x (only a senior reviewer may move another's case), 7.1.3 (the move is audited)."""
    reference = submitted(demo, URBAN)
    claim(staff_client(demo, "reviewer1"), reference)
    senior1 = staff_client(demo, "senior1")

    moved = _reassign(senior1, reference, str(staff_id(demo, "reviewer2")))

    assert moved.status_code == 303
    assert row(demo, reference).claimed_by_id == staff_id(demo, "reviewer2")
    (event,) = audit_rows(demo, reference, "case.reassigned")
    assert event.actor == f"staff:{staff_id(demo, 'senior1')}"
    assert (event.data["previous"], event.data["holder"]) == (
        f"staff:{staff_id(demo, 'reviewer1')}",
        f"staff:{staff_id(demo, 'reviewer2')}",
    )
    reviewer2 = staff_client(demo, "reviewer2")
    page = reviewer2.get(f"/staff/cases/{reference}").get_data(as_text=True)
    history = page.split('id="history-title"', 1)[1]
    assert text(demo, "held by %(name)s before", name=staff_name(demo, "reviewer1")) in history
    assert text(demo, "now held by %(name)s", name=staff_name(demo, "reviewer2")) in history
    assert f'action="/staff/cases/{reference}/approve"' in page  # the new holder decides
    borrower = borrower_client(demo, URBAN).get(f"/applications/{reference}").get_data(as_text=True)
    assert "case.reassigned" not in borrower  # who holds the case is staff business


def test_a_senior_releases_a_case_back_to_the_queue(demo):
    reference = submitted(demo, URBAN)
    claim(staff_client(demo, "reviewer1"), reference)
    senior1 = staff_client(demo, "senior1")

    released = _reassign(senior1, reference, "")

    assert notices_on(follow(senior1, released)) == [plain(demo, "The case is back in the queue.")]

    assert row(demo, reference).claimed_by_id is None
    (event,) = audit_rows(demo, reference, "case.released")
    assert event.data["previous"] == f"staff:{staff_id(demo, 'reviewer1')}"


def test_a_reviewer_cannot_release_or_reassign_a_colleagues_case(demo):
    """ASVS 4.1.3, 4.2.1: the route does not exist for a reviewer (404), and nothing changes."""
    reference = submitted(demo, URBAN)
    claim(staff_client(demo, "reviewer1"), reference)
    reviewer2 = staff_client(demo, "reviewer2")
    token = CSRF_RE.search(reviewer2.get(f"/staff/cases/{reference}").get_data(as_text=True)).group(1)
    version = row(demo, reference).row_version

    response = reviewer2.post(
        f"/staff/cases/{reference}/reassign",
        data={"csrf_token": token, "version": str(version), "to": str(staff_id(demo, "reviewer2"))},
    )

    assert response.status_code == 404
    assert row(demo, reference).claimed_by_id == staff_id(demo, "reviewer1")


def test_a_reassignment_without_the_form_token_is_refused(demo):
    """ASVS 4.2.2 (CSRF): no token, no change."""
    reference = submitted(demo, URBAN)
    claim(staff_client(demo, "reviewer1"), reference)
    senior1 = staff_client(demo, "senior1")

    response = senior1.post(
        f"/staff/cases/{reference}/reassign",
        data={"version": str(row(demo, reference).row_version), "to": ""},
    )

    assert response.status_code == 400
    assert row(demo, reference).claimed_by_id == staff_id(demo, "reviewer1")


def test_the_previous_holder_is_told_on_their_queue_who_took_the_case_and_where_it_went(demo):
    """ASVS 7.1.3: a case moved by a senior is told to the reviewer who held it (on their queue, for a week), and
    to nobody else."""
    given, released = submitted(demo, URBAN), submitted(demo, RURAL)
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, given)
    claim(reviewer1, released)
    senior1 = staff_client(demo, "senior1")
    _reassign(senior1, given, str(staff_id(demo, "reviewer2")))
    _reassign(senior1, released, "")

    queue = reviewer1.get("/staff/queue").get_data(as_text=True)
    others = staff_client(demo, "reviewer2").get("/staff/queue").get_data(as_text=True)

    told = queue.split('data-testid="taken-from-you"', 1)[1].split("</section>", 1)[0]
    senior, holder = staff_name(demo, "senior1"), staff_name(demo, "reviewer2")
    assert (
        given in told
        and text(demo, "%(senior)s gave this case to %(holder)s.", senior=senior, holder=holder) in told
    )
    assert (
        released in told and text(demo, "%(senior)s put this case back in the queue.", senior=senior) in told
    )
    assert told.index(released) < told.index(given)  # newest first
    assert 'data-testid="taken-from-you"' not in others
