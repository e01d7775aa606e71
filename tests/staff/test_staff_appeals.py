"""Appeals that end (issue 17 item 7): one appeal per decision, a rejection on appeal is final; a senior deciding an
appeal can approve, counter-offer, ask for information or reject; a refusal keeps everything typed, in staff words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.applications import decisions
from portal.i18n import labels
from portal.loans.positions import loan_position
from portal.loans.services import ServiceError
from portal.staff import refusals
from tests.helpers.common import BUSINESS_DATE
from tests.helpers.staff import (
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
    loan_of,
    notices_on,
    plain,
    row,
    staff_client,
    staff_id,
    submitted,
    text,
)

COUNTER = {"kind": "installment_plan", "months": "18", "pay_day": "10", "upfront": "", "spread_charges": ""}


def _rejected_and_appealed(app, **options) -> str:
    reference = submitted(app, URBAN, **options)
    reviewer1 = staff_client(app, "reviewer1")
    claim(reviewer1, reference)
    decide(reviewer1, reference, "reject", {"reason": "no_hardship_shown", "message": "No change shown."})
    assert row(app, reference).status == "rejected"
    borrower = borrower_client(app, URBAN)
    response = borrower.submit(
        f"/applications/{reference}/appeal",
        {"reason": "My hours are back."},
        page=f"/applications/{reference}",
    )
    assert response.status_code == 303
    assert row(app, reference).status == "appealed"
    return reference


def _senior(app, reference: str):
    senior1 = staff_client(app, "senior1")
    claim(senior1, reference)
    return senior1


def test_a_rejection_on_appeal_is_final_and_cannot_be_appealed_again(demo):
    """ASVS 11.1.1 (business logic in order, no step repeated without end): an appeal's rejection is final."""
    reference = _rejected_and_appealed(demo)
    senior1 = _senior(demo, reference)
    decide(senior1, reference, "reject", {"reason": "other", "message": "Still not affordable."})
    assert row(demo, reference).status == "rejected"
    borrower = borrower_client(demo, URBAN)

    page = borrower.get(f"/applications/{reference}").get_data(as_text=True)
    again = borrower.submit(
        f"/applications/{reference}/appeal",
        {"reason": "Please look again."},
        page=f"/applications/{reference}",
    )

    assert f'action="/applications/{reference}/appeal"' not in page
    assert 'id="appeal-final"' in page
    assert (
        text(
            demo,
            "This was the decision on your appeal, and it is final: it cannot be appealed again. "
            "You can call us to talk about other ways forward.",
        )
        in page
    )
    assert again.status_code == 303
    assert row(demo, reference).status == "rejected"
    assert len(audit_rows(demo, reference, "application.appealed")) == 1
    with database(demo) as session:
        found = application(session, reference)
        assert decisions.can_appeal(found, BUSINESS_DATE) is False
        with pytest.raises(ServiceError) as refused:
            decisions.appeal(session, found, actor="borrower:1", as_of=BUSINESS_DATE, note="Again.")
        session.rollback()
    assert refused.value.code == "appeal_already_decided"


def test_a_senior_can_counter_offer_an_appeal_with_a_message_and_an_internal_note(demo):
    reference = _rejected_and_appealed(demo)
    senior1 = _senior(demo, reference)

    sent = decide(
        senior1,
        reference,
        "counter",
        {
            **COUNTER,
            "action": "send",
            "message": "A longer plan fits.",
            "internal_note": "Appeal: 18 months.",
        },
    )

    assert notices_on(follow(senior1, sent)) == [
        plain(demo, "Counter-offer sent. The borrower has been told.")
    ]
    stored = row(demo, reference)
    assert (stored.status, stored.decision_note) == ("countered", "A longer plan fits.")
    (countered,) = audit_rows(demo, reference, "application.countered")
    assert (countered.data["from"], countered.data["internal_note"]) == ("appealed", "Appeal: 18 months.")


def test_a_senior_can_ask_for_information_on_an_appeal_and_the_answer_comes_back_to_a_senior(demo):
    reference = _rejected_and_appealed(demo)
    senior1 = _senior(demo, reference)

    decide(
        senior1, reference, "information", {"question": "Send the new contract.", "internal_note": "Check."}
    )

    stored = row(demo, reference)
    assert (stored.status, stored.info_request) == ("info_requested", "Send the new contract.")
    (asked,) = audit_rows(demo, reference, "application.info_requested")
    assert (asked.data["from"], asked.data["internal_note"]) == ("appealed", "Check.")
    borrower = borrower_client(demo, URBAN)
    borrower.submit(
        f"/applications/{reference}/answer",
        {"answer": "Sent at the branch."},
        page=f"/applications/{reference}",
    )
    assert row(demo, reference).status == "submitted"
    reviewer2 = staff_client(demo, "reviewer2")
    taken = decide(reviewer2, reference, "claim")
    assert notices_on(follow(reviewer2, taken)) == [label(demo, labels.ERRORS, "senior_only")]
    assert row(demo, reference).claimed_by_id != staff_id(demo, "reviewer2")


def test_approving_the_appeal_of_a_matured_loan_is_refused_in_staff_words_keeping_everything_typed(demo):
    """ASVS 11.1.2: the refusal names the loan's state in staff words, and the senior's message and internal note
    come back on the form (nothing typed is lost); the counter-offer panel lists the plans the loan can have."""
    reference = _rejected_and_appealed(demo, kind="extension", months=None)
    with database(demo) as session, demo.test_request_context():
        schedule = loan_position(session, loan_of(session, URBAN), BUSINESS_DATE).report.installments
        matured = schedule[-1].due_date + timedelta(days=1)
    demo.config["BUSINESS_DATE"] = matured
    senior1 = _senior(demo, reference)

    refused = decide(
        senior1,
        reference,
        "approve",
        {"message": "We look again: a plan that fits.", "internal_note": "Matured since the appeal."},
    )

    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert notices_on(page) == [label(demo, refusals.UNAVAILABLE, "loan_matured")]
    assert label(demo, labels.UNAVAILABLE, "loan_matured") not in notices_on(page)  # never borrower words
    assert "We look again: a plan that fits.</textarea>" in page
    assert "Matured since the appeal.</textarea>" in page
    assert 'id="open-plans"' in page
    assert row(demo, reference).status == "appealed"
    assert audit_rows(demo, reference, "application.approved") == []


def test_a_second_senior_approves_an_appeal_above_the_deciding_seniors_limit(demo):
    """ASVS 11.1.1, 1.11.3: limits apply to appeals too (four eyes)."""
    add_senior(demo, "senior2", "冯建国")
    reference = _rejected_and_appealed(demo)
    from portal.people.models import StaffUser

    with database(demo) as session:
        session.query(StaffUser).filter_by(username="senior1").one().approval_limit_fen = 1_000_00
        session.commit()
    senior1 = _senior(demo, reference)

    decide(senior1, reference, "approve")

    assert row(demo, reference).status == "awaiting_second_approval"
    senior2 = staff_client(demo, "senior2")
    claim(senior2, reference)
    decide(senior2, reference, "approve")
    assert row(demo, reference).status == "approved"
