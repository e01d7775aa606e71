"""Segregation of duties: a second approval above a reviewer's limit or waiver authority, never by the first
approver; nobody decides what they submitted for a borrower; appeals go to a senior who took no part."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from portal import clock
from portal.applications import decisions, offers
from portal.i18n import labels
from portal.loans.services import ServiceError
from portal.people.models import StaffUser
from tests.helpers.common import BUSINESS_DATE
from tests.helpers.staff import (
    BUSINESS,
    RURAL,
    URBAN,
    add_senior,
    application,
    audit_rows,
    borrower_client,
    claim,
    database,
    decide,
    follow,
    label,
    notices_on,
    notifications,
    plain,
    row,
    staff_client,
    staff_id,
    submitted,
    update,
)

REVIEWER_LIMIT = 50_000_00
WAIVER_LIMIT = Decimal("500.00")


def _notices(client, response) -> list[str]:
    """The notices a decision leaves: on the page it redirects to, or on the form that came back refused."""
    if response.status_code == 200:  # a refused decision form comes back with everything typed
        return notices_on(response.get_data(as_text=True))
    return notices_on(follow(client, response))


def _reject(app, reference: str, username: str) -> None:
    """`username` takes the case and rejects it."""
    client = staff_client(app, username)
    claim(client, reference)
    response = decide(
        client, reference, "reject", {"reason": "no_hardship_shown", "message": "No change shown."}
    )
    assert row(app, reference).status == "rejected", _notices(client, response)


def _appealed(app, reference: str) -> None:
    """The borrower's appeal, made with the service the appeal page calls."""
    with database(app) as session:
        found = application(session, reference)
        decisions.appeal(
            session,
            found,
            actor=f"borrower:{found.borrower_id}",
            as_of=BUSINESS_DATE,
            note="My hours are back to normal from next month.",
        )
        session.commit()


# --- above the reviewer's limit ------------------------------------------------------------------------------


def test_above_the_reviewers_limit_an_approval_waits_for_a_senior_who_gives_the_second_approval(demo):
    reference = submitted(demo, BUSINESS)
    assert row(demo, reference).amount_fen > REVIEWER_LIMIT  # the 200,000 business loan
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, reference)

    first = decide(reviewer1, reference, "approve")

    assert _notices(reviewer1, first) == [
        plain(demo, "Above your limit: the case now waits for a senior reviewer's second approval.")
    ]
    stored = row(demo, reference)
    assert stored.status == "awaiting_second_approval"
    assert stored.first_approver_id == staff_id(demo, "reviewer1")
    assert (stored.claimed_by_id, stored.decided_by_id, stored.offer_expires_on) == (None, None, None)
    assert notifications(demo, BUSINESS, "application_approved") == []
    (waiting,) = audit_rows(demo, reference, "application.awaiting_second_approval")
    assert waiting.actor == f"staff:{staff_id(demo, 'reviewer1')}"

    senior1 = staff_client(demo, "senior1")
    claim(senior1, reference)
    second = decide(senior1, reference, "approve")

    assert _notices(senior1, second) == [plain(demo, "Approved. The borrower has been told.")]
    stored = row(demo, reference)
    assert stored.status == "approved"
    assert stored.first_approver_id == staff_id(demo, "reviewer1")
    assert stored.decided_by_id == staff_id(demo, "senior1")
    assert stored.offer_expires_on == BUSINESS_DATE + timedelta(days=14)
    (approved,) = audit_rows(demo, reference, "application.approved")
    assert approved.actor == f"staff:{staff_id(demo, 'senior1')}"
    assert approved.data["from"] == "awaiting_second_approval"
    assert len(notifications(demo, BUSINESS, "application_approved")) == 2


def test_the_first_approver_cannot_give_the_second_approval(demo):
    reference = submitted(demo, BUSINESS)
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, reference)
    decide(reviewer1, reference, "approve")
    version = row(demo, reference).row_version

    take = decide(reviewer1, reference, "claim", version=version)
    take_notices = _notices(reviewer1, take)
    approve = decide(reviewer1, reference, "approve", version=version)
    approve_notices = _notices(reviewer1, approve)

    assert take_notices == [label(demo, labels.ERRORS, "senior_only")]
    assert approve_notices == [label(demo, labels.ERRORS, "claim_first")]
    stored = row(demo, reference)
    assert (stored.status, stored.claimed_by_id, stored.row_version) == (
        "awaiting_second_approval",
        None,
        version,
    )
    assert audit_rows(demo, reference, "application.approved") == []


