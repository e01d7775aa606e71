"""Appeals: one per decision. The borrower may ask, within the policy's window, for a rejection to be looked at
again by a senior reviewer who took no part in it; the senior's answer is final (a rejection on appeal cannot
be appealed again, so no rejection restarts the window). Services flush, never commit.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from portal import policies
from portal.applications import transitions
from portal.applications.deciding import is_appeal
from portal.applications.models import Application
from portal.clock import local_date, utcnow
from portal.loans.services import ServiceError


def final(application: Application) -> bool:
    """A rejection made on appeal: final, nothing more to ask for."""
    return application.status == "rejected" and is_appeal(application)


def can_appeal(application: Application, as_of: date) -> bool:
    """A first rejection can be appealed within the policy's window (14 days by default), once."""
    if application.status != "rejected" or application.decided_at is None or is_appeal(application):
        return False
    window = policies.of(application.policy_pack).appeal_days
    return as_of <= local_date(application.decided_at) + timedelta(days=window)


def appeal(
    session: Session,
    application: Application,
    *,
    actor: str,
    as_of: date,
    note: str,
    channel: str = "web",
    on_behalf_of: str | None = None,
) -> None:
    """The borrower asks for a rejection to be looked at again, within the policy's appeal window, once."""
    window = policies.of(application.policy_pack).appeal_days
    if application.status != "rejected" or application.decided_at is None:
        raise ServiceError("not_appealable")
    if is_appeal(application):
        raise ServiceError("appeal_already_decided")
    if as_of > local_date(application.decided_at) + timedelta(days=window):
        raise ServiceError("appeal_window_closed")
    application.claimed_by_id = None
    application.appealed_at = utcnow()
    # An appeal is a new decision to make, with its own due date.
    application.decision_due = as_of + timedelta(days=policies.of(application.policy_pack).sla_days)
    transitions.move(
        session,
        application,
        "appealed",
        role=transitions.applicant_role(on_behalf_of),
        actor=actor,
        channel=channel,
        on_behalf_of=on_behalf_of,
        note=note[:200],
    )
    transitions.told_by_phone(session, application, "appealed", actor=actor, channel=channel)
