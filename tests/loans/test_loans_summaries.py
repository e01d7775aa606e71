"""The dashboard's loan summaries read the same figures as the full loan positions, for every demo loan."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.loans import services
from portal.loans.models import Loan, ScheduleVersion
from portal.loans.positions import loan_positions, loan_summaries
from tests.helpers.common import BUSINESS_DATE
from tests.helpers.loans import database


def _restructure_one(session) -> None:
    """Give one demo loan a second schedule (three months later, with charges) and a payment under it."""
    loan = session.scalars(select(Loan).order_by(Loan.id)).first()
    _version, installments = services.current_schedule(session, loan)
    later = [
        replace(
            item,
            due_date=item.due_date + timedelta(days=91),
            charges=Decimal("12.34") if i == 0 else item.charges,
        )
        for i, item in enumerate(installments)
    ]
    services.write_schedule_version(
        session, loan, later, effective_on=BUSINESS_DATE - timedelta(days=40), reason="restructure"
    )
    services.record_payment(
        session,
        loan,
        reference="SUMMARY-TEST-1",
        amount=Decimal("321.09"),
        paid_on=BUSINESS_DATE - timedelta(days=5),
    )
    session.commit()


@pytest.mark.parametrize("days", [-200, -31, 0, 45, 400])
def test_summaries_report_what_the_full_positions_report(demo, days):
    as_of = BUSINESS_DATE + timedelta(days=days)
    with database(demo) as session:
        _restructure_one(session)
        loans = session.scalars(select(Loan).order_by(Loan.id).options(joinedload(Loan.product))).all()
        restructured = session.scalar(
            select(func.count()).select_from(ScheduleVersion).where(ScheduleVersion.version > 1)
        )
        summaries = loan_summaries(session, loans, as_of)
        positions = loan_positions(session, loans, as_of)
    assert len(loans) >= 5
    assert restructured >= 1, "a restructured loan's earlier schedule must be left out"
    assert [s.loan.id for s in summaries] == [p.loan.id for p in positions]
    for summary, position in zip(summaries, positions, strict=True):
        assert summary.report == position.report, summary.loan.number
        assert (summary.in_arrears, summary.paid_off) == (position.in_arrears, position.paid_off)


def test_summaries_of_no_loans_are_empty(demo):
    with database(demo) as session:
        assert loan_summaries(session, [], BUSINESS_DATE) == []