def test_a_senior_who_gave_the_first_approval_cannot_give_the_second(demo):
    # A senior with a 100,000 limit sends the 200,000 loan up; a different senior must give the second approval.
    junior_senior = add_senior(demo, "senior2", "冯建国")
    with database(demo) as session:
        session.get(StaffUser, junior_senior).approval_limit_fen = 100_000_00
        session.commit()
    reference = submitted(demo, BUSINESS)
    senior2 = staff_client(demo, "senior2")
    claim(senior2, reference)
    decide(senior2, reference, "approve")
    assert row(demo, reference).status == "awaiting_second_approval"
    assert row(demo, reference).first_approver_id == junior_senior

    claim(senior2, reference)  # a senior may take the case...
    refused = decide(senior2, reference, "approve")  # ...but not approve it a second time

    assert _notices(senior2, refused) == [label(demo, labels.ERRORS, "same_person")]
    assert row(demo, reference).status == "awaiting_second_approval"
    decide(senior2, reference, "release")
    senior1 = staff_client(demo, "senior1")
    claim(senior1, reference)
    decide(senior1, reference, "approve")
    stored = row(demo, reference)
    assert (stored.status, stored.first_approver_id, stored.decided_by_id) == (
        "approved",
        junior_senior,
        staff_id(demo, "senior1"),
    )


# --- waivers above the reviewer's authority ------------------------------------------------------------------


def test_a_reviewers_waiver_above_the_policy_limit_needs_a_second_approval(demo):
    # Nine months on, the rural loan's penalty is over the 500.00 a reviewer may waive alone.
    later = BUSINESS_DATE + timedelta(days=270)
    demo.config["BUSINESS_DATE"] = later
    reference = submitted(demo, RURAL)
    reviewer1_id = staff_id(demo, "reviewer1")
    with database(demo) as session:
        found = application(session, reference)
        waivable = decisions.waived_amounts(session, found, later, {"penalty": True})
        reviewer = session.get(StaffUser, reviewer1_id)
        found.status = "in_review"  # (unflushed: only to ask the rule, rolled back below)
        without_waiver = decisions.needs_second_approval(session, found, reviewer, later, {})
        session.rollback()
    assert waivable["penalty"] > WAIVER_LIMIT
    # The amount alone is within the reviewer's limit: only the waiver sends it up.
    assert row(demo, reference).amount_fen <= REVIEWER_LIMIT
    assert without_waiver is False
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, reference)

    first = decide(reviewer1, reference, "approve", {"waive_penalty": "y"})

    assert _notices(reviewer1, first) == [
        plain(demo, "Above your limit: the case now waits for a senior reviewer's second approval.")
    ]
    stored = row(demo, reference)
    assert (stored.status, stored.first_approver_id, stored.waivers) == (
        "awaiting_second_approval",
        staff_id(demo, "reviewer1"),
        {"penalty": True},
    )
    (waiting,) = audit_rows(demo, reference, "application.awaiting_second_approval")
    assert waiting.data["waivers"] == {"penalty": True}

    senior1 = staff_client(demo, "senior1")
    claim(senior1, reference)
    decide(senior1, reference, "approve")

    stored = row(demo, reference)
    assert (stored.status, stored.waivers, stored.decided_by_id) == (
        "approved",
        {"penalty": True},
        staff_id(demo, "senior1"),
    )
    with database(demo) as session:
        found = application(session, reference)
        offered = offers.offered_quote(session, found, later)
        found.waivers = {}
        unwaived = offers.offered_quote(session, found, later)
        session.rollback()
    assert unwaived.total_cost - offered.total_cost == waivable["penalty"]


def test_a_waiver_within_the_reviewers_authority_needs_no_second_approval(demo):
    reference = submitted(demo, URBAN)
    with database(demo) as session:
        penalty = decisions.waived_amounts(
            session, application(session, reference), BUSINESS_DATE, {"penalty": True}
        )
    assert penalty["penalty"] <= WAIVER_LIMIT
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, reference)

    decide(reviewer1, reference, "approve", {"waive_penalty": "y", "waive_compound": "y"})

    stored = row(demo, reference)
    assert (stored.status, stored.first_approver_id, stored.waivers) == (
        "approved",
        None,
        {"penalty": True, "compound": True},
    )


