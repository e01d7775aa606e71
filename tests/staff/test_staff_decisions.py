"""Every staff decision through HTTP, and what the borrower sees of it: claim, approve, reject, ask for
information, counter-offer (preview, then send), accept and decline, and waivers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.applications import decisions, offers, serialisation
from portal.i18n import labels
from portal.loans import services
from portal.loans.models import ScheduleVersion
from portal.people.models import Borrower
from tests.helpers.common import BUSINESS_DATE
from tests.helpers.staff import (
    PASSWORD,
    URBAN,
    application,
    audit_rows,
    borrower_client,
    case_url,
    claim,
    database,
    date_long,
    decide,
    follow,
    label,
    loan_of,
    money,
    notices_on,
    notifications,
    path_of,
    plain,
    row,
    seen,
    staff_client,
    staff_id,
    staff_name,
    submitted,
    table_rows,
    text,
    update,
)

OFFER_EXPIRES = BUSINESS_DATE + timedelta(days=14)
COUNTER = {"kind": "installment_plan", "months": "18", "pay_day": "10", "upfront": "", "spread_charges": ""}


def _set_locale(app, phone: str, locale: str) -> None:
    with database(app) as session:
        session.scalars(select(Borrower).where(Borrower.phone == phone)).one().locale = locale
        session.commit()


def _accept(client, reference: str):
    return client.submit(
        f"/applications/{reference}/accept",
        {"password": PASSWORD, "code": ""},
        page=f"/applications/{reference}/offer",
    )


def _schedule_versions(app, phone: str = URBAN) -> list[int]:
    with database(app) as session:
        loan = loan_of(session, phone)
        return list(
            session.scalars(
                select(ScheduleVersion.version)
                .where(ScheduleVersion.loan_id == loan.id)
                .order_by(ScheduleVersion.version)
            )
        )


def _in_review(app, phone: str = URBAN, username: str = "reviewer1"):
    """A submitted application taken by `username`: (reviewer's client, reference)."""
    reference = submitted(app, phone)
    client = staff_client(app, username)
    claim(client, reference)
    return client, reference


# --- claiming ------------------------------------------------------------------------------------------------


def test_claiming_moves_a_submitted_application_into_review_held_by_the_reviewer(demo):
    reference = submitted(demo)
    reviewer1 = staff_client(demo, "reviewer1")
    _token, version = seen(reviewer1, reference)

    response = decide(reviewer1, reference, "claim")

    assert response.status_code == 303
    assert path_of(response) == case_url(reference)
    assert notices_on(follow(reviewer1, response)) == [plain(demo, "You hold this case now.")]
    stored = row(demo, reference)
    assert stored.status == "in_review"
    assert stored.claimed_by_id == staff_id(demo, "reviewer1")
    assert stored.claimed_at is not None
    assert stored.row_version > version
    (moved,) = audit_rows(demo, reference, "application.in_review")
    assert moved.actor == f"staff:{staff_id(demo, 'reviewer1')}"
    assert (moved.data["from"], moved.data["to"], moved.channel) == ("submitted", "in_review", "branch")


def test_another_reviewer_sees_who_holds_the_case_and_cannot_take_or_approve_it(demo):
    _reviewer1, reference = _in_review(demo)
    reviewer2 = staff_client(demo, "reviewer2")

    version = row(demo, reference).row_version  # the version both reviewers saw

    page = reviewer2.get(case_url(reference)).get_data(as_text=True)
    approve = decide(reviewer2, reference, "approve", version=version)
    assert approve.status_code == 200  # the approval form comes back as posted, refused
    approve_notices = notices_on(approve.get_data(as_text=True))
    take = decide(reviewer2, reference, "claim", version=version)
    take_notices = notices_on(follow(reviewer2, take))

    assert text(demo, "%(name)s holds this case.", name=staff_name(demo, "reviewer1")) in page
    assert staff_name(demo, "reviewer1") == "周敏"
    assert f'action="{case_url(reference, "approve")}"' not in page  # no decision forms for a non-holder
    assert approve_notices == [label(demo, labels.ERRORS, "claim_first")]
    assert take_notices == [label(demo, labels.ERRORS, "claimed_by_other")]
    stored = row(demo, reference)
    assert (stored.status, stored.claimed_by_id, stored.decided_by_id) == (
        "in_review",
        staff_id(demo, "reviewer1"),
        None,
    )
    assert audit_rows(demo, reference, "application.approved") == []


def test_releasing_a_case_leaves_it_in_review_with_no_holder(demo):
    reviewer1, reference = _in_review(demo)

    released = decide(reviewer1, reference, "release")

    assert notices_on(follow(reviewer1, released)) == [plain(demo, "The case is back in the queue.")]
    stored = row(demo, reference)
    assert (stored.status, stored.claimed_by_id, stored.claimed_at) == ("in_review", None, None)
    unassigned = reviewer1.get("/staff/queue?holder=unassigned").get_data(as_text=True)
    assert reference in unassigned


def test_a_released_case_can_be_taken_by_another_reviewer(demo):
    reviewer1, reference = _in_review(demo)
    decide(reviewer1, reference, "release")
    reviewer2 = staff_client(demo, "reviewer2")
    version = row(demo, reference).row_version

    taken = decide(reviewer2, reference, "claim", version=version)
    taken_notices = notices_on(follow(reviewer2, taken))
    page = reviewer1.get(case_url(reference)).get_data(as_text=True)

    assert taken_notices == [plain(demo, "You hold this case now.")]
    stored = row(demo, reference)
    assert (stored.status, stored.claimed_by_id) == ("in_review", staff_id(demo, "reviewer2"))
    assert text(demo, "%(name)s holds this case.", name=staff_name(demo, "reviewer2")) in page


def test_a_released_case_offers_the_take_form_again(demo):
    reviewer1, reference = _in_review(demo)
    decide(reviewer1, reference, "release")
    reviewer2 = staff_client(demo, "reviewer2")

    page = reviewer2.get(case_url(reference)).get_data(as_text=True)

    assert f'action="{case_url(reference, "claim")}"' in page


# --- approve -------------------------------------------------------------------------------------------------


def test_approving_within_the_limit_makes_an_offer_valid_14_days_and_tells_the_borrower_in_their_language(
    demo,
):
    _set_locale(demo, URBAN, "en")  # the reviewer works in Simplified Chinese; the borrower reads English
    reviewer1, reference = _in_review(demo)
    assert row(demo, reference).amount_fen <= 50_000_00

    response = decide(reviewer1, reference, "approve", {"message": "Plan fits the budget."})

    assert response.status_code == 303
    assert path_of(response) == case_url(reference)
    assert notices_on(follow(reviewer1, response)) == [plain(demo, "Approved. The borrower has been told.")]
    stored = row(demo, reference)
    assert stored.status == "approved"
    assert stored.offer_expires_on == OFFER_EXPIRES == BUSINESS_DATE + timedelta(days=14)
    assert stored.decided_by_id == staff_id(demo, "reviewer1")
    assert stored.first_approver_id is None
    assert stored.claimed_by_id is None
    assert stored.decision_note == "Plan fits the budget."
    told = notifications(demo, URBAN, "application_approved")
    assert sorted(m.channel for m in told) == ["portal", "sms"]
    expected = plain(
        demo,
        "Good news: your application %(reference)s is approved. Please accept it by %(date)s on the "
        "website or by calling us.",
        "en",
        reference=reference,
        date=date_long(demo, OFFER_EXPIRES, "en"),
    )
    assert "December 13, 2026" in expected or "13 December 2026" in expected
    assert [(m.locale, m.body) for m in told] == [("en", expected), ("en", expected)]
    (approved,) = audit_rows(demo, reference, "application.approved")
    assert approved.actor == f"staff:{staff_id(demo, 'reviewer1')}"
    assert (approved.data["from"], approved.data["note"]) == ("in_review", "Plan fits the budget.")
    assert approved.data["policy_version"] == 3  # the newest pack


def test_the_borrower_sees_the_approved_offer_and_accepting_puts_schedule_version_2_in_force(demo):
    reviewer1, reference = _in_review(demo)
    decide(reviewer1, reference, "approve")
    borrower = borrower_client(demo, URBAN)

    offer = borrower.get(f"/applications/{reference}/offer")
    accepted = _accept(borrower, reference)

    assert offer.status_code == 200
    assert accepted.status_code == 303
    assert path_of(accepted) == f"/applications/{reference}?accepted=1"
    stored = row(demo, reference)
    assert stored.status == "active"
    assert _schedule_versions(demo) == [1, 2]


# --- reject --------------------------------------------------------------------------------------------------


def test_rejecting_with_a_reason_and_a_note_tells_the_borrower_why(demo):
    reviewer1, reference = _in_review(demo)
    note = "Your income does not cover even the smallest plan; please call us to talk it over."

    response = decide(
        reviewer1, reference, "reject", {"reason": "not_affordable_even_with_plan", "message": note}
    )

    assert notices_on(follow(reviewer1, response)) == [plain(demo, "Rejected. The borrower has been told.")]
    stored = row(demo, reference)
    assert stored.status == "rejected"
    assert (stored.decision_reason, stored.decision_note) == ("not_affordable_even_with_plan", note)
    assert stored.decided_by_id == staff_id(demo, "reviewer1")
    assert stored.decided_at is not None
    assert stored.claimed_by_id is None
    (rejected,) = audit_rows(demo, reference, "application.rejected")
    assert (rejected.data["reason"], rejected.data["note"]) == ("not_affordable_even_with_plan", note)
    assert [m.kind for m in notifications(demo, URBAN, "application_rejected")] == [
        "application_rejected"
    ] * 2
    borrower_page = borrower_client(demo, URBAN).get(f"/applications/{reference}").get_data(as_text=True)
    assert text(demo, note) in borrower_page
    assert text(demo, "Not approved") in borrower_page


def test_a_rejection_without_a_note_is_refused_and_changes_nothing(demo):
    reviewer1, reference = _in_review(demo)
    version = row(demo, reference).row_version

    response = decide(reviewer1, reference, "reject", {"reason": "no_hardship_shown", "message": "  "})

    assert response.status_code == 200
    assert text(demo, "Explain the decision to the borrower.") in response.get_data(as_text=True)
    stored = row(demo, reference)
    assert (stored.status, stored.row_version, stored.decision_reason) == ("in_review", version, None)


# --- ask for information -------------------------------------------------------------------------------------


def test_asking_for_information_waits_for_the_borrowers_answer_which_sends_it_back_to_the_queue(demo):
    reviewer1, reference = _in_review(demo)
    question = "Please tell us when your working hours were cut, and by how much."

    asked = decide(reviewer1, reference, "information", {"question": question})

    assert notices_on(follow(reviewer1, asked)) == [
        plain(demo, "Sent. The case waits for the borrower's answer.")
    ]
    stored = row(demo, reference)
    assert (stored.status, stored.info_request) == ("info_requested", question)
    assert len(notifications(demo, URBAN, "application_info_requested")) == 2
    borrower = borrower_client(demo, URBAN)
    assert text(demo, question) in borrower.get(f"/applications/{reference}").get_data(as_text=True)

    answer = "Since July: from 40 to 24 hours a week."
    answered = borrower.submit(
        f"/applications/{reference}/answer", {"answer": answer}, page=f"/applications/{reference}"
    )

    assert answered.status_code == 303
    stored = row(demo, reference)
    assert (stored.status, stored.info_response) == ("submitted", answer)
    submits = audit_rows(demo, reference, "application.submitted")
    assert [e.data["from"] for e in submits] == ["draft", "info_requested"]
    assert submits[-1].actor == f"borrower:{stored.borrower_id}"
    case_page = reviewer1.get(case_url(reference)).get_data(as_text=True)
    assert text(demo, answer) in case_page
    queue = reviewer1.get("/staff/queue?status=submitted").get_data(as_text=True)
    assert reference in queue


# --- counter-offer -------------------------------------------------------------------------------------------


def test_a_counter_offer_preview_shows_the_figures_and_changes_nothing(demo):
    reviewer1, reference = _in_review(demo)
    before = row(demo, reference)
    with database(demo) as session, demo.test_request_context():
        found = application(session, reference)
        expected = decisions.counter_quote(
            session,
            found,
            "installment_plan",
            serialisation.terms_from_json({"months": 18, "pay_day": 10}),
            BUSINESS_DATE,
            {},
        )

    response = decide(reviewer1, reference, "counter", {**COUNTER, "action": "preview"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert money(demo, expected.regular_payment) in html
    assert len(table_rows(html, plain(demo, "Counter-offer schedule"))) == len(expected.schedule) == 18
    assert 'name="action" value="send"' in html
    after = row(demo, reference)
    assert (after.status, after.row_version, after.counter_terms, after.counter_quote) == (
        "in_review",
        before.row_version,
        None,
        None,
    )
    assert audit_rows(demo, reference, "application.countered") == []


def test_sending_a_counter_offer_shows_the_borrower_both_schedules_and_accepting_puts_it_in_force(demo):
    reviewer1, reference = _in_review(demo)
    requested_rows = len(row(demo, reference).quote["schedule"])

    sent = decide(
        reviewer1, reference, "counter", {**COUNTER, "action": "send", "message": "A longer plan fits."}
    )

    assert sent.status_code == 303
    assert notices_on(follow(reviewer1, sent)) == [
        plain(demo, "Counter-offer sent. The borrower has been told.")
    ]
    stored = row(demo, reference)
    assert stored.status == "countered"
    assert {k: stored.counter_terms[k] for k in ("kind", "months", "pay_day")} == {
        "kind": "installment_plan",
        "months": 18,
        "pay_day": 10,
    }
    assert stored.offer_expires_on == OFFER_EXPIRES
    assert len(notifications(demo, URBAN, "application_countered")) == 2
    (countered,) = audit_rows(demo, reference, "application.countered")
    assert countered.data["counter"]["months"] == 18

    borrower = borrower_client(demo, URBAN)
    offer = borrower.get(f"/applications/{reference}/offer").get_data(as_text=True)
    offered = table_rows(offer, plain(demo, "Offered schedule"))
    requested = table_rows(offer, plain(demo, "Requested schedule"))
    assert len(offered) == 18
    assert len(requested) == requested_rows == 15
    assert offered != requested[: len(offered)]
    assert text(demo, "A longer plan fits.") in offer

    accepted = _accept(borrower, reference)

    assert accepted.status_code == 303
    stored = row(demo, reference)
    assert stored.status == "active"
    assert stored.agreement["terms"]["months"] == 18
    assert _schedule_versions(demo) == [1, 2]
    with database(demo) as session:
        version, installments = services.current_schedule(session, loan_of(session, URBAN))
        assert version.version == 2
        assert version.id == stored.schedule_version_id
        assert [str(i.total) for i in installments[-18:]] == [
            r[-1].replace("¥", "").replace(",", "") for r in offered
        ]


def test_the_borrower_can_decline_a_counter_offer(demo):
    reviewer1, reference = _in_review(demo)
    decide(reviewer1, reference, "counter", {**COUNTER, "action": "send"})
    borrower = borrower_client(demo, URBAN)

    declined = borrower.submit(f"/applications/{reference}/decline", page=f"/applications/{reference}/offer")

    assert declined.status_code == 303
    assert row(demo, reference).status == "declined"
    (event,) = audit_rows(demo, reference, "application.declined")
    assert event.actor == f"borrower:{row(demo, reference).borrower_id}"
    assert _schedule_versions(demo) == [1]


# --- waivers -------------------------------------------------------------------------------------------------


def test_waiving_the_penalty_makes_the_accepted_schedule_smaller_by_exactly_the_waived_penalty(demo):
    reviewer1, reference = _in_review(demo)
    with database(demo) as session:
        penalty = decisions.waived_amounts(
            session, application(session, reference), BUSINESS_DATE, {"penalty": True}
        )["penalty"]
    assert Decimal("0") < penalty <= Decimal("500.00")  # within a reviewer's waiver authority

    response = decide(reviewer1, reference, "approve", {"waive_penalty": "y"})

    assert response.status_code == 303
    stored = row(demo, reference)
    assert (stored.status, stored.waivers) == ("approved", {"penalty": True})
    with database(demo) as session:
        found = application(session, reference)
        waived = offers.offered_quote(session, found, BUSINESS_DATE)
        found.waivers = {}
        unwaived = offers.offered_quote(session, found, BUSINESS_DATE)
        session.rollback()
    assert unwaived.total_cost - waived.total_cost == penalty
    assert sum(i.total for i in unwaived.schedule) - sum(i.total for i in waived.schedule) == penalty

    accepted = _accept(borrower_client(demo, URBAN), reference)

    assert accepted.status_code == 303
    stored = row(demo, reference)
    assert stored.status == "active"
    assert stored.agreement["waivers"] == {"penalty": str(penalty)}
    with database(demo) as session:
        _version, installments = services.current_schedule(session, loan_of(session, URBAN))
        in_force = {i.number: i.total for i in installments}
    new_lines = {i.number: i.total for i in waived.schedule}
    assert {n: in_force[n] for n in new_lines} == new_lines
    assert sum(i.total for i in unwaived.schedule) - sum(new_lines.values()) == penalty


def test_a_decision_on_a_version_the_reviewer_no_longer_sees_is_a_conflict(demo):
    reviewer1, reference = _in_review(demo)
    stale = row(demo, reference).row_version
    update(demo, reference, account="Changed meanwhile.")  # any change bumps the version
    assert row(demo, reference).row_version == stale + 1

    response = decide(reviewer1, reference, "approve", version=stale)

    assert response.status_code == 409
    assert notices_on(response.get_data(as_text=True)) == [label(demo, labels.ERRORS, "conflict")]
    stored = row(demo, reference)
    assert (stored.status, stored.decided_by_id) == ("in_review", None)
    assert audit_rows(demo, reference, "application.approved") == []
    assert notifications(demo, URBAN, "application_approved") == []


def test_a_tampered_version_is_refused_as_a_conflict_not_an_error(demo):
    reviewer1, reference = _in_review(demo)
    token, _version = seen(reviewer1, reference)

    response = reviewer1.post(case_url(reference, "approve"), data={"csrf_token": token, "version": "1e3"})

    assert response.status_code in (400, 409)
    assert row(demo, reference).status == "in_review"


def test_an_administrator_reads_cases_but_cannot_decide_them(demo):
    _reviewer1, reference = _in_review(demo)
    admin = staff_client(demo, "admin1")
    token, _version = seen(admin, reference)
    version = row(demo, reference).row_version

    for action in ("claim", "release", "approve", "reject", "information", "counter"):
        response = admin.post(
            case_url(reference, action),
            data={
                "csrf_token": token,
                "version": str(version),
                "reason": "other",
                "message": "x",
                "question": "x",
            },
        )
        assert response.status_code == 404, action

    stored = row(demo, reference)
    assert (stored.status, stored.claimed_by_id, stored.row_version) == (
        "in_review",
        staff_id(demo, "reviewer1"),
        version,
    )
