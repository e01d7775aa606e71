"""Every approver's limits: how much exposure they may approve and how much they may waive alone.

A reviewer's approval limit is set on their staff record; a senior reviewer's too. Waiver limits come from the
application's policy pack: `reviewer_waiver_limit` for reviewers, `senior_waiver_limit` for seniors. A decision
above either limit waits for a senior reviewer's second approval (never the same person).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from portal import policies
from portal.applications.models import Application
from portal.domain import arrears as arrears_rules
from portal.domain.money import from_fen
from portal.loans import positions
from portal.people.models import StaffUser

# The statuses in which a decision is a first decision, so limits apply (a second approval is the check).
FIRST_DECISIONS = ("in_review", "appealed")


@dataclass(frozen=True)
class Limits:
    """What one member of staff may decide alone on one application."""

    approve: Decimal  # the exposure they may approve
    waive: Decimal  # the total they may waive (penalty and compound interest)


def limits_of(staff: StaffUser, application: Application) -> Limits:
    """The decider's limits on this application (the waiver limit is its policy pack's for their role)."""
    policy = policies.of(application.policy_pack)
    return Limits(approve=from_fen(staff.approval_limit_fen), waive=policy.waiver_limit(staff.role))


def waived_amounts(
    session: Session, application: Application, as_of: date, waivers: dict
) -> dict[str, Decimal]:
    """What the chosen waivers forgo as of a date."""
    report = positions.loan_position(session, application.loan, as_of).report
    found = arrears_rules.waivable(report)
    return {k: v for k, v in found.items() if waivers.get(k)}


def above_approval_limit(staff: StaffUser, application: Application) -> bool:
    """The application's exposure is more than the decider may approve alone."""
    return application.amount_fen > staff.approval_limit_fen


def needs_second_approval(
    session: Session, application: Application, staff: StaffUser, as_of: date, waivers: dict
) -> bool:
    """Above the decider's approval limit, or waivers above their waiver limit (reviewers and seniors alike).
    A second approval itself is the check, so it needs none."""
    if application.status not in FIRST_DECISIONS:
        return False
    if above_approval_limit(staff, application):
        return True
    waiver_total = sum(waived_amounts(session, application, as_of, waivers).values(), Decimal("0.00"))
    return waiver_total > limits_of(staff, application).waive
