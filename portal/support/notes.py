"""Phone support, after the caller: call notes on the borrower's record, the agent's recent calls, and the
callbacks an agent promises (to make, made, due today).

Services flush, never commit; every note and callback is on the audit trail as the agent, for the borrower.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.clock import stored_moment, utcnow
from portal.core import audit
from portal.people.models import StaffUser
from portal.support.models import AssistedSession, Callback, CallNote
from portal.support.sessions import agent_actor, audit_call, borrower_actor

# --- calls and their notes ----------------------------------------------------------------------------------


def recent_calls(
    session: Session, agent_id: int, limit: int = 10
) -> list[tuple[AssistedSession, list[CallNote]]]:
    """The agent's latest calls (assisted sessions), each with the notes written during it."""
    calls = list(
        session.scalars(
            select(AssistedSession)
            .where(AssistedSession.agent_id == agent_id)
            .order_by(AssistedSession.id.desc())
            .limit(limit)
        )
    )
    notes: dict[int, list[CallNote]] = {call.id: [] for call in calls}
    if calls:
        for note in session.scalars(
            select(CallNote).where(CallNote.session_id.in_(list(notes))).order_by(CallNote.id)
        ):
            notes[note.session_id].append(note)
    return [(call, notes[call.id]) for call in calls]


def add_note(session: Session, agent: StaffUser, assisted: AssistedSession, body: str) -> CallNote:
    """A note on the borrower's record, written during the call."""
    note = CallNote(
        borrower_id=assisted.borrower_id,
        agent_id=agent.id,
        session_id=assisted.id,
        body=body,
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    audit_call(session, agent, assisted.borrower_id, "call.noted", {"note": note.id})
    return note


def borrower_notes(session: Session, borrower_id: int, limit: int = 20) -> list[CallNote]:
    """Notes on the borrower's record, newest first."""
    return list(
        session.scalars(
            select(CallNote)
            .where(CallNote.borrower_id == borrower_id)
            .order_by(CallNote.id.desc())
            .limit(limit)
        )
    )


# --- callbacks ----------------------------------------------------------------------------------------------


def add_callback(
    session: Session, agent: StaffUser, assisted: AssistedSession, *, due_at: datetime, note: str
) -> Callback:
    """Promise to call the borrower back at `due_at` (naive UTC)."""
    callback = Callback(
        borrower_id=assisted.borrower_id,
        agent_id=agent.id,
        due_at=due_at,
        note=note,
        created_at=utcnow(),
    )
    session.add(callback)
    session.flush()
    audit_call(
        session,
        agent,
        assisted.borrower_id,
        "callback.scheduled",
        {"callback": callback.id, "due_at": due_at.isoformat()},
    )
    return callback


def complete_callback(session: Session, agent: StaffUser, callback: Callback) -> None:
    """The callback was made."""
    if callback.done_at is None:
        callback.done_at = utcnow()
        audit_call(session, agent, callback.borrower_id, "callback.done", {"callback": callback.id})


def todays_callbacks(session: Session, agent_id: int, today: date) -> list[Callback]:
    """The agent's callbacks still to make that are due by the end of `today` (local), late ones first."""
    end_of_day = stored_moment(today + timedelta(days=1), time(0, 0))
    return list(
        session.scalars(
            select(Callback)
            .where(Callback.agent_id == agent_id, Callback.done_at.is_(None), Callback.due_at < end_of_day)
            .order_by(Callback.due_at, Callback.id)
        )
    )


def borrower_callbacks(session: Session, borrower_id: int) -> list[Callback]:
    """The borrower's callbacks still to make, soonest first."""
    return list(
        session.scalars(
            select(Callback)
            .where(Callback.borrower_id == borrower_id, Callback.done_at.is_(None))
            .order_by(Callback.due_at, Callback.id)
        )
    )


def own_callback(session: Session, agent_id: int, callback_id: int) -> Callback | None:
    """One of the agent's own callbacks, or None."""
    return session.scalars(
        select(Callback).where(Callback.id == callback_id, Callback.agent_id == agent_id)
    ).first()


def reveal_number(session: Session, agent: StaffUser, borrower, reason: str) -> str:
    """The borrower's whole phone number for an agent to dial (a callback, or a request to be called back): lists
    show it masked, and each reveal is on the audit trail."""
    audit.record(
        session,
        actor=agent_actor(agent),
        on_behalf_of=borrower_actor(borrower.id),
        channel="phone",
        action="phone.revealed",
        subject=borrower_actor(borrower.id),
        data={"for": reason},
    )
    return borrower.phone
