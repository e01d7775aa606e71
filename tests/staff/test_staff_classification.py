"""The case page of a restructured loan shows its classification under the 2023 rules: at least special mention,
the observation period from the first new payment, and its end; a missed payment in it makes it substandard."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale

from portal import i18n, policies
from portal.applications import offers, transitions
from portal.domain.classification import add_months
from portal.i18n import labels
from portal.loans import classification as loan_classes
from portal.loans import services
from portal.loans.positions import loan_position
from tests.helpers.common import BUSINESS_DATE
from tests.helpers.staff import (
    URBAN,
    application,
    case_url,
    database,
    label,
    loan_of,
    staff_client,
    submitted,
    text,
)


def _restructured(app) -> str:
    """13800000001's loan restructured today by an accepted 12-month installment plan; returns the reference."""
    reference = submitted(app, URBAN)
    with database(app) as session, app.test_request_context():
        row = application(session, reference)
        for target in ("in_review", "approved"):
            transitions.move(session, row, target, role="reviewer", actor="staff:1")
        offers.accept(
            session, row, actor=f"borrower:{row.borrower_id}", as_of=BUSINESS_DATE, confirmation="password"
        )
        session.commit()
    return reference


def _short(app, day) -> str:
    with app.test_request_context(), force_locale("zh_Hans"):
        return i18n.date_short(day)


def _first_new_payment(app, reference):
    with database(app) as session:
        loan = application(session, reference).loan
        _version, installments = services.current_schedule(session, loan)
        return next(i.due_date for i in installments if i.due_date >= BUSINESS_DATE)


def test_the_agreement_records_the_tier_the_loan_had_the_day_it_was_restructured(demo):
    reference = _restructured(demo)
    with database(demo) as session:
        row = application(session, reference)
        assert row.agreement["classification_before"] == "special_mention"  # two installments overdue


def test_the_case_page_shows_special_mention_and_the_observation_period_ending_a_year_after_the_first_payment(
    demo,
):
    reference = _restructured(demo)
    first = _first_new_payment(demo, reference)
    end = add_months(first, 12)

    html = staff_client(demo, "reviewer1").get(case_url(reference)).get_data(as_text=True)

    assert 'id="classification-observation"' in html
    tier = label(demo, labels.CLASSIFICATIONS, "special_mention")
    assert text(demo, "Classification %(tier)s: restructured loan under observation", tier=tier) in html
    period = text(
        demo, "%(start)s to %(end)s", start=_short(demo, first), end=_short(demo, end - timedelta(days=1))
    )
    assert f'<dd id="observation-period">{period}</dd>' in html
    assert f'<dd id="observation-end">{_short(demo, end)}</dd>' in html


def test_a_case_on_a_loan_never_restructured_shows_no_observation_period(demo):
    reference = submitted(demo, URBAN)
    html = staff_client(demo, "reviewer1").get(case_url(reference)).get_data(as_text=True)
    assert 'id="classification-observation"' not in html


def test_a_missed_payment_under_the_new_schedule_makes_the_loan_substandard_and_restarts_the_period(demo):
    reference = _restructured(demo)
    first = _first_new_payment(demo, reference)
    with database(demo) as session:
        row = application(session, reference)
        policy = policies.of(row.policy_pack)
        loan = loan_of(session, URBAN)
        on_time = loan_position(session, loan, first)
        assert loan_classes.classify_position(on_time, [row], policy, first).tier == "special_mention"
        day_after = first + timedelta(days=1)
        missed = loan_position(session, loan, day_after)
        classified = loan_classes.classify_position(missed, [row], policy, day_after)
        assert classified.tier == "substandard"
        assert classified.by_days == "special_mention"
        assert classified.observation.restarted
        assert classified.observation.starts_on > first
        assert "missed_payment" in classified.reasons
