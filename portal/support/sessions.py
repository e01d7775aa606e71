"""Phone support, the assisted session: a verified caller's 30-minute session with one agent, and the
audit trail of what the agent does in it.

- One live session per agent: a new one ends the old.
- Every action is on the audit trail as actor = the agent, on behalf of = the borrower, channel = phone.

Services flush, never commit.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.clock import local_time, real_utcnow, utcnow
from portal.core import audit, notices
from portal.people.models import Borrower, StaffUser
from portal.support.models import AssistedSession

SESSION_LENGTH = timedelta(minutes=30)


def agent_actor(agent: StaffUser) -> str:
    return f"staff:{agent.id}"


def borrower_actor(borrower_id: int) -> str:
    return f"borrower:{borrower_id}"


# --- assisted sessions --------------------------------------------------------------------------------------


def audit_call(
    session: Session, agent: StaffUser, borrower_id: int, action: str, data: dict | None = None
) -> None:
    """Put an agent's action during a call on the audit trail, on behalf of the borrower, by phone."""
    audit.record(
        session,
        actor=agent_actor(agent),
        on_behalf_of=borrower_actor(borrower_id),
        channel="phone",
        action=action,
        subject=borrower_actor(borrower_id),
        data=data,
    )


def start_session(
    session: Session, agent: StaffUser, borrower: Borrower, *, verified_by: str, help_phone: str | None = None
) -> AssistedSession:
    """Open a 30-minute assisted session; the agent's other open sessions end (one call at a time); the borrower
    is told at once, with the number to call (`help_phone`) if it was not them. Only a history written after the
    fact (the demo's, a test's arrangement) passes no number and tells nobody."""
    for other in open_sessions(session, agent.id):
        end_session(session, agent, other, how="replaced")
    assisted = AssistedSession(
        agent_id=agent.id,
        borrower_id=borrower.id,
        verified_by=verified_by,
        started_at=utcnow(),  # the call on the record: business time
        expires_at=real_utcnow() + SESSION_LENGTH,  # the session's lifetime: real time
        notified=[],
    )
    session.add(assisted)
    session.flush()
    audit_call(
        session, agent, borrower.id, "assist.started", {"session": assisted.id, "verified_by": verified_by}
    )
    if help_phone is not None:
        notices.assisted_session_started(
            session, borrower, f"{local_time(assisted.expires_at):%H:%M}", help_phone
        )
    return assisted


def open_sessions(session: Session, agent_id: int) -> list[AssistedSession]:
    """The agent's sessions that have neither ended nor run out."""
    return list(
        session.scalars(
            select(AssistedSession)
            .where(
                AssistedSession.agent_id == agent_id,
                AssistedSession.ended_at.is_(None),
                AssistedSession.expires_at > real_utcnow(),
            )
            .order_by(AssistedSession.id.desc())
        )
    )


def live_session(session: Session, agent_id: int) -> AssistedSession | None:
    """The agent's live assisted session, if any (the newest)."""
    found = open_sessions(session, agent_id)
    return found[0] if found else None


def end_session(session: Session, agent: StaffUser, assisted: AssistedSession, *, how: str = "agent") -> None:
    """End an assisted session now."""
    if assisted.ended_at is not None:
        return
    assisted.ended_at = utcnow()
    assisted.ended_how = how
    audit_call(session, agent, assisted.borrower_id, "assist.ended", {"session": assisted.id, "how": how})


def first_time(assisted: AssistedSession, key: str) -> bool:
    """True the first time `key` is seen in this session (and remember it): one message per meaningful action."""
    seen = list(assisted.notified or [])
    if key in seen:
        return False
    assisted.notified = [*seen, key]
    return True


def own_session(session: Session, agent_id: int, session_id: int) -> AssistedSession | None:
    """One of the agent's own assisted sessions, or None."""
    return session.scalars(
        select(AssistedSession).where(AssistedSession.id == session_id, AssistedSession.agent_id == agent_id)
    ).first()
