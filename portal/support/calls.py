"""Phone support: finding a caller, verifying them, the assisted session, call notes and callbacks.

- A support code is 6 digits the borrower reads from their own dashboard: stored only as a keyed hash, valid
  10 minutes, used once; a new code replaces the old one.
- Verification (by the code, or by knowledge questions) is counted per borrower in the database, whatever the
  number of workers: each try is written in a transaction of its own (`db.own_transaction`) *before* it is
  checked, so 3 failures in 30 minutes lock verification for that borrower for everyone.
- A verified caller opens an assisted session: 30 minutes, one live session per agent (a new one ends the old).
- Every action is on the audit trail as actor = the agent, on behalf of = the borrower, channel = phone.

Services flush, never commit; the attempt counter, which must be visible to other workers at once and outlive
the request, is written in transactions of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.clock import real_utcnow, stored_moment, utcnow
from portal.core import audit
from portal.loans.models import Loan, Payment
from portal.people.models import Borrower, StaffUser
from portal.support.models import AssistedSession, Callback, CallNote, SupportCode, VerificationAttempt

CODE_TTL = timedelta(minutes=10)
SESSION_LENGTH = timedelta(minutes=30)
LOCK_FAILURES = 3
LOCK_WINDOW = timedelta(minutes=30)


def agent_actor(agent: StaffUser) -> str:
    return f"staff:{agent.id}"


def borrower_actor(borrower_id: int) -> str:
    return f"borrower:{borrower_id}"


# --- support codes ------------------------------------------------------------------------------------------


def _hash(code: str, borrower_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"support:{borrower_id}:{code}".encode(), hashlib.sha256).hexdigest()


def issue_support_code(session: Session, borrower: Borrower) -> tuple[SupportCode, str]:
    """A new code for the borrower to read to an agent; any earlier unused code stops working."""
    now = real_utcnow()
    for old in session.scalars(
        select(SupportCode).where(SupportCode.borrower_id == borrower.id, SupportCode.spent_at.is_(None))
    ):
        old.spent_at = now
        old.spent_how = "replaced"
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = SupportCode(
        borrower_id=borrower.id, code_hash=_hash(code, borrower.id), created_at=now, expires_at=now + CODE_TTL
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=borrower_actor(borrower.id),
        action="support_code.issued",
        subject=borrower_actor(borrower.id),
    )
    return row, code


def live_support_code(session: Session, borrower_id: int, code_id: int | None) -> SupportCode | None:
    """The borrower's code `code_id` when it can still be used (not used, not replaced, not expired)."""
    if not code_id:
        return None
    row = session.get(SupportCode, code_id)
    if (
        row is None
        or row.borrower_id != borrower_id
        or row.spent_at is not None
        or row.expires_at <= real_utcnow()
    ):
        return None
    return row


def _use_support_code(session: Session, borrower: Borrower, code: str) -> bool:
    now = real_utcnow()
    row = session.scalars(
        select(SupportCode)
        .where(
            SupportCode.borrower_id == borrower.id,
            SupportCode.spent_at.is_(None),
            SupportCode.expires_at > now,
        )
        .order_by(SupportCode.id.desc())
    ).first()
    if row is None or not hmac.compare_digest(row.code_hash, _hash(code.strip(), borrower.id)):
        return False
    row.spent_at = now
    row.spent_how = "used"
    return True


# --- finding a caller ---------------------------------------------------------------------------------------


def find_borrowers(
    session: Session,
    *,
    phone: str = "",
    loan_number: str = "",
    name: str = "",
    birth_date: date | None = None,
) -> list[Borrower]:
    """Exact matches only (a phone number, a loan number, or a name with a birth date): no browsing by prefix."""
    if phone:
        query = select(Borrower).where(Borrower.phone == phone)
    elif loan_number:
        query = select(Borrower).join(Loan, Loan.borrower_id == Borrower.id).where(Loan.number == loan_number)
    elif name and birth_date:
        query = select(Borrower).where(Borrower.name == name, Borrower.birth_date == birth_date)
    else:
        return []
    return list(session.scalars(query.order_by(Borrower.id).limit(20)).unique())


# --- verification -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """The outcome of one try: verified (with the new session), refused, or locked (seconds to wait)."""

    verified: bool
    assisted: AssistedSession | None = None
    locked_for: int = 0
    tries_left: int = 0


def _failures_since(session: Session, borrower_id: int, now: datetime) -> list[datetime]:
    """Failed (or still pending) tries in the lock window after the last success, newest first."""
    since = now - LOCK_WINDOW
    last_ok = session.scalar(
        select(func.max(VerificationAttempt.at)).where(
            VerificationAttempt.borrower_id == borrower_id, VerificationAttempt.outcome == "ok"
        )
    )
    if last_ok is not None and last_ok > since:
        since = last_ok
    return list(
        session.scalars(
            select(VerificationAttempt.at)
            .where(
                VerificationAttempt.borrower_id == borrower_id,
                VerificationAttempt.at > since,
                VerificationAttempt.outcome.in_(("failed", "pending")),
            )
            .order_by(VerificationAttempt.at.desc())
        )
    )