# --- own submissions -----------------------------------------------------------------------------------------


def test_nobody_approves_what_they_submitted_for_a_borrower(demo):
    reference = submitted(demo, URBAN)
    reviewer1_id = staff_id(demo, "reviewer1")
    update(demo, reference, created_by=f"staff:{reviewer1_id}")  # as if reviewer1 had submitted it by phone
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, reference)

    refused = decide(reviewer1, reference, "approve")

    assert _notices(reviewer1, refused) == [
        plain(demo, "You submitted this application for the borrower, so someone else must decide it.")
    ]
    assert label(demo, labels.ERRORS, "own_submission") == plain(
        demo, "You submitted this application for the borrower, so someone else must decide it."
    )
    stored = row(demo, reference)
    assert (stored.status, stored.decided_by_id) == ("in_review", None)
    assert audit_rows(demo, reference, "application.approved") == []
    for action, data in (
        ("reject", {"reason": "other", "message": "No."}),
        ("information", {"question": "Anything?"}),
    ):
        response = decide(reviewer1, reference, action, data)
        assert _notices(reviewer1, response) == [label(demo, labels.ERRORS, "own_submission")], action
    assert row(demo, reference).status == "in_review"


def test_someone_else_may_decide_what_a_colleague_submitted_for_a_borrower(demo):
    reference = submitted(demo, URBAN)
    update(demo, reference, created_by=f"staff:{staff_id(demo, 'reviewer1')}")
    reviewer2 = staff_client(demo, "reviewer2")
    claim(reviewer2, reference)

    decide(reviewer2, reference, "approve")

    stored = row(demo, reference)
    assert (stored.status, stored.decided_by_id) == ("approved", staff_id(demo, "reviewer2"))


# --- appeals -------------------------------------------------------------------------------------------------


def test_the_borrower_appeals_a_rejection_within_14_days(demo):
    reference = submitted(demo, URBAN)
    _reject(demo, reference, "senior1")
    borrower = borrower_client(demo, URBAN)

    response = borrower.submit(
        f"/applications/{reference}/appeal",
        {"reason": "My hours are back to normal from next month."},
        page=f"/applications/{reference}",
    )

    assert response.status_code == 303
    stored = row(demo, reference)
    assert stored.status == "appealed"
    (appealed,) = audit_rows(demo, reference, "application.appealed")
    assert appealed.actor == f"borrower:{stored.borrower_id}"
    assert appealed.data["note"] == "My hours are back to normal from next month."


def test_a_rejected_applications_page_offers_the_appeal_form(demo):
    reference = submitted(demo, URBAN)
    _reject(demo, reference, "reviewer1")

    page = borrower_client(demo, URBAN).get(f"/applications/{reference}").get_data(as_text=True)

    assert f'action="/applications/{reference}/appeal"' in page


def test_the_senior_who_made_the_first_decision_cannot_decide_the_appeal_another_senior_can(demo):
    senior2_id = add_senior(demo, "senior2", "冯建国")
    reference = submitted(demo, URBAN)
    _reject(demo, reference, "senior1")
    _appealed(demo, reference)
    assert row(demo, reference).status == "appealed"
    senior1 = staff_client(demo, "senior1")
    claim(senior1, reference)

    refused = decide(senior1, reference, "approve")

    assert _notices(senior1, refused) == [label(demo, labels.ERRORS, "same_person")]
    refused_reject = decide(senior1, reference, "reject", {"reason": "other", "message": "Still no."})
    assert _notices(senior1, refused_reject) == [label(demo, labels.ERRORS, "same_person")]
    assert row(demo, reference).status == "appealed"
    assert audit_rows(demo, reference, "application.approved") == []

    decide(senior1, reference, "release")
    senior2 = staff_client(demo, "senior2")
    claim(senior2, reference)
    decided = decide(senior2, reference, "approve", {"message": "Hours restored: the plan now fits."})

    assert _notices(senior2, decided) == [plain(demo, "Approved. The borrower has been told.")]
    stored = row(demo, reference)
    assert (stored.status, stored.decided_by_id) == ("approved", senior2_id)
    (approved,) = audit_rows(demo, reference, "application.approved")
    assert (approved.actor, approved.data["from"]) == (f"staff:{senior2_id}", "appealed")


