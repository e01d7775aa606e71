"""Phone support, the borrower's spoken consent: an agent who sends an application or accepts an offer for the
borrower on a call does it with the borrower's recorded "yes", and the portal gives that consent its reference.

The reference is never typed in (a typed reference could be one from another call, another borrower or another
action): it is made here, in the same transaction as the action, bound to the assisted session, the borrower and
the action, and unique. The agent reads it to the borrower on the recorded call; the borrower's message and the
agreement carry it.

Services flush, never commit.
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.people.models import StaffUser
from portal.support.models import AssistedSession, ConsentReference
from portal.support.sessions import audit_call

# No 0/O, 1/I/L: the reference is read out on the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACTIONS = ("submit", "accept")


def issue(session: Session, agent: StaffUser, assisted: AssistedSession, *, action: str, subject: str) -> str:
    """A new consent reference for one action (`submit` or `accept`) on `subject`, for the session's borrower."""
    if action not in ACTIONS:
        raise ValueError(action)
    if assisted is None or assisted.agent_id != agent.id:
        raise ValueError("no assisted session")
    reference = "CR-" + "".join(secrets.choice(ALPHABET) for _ in range(8))
    session.add(
        ConsentReference(
            reference=reference,
            session_id=assisted.id,
            borrower_id=assisted.borrower_id,
            agent_id=agent.id,
            action=action,
            subject=subject,
            issued_at=utcnow(),
        )
    )
    session.flush()
    audit_call(
        session,
        agent,
        assisted.borrower_id,
        "consent.recorded",
        {"reference": reference, "action": action, "on": subject, "session": assisted.id},
    )
    return reference