def locked_for(session: Session, borrower_id: int) -> int:
    """Seconds until verification for this borrower opens again (0: open)."""
    now = real_utcnow()
    failures = _failures_since(session, borrower_id, now)
    if len(failures) < LOCK_FAILURES:
        return 0
    unlock = failures[LOCK_FAILURES - 1] + LOCK_WINDOW
    return max(1, math.ceil((unlock - now).total_seconds()))


def _attempt(session: Session, agent: StaffUser, borrower: Borrower, method: str, check) -> Verification:
    """Reserve a try (in a transaction of its own, so every worker counts it), then check it; refuse without
    checking when locked. A refusal and a failed try stay on the record whatever becomes of the request."""
    from portal.db import own_transaction

    now = real_utcnow()
    fields = {
        "actor": agent_actor(agent),
        "on_behalf_of": borrower_actor(borrower.id),
        "channel": "phone",
        "subject": borrower_actor(borrower.id),
        "data": {"method": method},
    }
    with own_transaction() as own:
        attempt = VerificationAttempt(
            borrower_id=borrower.id, agent_id=agent.id, method=method, at=now, outcome="pending"
        )
        own.add(attempt)
        own.flush()
        attempt_id = attempt.id
    with own_transaction() as own:
        failures = _failures_since(own, borrower.id, now)
        if len(failures) > LOCK_FAILURES:
            # Locked: this try is not checked and does not extend the lock.
            own.execute(delete(VerificationAttempt).where(VerificationAttempt.id == attempt_id))
            audit.record(own, action="verification.locked", **fields)
            return Verification(False, locked_for=locked_for(own, borrower.id))
    ok = bool(check())
    if not ok:
        with own_transaction() as own:
            own.get(VerificationAttempt, attempt_id).outcome = "failed"
            audit.record(own, action="verification.failed", **fields)
            left = max(0, LOCK_FAILURES - len(failures))
            return Verification(
                False, locked_for=locked_for(own, borrower.id) if not left else 0, tries_left=left
            )
    session.get(VerificationAttempt, attempt_id).outcome = "ok"
    audit.record(session, action="verification.passed", **fields)
    assisted = start_session(session, agent, borrower, verified_by=method)
    return Verification(True, assisted=assisted)


def verify_with_code(session: Session, agent: StaffUser, borrower: Borrower, code: str) -> Verification:
    """Verify the caller by the support code they read from their portal."""
    return _attempt(
        session, agent, borrower, "support_code", lambda: _use_support_code(session, borrower, code)
    )


def last_payment_amount(session: Session, borrower: Borrower) -> Decimal:
    """The borrower's most recent payment on any loan (0.00 when they never paid)."""
    row = session.scalars(
        select(Payment)
        .join(Loan, Loan.id == Payment.loan_id)
        .where(Loan.borrower_id == borrower.id)
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
    ).first()
    return row.amount if row is not None else Decimal("0.00")


def verify_with_answers(
    session: Session,
    agent: StaffUser,
    borrower: Borrower,
    *,
    id_last4: str,
    birth_date: date | None,
    last_payment: Decimal | None,
) -> Verification:
    """Verify the caller by what only the borrower should know: all three answers must be right."""

    def check() -> bool:
        right_id = hmac.compare_digest(id_last4.strip().upper(), borrower.id_number[-4:].upper())
        right_birth = birth_date == borrower.birth_date
        right_payment = last_payment is not None and last_payment == last_payment_amount(session, borrower)
        return right_id and right_birth and right_payment

    return _attempt(session, agent, borrower, "questions", check)


# --- assisted sessions --------------------------------------------------------------------------------------


def _audit(
    session: Session, agent: StaffUser, borrower_id: int, action: str, data: dict | None = None
) -> None:
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
    session: Session, agent: StaffUser, borrower: Borrower, *, verified_by: str
) -> AssistedSession:
    """Open a 30-minute assisted session; the agent's other open sessions end (one call at a time)."""
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
    _audit(
        session, agent, borrower.id, "assist.started", {"session": assisted.id, "verified_by": verified_by}
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
    _audit(session, agent, assisted.borrower_id, "assist.ended", {"session": assisted.id, "how": how})


def first_time(assisted: AssistedSession, key: str) -> bool:
    """True the first time `key` is seen in this session (and remember it): one message per meaningful action."""
    seen = list(assisted.notified or [])
    if key in seen:
        return False
    assisted.notified = [*seen, key]
    return True


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


# --- notes and callbacks ------------------------------------------------------------------------------------


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
    _audit(session, agent, assisted.borrower_id, "call.noted", {"note": note.id})
    return note


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
    _audit(
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
        _audit(session, agent, callback.borrower_id, "callback.done", {"callback": callback.id})


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


def own_callback(session: Session, agent_id: int, callback_id: int) -> Callback | None:
    """One of the agent's own callbacks, or None."""
    return session.scalars(
        select(Callback).where(Callback.id == callback_id, Callback.agent_id == agent_id)
    ).first()


def own_session(session: Session, agent_id: int, session_id: int) -> AssistedSession | None:
    """One of the agent's own assisted sessions, or None."""
    return session.scalars(
        select(AssistedSession).where(AssistedSession.id == session_id, AssistedSession.agent_id == agent_id)
    ).first()