def test_a_reviewer_cannot_decide_an_appeal(demo):
    reference = submitted(demo, URBAN)
    _reject(demo, reference, "senior1")
    _appealed(demo, reference)
    reviewer2 = staff_client(demo, "reviewer2")
    version = row(demo, reference).row_version

    take = decide(reviewer2, reference, "claim", version=version)

    assert _notices(reviewer2, take) == [label(demo, labels.ERRORS, "senior_only")]
    assert (row(demo, reference).status, row(demo, reference).claimed_by_id) == ("appealed", None)


def test_an_appeal_is_allowed_on_the_14th_day_and_refused_after(demo):
    reference = submitted(demo, URBAN)
    _reject(demo, reference, "reviewer1")
    with database(demo) as session:
        found = application(session, reference)
        decided_on = clock.local_date(found.decided_at)
        assert decided_on == BUSINESS_DATE  # the decision's day in Shanghai, whatever the UTC date
        with pytest.raises(ServiceError) as closed:
            decisions.appeal(
                session, found, actor="borrower:1", as_of=decided_on + timedelta(days=15), note="Late."
            )
        session.rollback()
        found = application(session, reference)
        decisions.appeal(
            session, found, actor="borrower:1", as_of=decided_on + timedelta(days=14), note="In time."
        )
        session.rollback()
    assert closed.value.code == "appeal_window_closed"
    assert row(demo, reference).status == "rejected"


def test_an_appeal_after_the_14_day_window_is_refused(demo):
    reference = submitted(demo, URBAN)
    _reject(demo, reference, "senior1")
    decided_at = row(demo, reference).decided_at
    update(demo, reference, decided_at=decided_at - timedelta(days=15))
    borrower = borrower_client(demo, URBAN)

    response = borrower.submit(
        f"/applications/{reference}/appeal",
        {"reason": "Please look again."},
        page=f"/applications/{reference}",
    )

    assert response.status_code == 303
    assert row(demo, reference).status == "rejected"
    assert audit_rows(demo, reference, "application.appealed") == []


def test_a_counter_offer_above_the_limit_reaches_the_borrower_as_a_counter_offer_after_the_second_approval(
    demo,
):
    reference = submitted(demo, BUSINESS)
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, reference)
    sent = decide(
        reviewer1,
        reference,
        "counter",
        {"kind": "installment_plan", "months": "18", "pay_day": "1", "upfront": "", "action": "send"},
    )
    assert _notices(reviewer1, sent) == [
        plain(demo, "Above your limit: the counter-offer waits for a senior reviewer's second approval.")
    ]
    assert row(demo, reference).status == "awaiting_second_approval"
    senior1 = staff_client(demo, "senior1")
    claim(senior1, reference)

    decide(senior1, reference, "approve")

    stored = row(demo, reference)
    assert stored.counter_terms["months"] == 18
    assert stored.terms["months"] == 12  # what the borrower asked for
    offer = borrower_client(demo, BUSINESS).get(f"/applications/{reference}/offer").get_data(as_text=True)
    counter_text = plural_text(demo, 18, day=1)
    asked_text = plural_text(demo, 12, day=1)
    assert counter_text in offer
    assert asked_text not in offer.split("<caption>")[0]  # the offer is not described as the plan asked for
    assert [m.kind for m in notifications(demo, BUSINESS)][-2:] == ["application_countered"] * 2


def plural_text(app, months: int, **params) -> str:
    """The installment plan's terms line as the offer page shows it (a plural message)."""
    from flask_babel import force_locale, ngettext
    from markupsafe import escape

    with app.test_request_context(), force_locale("zh_Hans"):
        return str(
            escape(
                ngettext(
                    "Overdue amount in %(num)d monthly part, paid on day %(day)d of each month.",
                    "Overdue amount in %(num)d monthly parts, paid on day %(day)d of each month.",
                    months,
                    **params,
                )
            )
        )
