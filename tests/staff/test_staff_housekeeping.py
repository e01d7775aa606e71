"""The daily housekeeping (offers expire, plans break after two missed payments, `flask daily`) and the
notification outbox (`flask notify send`, quiet hours 21:00–08:00 in the institution's zone)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from flask.cli import FlaskGroup

from portal.applications import decisions
from portal.loans import services
from tests.helpers.common import BUSINESS_DATE
from tests.helpers.staff import (
    BUSINESS,
    PASSWORD,
    URBAN,
    application,
    audit_rows,
    borrower_client,
    claim,
    database,
    date_long,
    decide,
    loan_of,
    notifications,
    plain,
    row,
    staff_client,
    submitted,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
COUNTER = {"kind": "installment_plan", "months": "18", "pay_day": "10", "upfront": "", "action": "send"}


def _approved(app, phone: str = URBAN) -> str:
    reference = submitted(app, phone)
    reviewer = staff_client(app, "senior1")
    claim(reviewer, reference)
    decide(reviewer, reference, "approve")
    assert row(app, reference).status == "approved"
    return reference


def _countered(app, phone: str) -> str:
    reference = submitted(app, phone)
    reviewer = staff_client(app, "senior1")
    claim(reviewer, reference)
    decide(reviewer, reference, "counter", {**COUNTER, "pay_day": "1"})
    assert row(app, reference).status == "countered"
    return reference


def _active(app, phone: str = URBAN) -> str:
    reference = _approved(app, phone)
    response = borrower_client(app, phone).submit(
        f"/applications/{reference}/accept",
        {"password": PASSWORD, "code": ""},
        page=f"/applications/{reference}/offer",
    )
    assert response.status_code == 303
    assert row(app, reference).status == "active"
    return reference


def _flask(app, *args):
    """Run a command as `flask ...` does: through a FlaskGroup, which pushes the app context.

    (`daily` is a plain click command added to app.cli, so `app.test_cli_runner().invoke(args=["daily"])`, which
    calls app.cli directly, would run it outside an app context; the real `flask daily` does not.)
    """
    return app.test_cli_runner().invoke(FlaskGroup(load_dotenv=False), args=list(args))


def _expire(app, today: date) -> int:
    with database(app) as session:
        expired = decisions.expire_offers(session, today)
        session.commit()
        return expired


def _check(app, today: date) -> dict:
    with database(app) as session, app.test_request_context():
        counts = decisions.check_plans(session, today)
        session.commit()
        return counts


# --- offers expire -------------------------------------------------------------------------------------------


def test_offers_unanswered_for_more_than_14_days_expire(demo):
    approved = _approved(demo, URBAN)
    countered = _countered(demo, BUSINESS)
    assert (
        row(demo, approved).offer_expires_on
        == row(demo, countered).offer_expires_on
        == BUSINESS_DATE + timedelta(days=14)
    )

    on_the_last_day = _expire(demo, BUSINESS_DATE + timedelta(days=14))
    statuses_on_the_last_day = (row(demo, approved).status, row(demo, countered).status)
    the_day_after = _expire(demo, BUSINESS_DATE + timedelta(days=15))

    assert on_the_last_day == 0
    assert statuses_on_the_last_day == ("approved", "countered")
    assert the_day_after == 2
    assert (row(demo, approved).status, row(demo, countered).status) == ("expired", "expired")
    for reference in (approved, countered):
        (event,) = audit_rows(demo, reference, "application.expired")
        assert (event.actor, event.data["to"]) == ("system", "expired")
    assert _expire(demo, BUSINESS_DATE + timedelta(days=16)) == 0  # nothing twice


def test_an_expired_offer_can_no_longer_be_accepted(demo):
    reference = _approved(demo, URBAN)
    _expire(demo, BUSINESS_DATE + timedelta(days=15))
    borrower = borrower_client(demo, URBAN)

    response = borrower.submit(
        f"/applications/{reference}/accept",
        {"password": PASSWORD, "code": ""},
        page=f"/applications/{reference}",
    )

    assert response.status_code == 303
    assert row(demo, reference).status == "expired"


def test_an_accepted_plan_does_not_expire(demo):
    reference = _active(demo, URBAN)

    assert _expire(demo, BUSINESS_DATE + timedelta(days=60)) == 0
    assert row(demo, reference).status == "active"


# --- plans break after two missed payments -------------------------------------------------------------------


def _plan_due_dates(app, phone: str = URBAN) -> list[date]:
    with database(app) as session:
        _version, installments = services.current_schedule(session, loan_of(session, phone))
        return [i.due_date for i in installments if i.due_date >= BUSINESS_DATE]


def test_an_active_plan_is_broken_after_two_missed_plan_payments_and_the_borrower_is_told(demo):
    reference = _active(demo, URBAN)
    first_due, second_due = _plan_due_dates(demo)[:2]

    after_one = _check(demo, first_due + timedelta(days=1))
    status_after_one = row(demo, reference).status
    after_two = _check(demo, second_due + timedelta(days=1))

    assert after_one == {"broken": 0, "completed": 0}
    assert status_after_one == "active"
    assert after_two == {"broken": 1, "completed": 0}
    assert row(demo, reference).status == "broken"
    (event,) = audit_rows(demo, reference, "application.broken")
    assert (event.actor, event.data["overdue_in_a_row"]) == ("system", 2)
    told = notifications(demo, URBAN, "plan_broken")
    assert sorted(m.channel for m in told) == ["portal", "sms"]
    with database(demo) as session:
        number = application(session, reference).loan.number
    expected = plain(
        demo,
        "Two payments of your plan for loan %(loan)s were missed, so the plan has ended. Please call us or "
        "apply again on the website: we will look at your situation afresh.",
        loan=number,
    )
    assert {m.body for m in told} == {expected}
    assert _check(demo, second_due + timedelta(days=2)) == {"broken": 0, "completed": 0}  # told once


def test_a_plan_with_its_payments_made_is_not_broken(demo):
    reference = _active(demo, URBAN)
    first_due, second_due, third_due = _plan_due_dates(demo)[:3]
    with database(demo) as session:
        loan = loan_of(session, URBAN)
        _version, installments = services.current_schedule(session, loan)
        for item in installments:
            if item.due_date in (first_due, second_due):
                services.record_payment(
                    session, loan, reference=f"TEST-{item.number}", amount=item.total, paid_on=item.due_date
                )
        session.commit()

    assert _check(demo, third_due + timedelta(days=1)) == {"broken": 0, "completed": 0}
    assert row(demo, reference).status == "active"


# --- the daily command ---------------------------------------------------------------------------------------


def test_flask_daily_expires_offers_and_reports_what_it_did(demo):
    reference = _approved(demo, URBAN)
    demo.config["BUSINESS_DATE"] = BUSINESS_DATE + timedelta(days=15)

    result = _flask(demo, "daily")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"{(BUSINESS_DATE + timedelta(days=15)).isoformat()}: 1 offer(s) expired, 0 plan(s) broken, "
        "0 completed, 0 document(s) purged."
    )
    assert row(demo, reference).status == "expired"  # committed


def test_flask_daily_on_a_quiet_day_changes_nothing(demo):
    reference = submitted(demo, URBAN)

    result = _flask(demo, "daily")

    assert result.exit_code == 0, result.output
    assert "0 offer(s) expired, 0 plan(s) broken, 0 completed, 0 document(s) purged." in result.output
    assert row(demo, reference).status == "submitted"


# --- notifications and quiet hours ---------------------------------------------------------------------------


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def _send(app):
    result = _flask(app, "notify", "send")
    assert result.exit_code == 0, result.output
    return result.output.strip()


def _sent(app) -> list:
    sender = app.extensions.get("outbox_sender")
    return list(sender.sent) if sender is not None else []


def test_notify_send_holds_messages_in_quiet_hours_and_delivers_them_from_8_in_the_morning(demo):
    with time_machine.travel(_at(BUSINESS_DATE, 22), tick=False) as clock:
        reference = submitted(demo, URBAN)  # the acknowledgement...
        reviewer = staff_client(demo, "reviewer1")
        claim(reviewer, reference)
        decide(reviewer, reference, "approve")  # ...and the decision, both written at 22:00
        sms = notifications(demo, URBAN)
        assert [m.kind for m in sms if m.channel == "sms"] == ["application_received", "application_approved"]

        at_night = _send(demo)
        sent_at_night = _sent(demo)
        clock.move_to(_at(BUSINESS_DATE + timedelta(days=1), 7, 59))
        before_eight = _send(demo)
        sent_before_eight = _sent(demo)
        clock.move_to(_at(BUSINESS_DATE + timedelta(days=1), 8, 30))
        morning = _send(demo)

    assert (at_night, sent_at_night) == ("Sent 0 message(s).", [])
    assert (before_eight, sent_before_eight) == ("Sent 0 message(s).", [])
    assert morning == "Sent 2 message(s)."
    received = plain(
        demo,
        "We received your application %(reference)s. We will decide by %(date)s and tell you by text message.",
        reference=reference,
        date=date_long(demo, BUSINESS_DATE + timedelta(days=10)),
    )
    approved = plain(
        demo,
        "Good news: your application %(reference)s is approved. Please accept it by %(date)s on the "
        "website or by calling us.",
        reference=reference,
        date=date_long(demo, BUSINESS_DATE + timedelta(days=14)),
    )
    assert _sent(demo) == [(URBAN, received), (URBAN, approved)]
    stored = notifications(demo, URBAN)
    assert all(m.sent_at is not None for m in stored if m.channel == "sms")
    assert all(m.sent_at is None for m in stored if m.channel == "portal")  # kept in the portal, never "sent"
    assert _send(demo) == "Sent 0 message(s)."  # nothing goes twice


def test_notify_send_delivers_at_once_in_the_day(demo):
    with time_machine.travel(_at(BUSINESS_DATE, 10), tick=False):
        reference = submitted(demo, URBAN)

        output = _send(demo)

    assert output == "Sent 1 message(s)."
    assert [phone for phone, _body in _sent(demo)] == [URBAN]
    assert reference in _sent(demo)[0][1]


def test_a_message_queued_before_quiet_hours_but_still_unsent_waits_until_morning(demo):
    with time_machine.travel(_at(BUSINESS_DATE, 20, 30), tick=False) as clock:
        submitted(demo, URBAN)  # acknowledgement due at once (20:30 is not quiet)
        clock.move_to(_at(BUSINESS_DATE, 22))

        at_night = _send(demo)
        sent_at_night = _sent(demo)
        clock.move_to(_at(BUSINESS_DATE + timedelta(days=1), 8, 30))
        morning = _send(demo)

    assert (at_night, sent_at_night) == ("Sent 0 message(s).", [])
    assert morning == "Sent 1 message(s)."
