"""Day counts use the institution's day (Asia/Shanghai), never the UTC date of a stored moment.

A decision at 23:30 in Shanghai belongs to that Shanghai day; one at 00:30 to the next, although both are on the
same UTC date. These tests run with no fixed business date and move the whole clock, so "today" comes from it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from portal import clock
from portal.applications import decisions
from tests.helpers.staff import (
    URBAN,
    application,
    borrower_client,
    claim,
    database,
    decide,
    row,
    staff_client,
    submitted,
)

# Both moments fall on the UTC date 2026-11-29; in Shanghai (UTC+8) they are on two different days.
LATE_EVENING = (datetime(2026, 11, 29, 15, 30, tzinfo=UTC), date(2026, 11, 29))  # 23:30 in Shanghai
AFTER_MIDNIGHT = (datetime(2026, 11, 29, 16, 30, tzinfo=UTC), date(2026, 11, 30))  # 00:30 in Shanghai


@pytest.fixture
def live_clock(demo):
    """The demo, with today taken from the (moved) clock instead of a fixed business date."""
    demo.config["BUSINESS_DATE"] = None
    return demo


def _decided_at(app, moment: datetime, reference: str, action: str, data: dict) -> None:
    with time_machine.travel(moment, tick=False):
        reviewer = staff_client(app, "reviewer1")
        claim(reviewer, reference)
        response = decide(reviewer, reference, action, data)
    assert response.status_code == 303, response.status_code


def _appeal_on(app, reference: str, day: date) -> str:
    """The borrower appeals through the page at noon in Shanghai on `day`; returns the status after."""
    with time_machine.travel(datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC), tick=False):
        borrower = borrower_client(app, URBAN)
        borrower.submit(
            f"/applications/{reference}/appeal",
            {"reason": "My hours are back to normal."},
            page=f"/applications/{reference}",
        )
    return row(app, reference).status


@pytest.mark.parametrize(("moment", "local_day"), [LATE_EVENING, AFTER_MIDNIGHT], ids=["23:30", "00:30"])
def test_a_rejection_is_stamped_on_its_shanghai_day(live_clock, moment, local_day):
    reference = submitted(live_clock, URBAN)

    _decided_at(
        live_clock, moment, reference, "reject", {"reason": "no_hardship_shown", "message": "No change."}
    )

    stored = row(live_clock, reference)
    assert stored.decided_at == moment.replace(tzinfo=None)  # stored as naive UTC
    assert stored.decided_at.date() == date(2026, 11, 29)  # the UTC date is the same for both...
    with live_clock.app_context():
        assert clock.local_date(stored.decided_at) == local_day  # ...the Shanghai day is not


@pytest.mark.parametrize(("moment", "local_day"), [LATE_EVENING, AFTER_MIDNIGHT], ids=["23:30", "00:30"])
def test_the_appeal_window_counts_14_days_from_the_shanghai_day_of_the_rejection(
    live_clock, moment, local_day
):
    reference = submitted(live_clock, URBAN)
    _decided_at(
        live_clock, moment, reference, "reject", {"reason": "no_hardship_shown", "message": "No change."}
    )
    with database(live_clock) as session, live_clock.app_context():
        found = application(session, reference)
        assert decisions.can_appeal(found, local_day + timedelta(days=14))
        assert not decisions.can_appeal(found, local_day + timedelta(days=15))

    refused = _appeal_on(live_clock, reference, local_day + timedelta(days=15))
    allowed = _appeal_on(live_clock, reference, local_day + timedelta(days=14))

    assert (refused, allowed) == ("rejected", "appealed")


@pytest.mark.parametrize(("moment", "local_day"), [LATE_EVENING, AFTER_MIDNIGHT], ids=["23:30", "00:30"])
def test_an_offer_expires_14_days_after_the_shanghai_day_of_the_approval(live_clock, moment, local_day):
    reference = submitted(live_clock, URBAN)

    _decided_at(live_clock, moment, reference, "approve", {})

    stored = row(live_clock, reference)
    assert stored.status == "approved"
    assert stored.offer_expires_on == local_day + timedelta(days=14)
    with database(live_clock) as session, live_clock.app_context():
        assert clock.local_date(stored.decided_at) == local_day
        assert decisions.expire_offers(session, local_day + timedelta(days=14)) == 0  # still open that day
        assert decisions.expire_offers(session, local_day + timedelta(days=15)) == 1  # gone the day after
        session.rollback()
