"""Phone support, who is calling: verifying a caller as a borrower (finding them is portal.support.search, the
support code portal.support.codes).

- Two routes: the support code the borrower reads from their dashboard, or the knowledge questions.
- Tries are counted in the database, whatever the number of workers: each is written in a transaction of its own
  (`db.own_transaction`) *before* it is checked. 3 failures in 30 minutes lock that route for that agent and
  that borrower: an impostor's wrong answers never stop the borrower being verified by another agent, nor by
  the borrower's own support code, which only the borrower can read.
- The questions are the last 4 characters of the ID number, the birth date and the amount of the last payment.
  A borrower who never paid has no last payment, and "0" would be an answer anyone can give, so the questions
  cannot verify them: a caller who never paid is verified by their support code. The page says so to every
  caller alike, so it tells an agent nothing about whether this borrower has paid.
- A verified caller gets an assisted session (portal.support.sessions), and the borrower is told.

Services flush, never commit; the attempt counter, which must be visible to other workers at once and outlive
the request, is written in transactions of its own.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.clock import real_utcnow
from portal.core import audit
from portal.loans.models import Loan, Payment
from portal.people.models import Borrower, StaffUser
from portal.support.codes import use_support_code
from portal.support.models import AssistedSession, VerificationAttempt
from portal.support.sessions import agent_actor, borrower_actor, start_session

LOCK_FAILURES = 3
LOCK_WINDOW = timedelta(minutes=30)
METHODS = ("support_code", "questions")


@dataclass(frozen=True)
class Verification:
    """The outcome of one try: verified (with the new session), refused, or locked (seconds to wait)."""

    verified: bool
    assisted: AssistedSession | None = None
    locked_for: int = 0
    tries_left: int = 0


def _failures_since(
    session: Session, agent_id: int, borrower_id: int, method: str, now: datetime
) -> list[datetime]:
    """This agent's failed (or still pending) tries on this route for this borrower in the lock window after their
    last success, newest first."""
    since = now - LOCK_WINDOW
    mine = (
        VerificationAttempt.agent_id == agent_id,
        VerificationAttempt.borrower_id == borrower_id,
        VerificationAttempt.method == method,
    )
    last_ok = session.scalar(
        select(func.max(VerificationAttempt.at)).where(*mine, VerificationAttempt.outcome == "ok")
    )
    if last_ok is not None and last_ok > since:
        since = last_ok
    return list(
        session.scalars(
            select(VerificationAttempt.at)
            .where(
                *mine,
                VerificationAttempt.at > since,
                VerificationAttempt.outcome.in_(("failed", "pending")),
            )
            .order_by(VerificationAttempt.at.desc())
        )
    )


def locked_for(session: Session, agent_id: int, borrower_id: int, method: str) -> int:
    """Seconds until this agent may try this route for this borrower again (0: open)."""
    now = real_utcnow()
    failures = _failures_since(session, agent_id, borrower_id, method, now)
    if len(failures) < LOCK_FAILURES:
        return 0
    unlock = failures[LOCK_FAILURES - 1] + LOCK_WINDOW
    return max(1, math.ceil((unlock - now).total_seconds()))


def locks(session: Session, agent_id: int, borrower_id: int) -> dict[str, int]:
    """Seconds each route stays locked for this agent and borrower."""
    return {method: locked_for(session, agent_id, borrower_id, method) for method in METHODS}


def _attempt(
    session: Session, agent: StaffUser, borrower: Borrower, method: str, check, help_phone: str
) -> Verification:
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
        failures = _failures_since(own, agent.id, borrower.id, method, now)
        if len(failures) > LOCK_FAILURES:
            # Locked: this try is not checked and does not extend the lock.
            own.execute(delete(VerificationAttempt).where(VerificationAttempt.id == attempt_id))
            audit.record(own, action="verification.locked", **fields)
            return Verification(False, locked_for=locked_for(own, agent.id, borrower.id, method))
    ok = bool(check())
    if not ok:
        with own_transaction() as own:
            own.get(VerificationAttempt, attempt_id).outcome = "failed"
            audit.record(own, action="verification.failed", **fields)
            left = max(0, LOCK_FAILURES - len(failures))
            locked = locked_for(own, agent.id, borrower.id, method) if not left else 0
            return Verification(False, locked_for=locked, tries_left=left)
    session.get(VerificationAttempt, attempt_id).outcome = "ok"
    audit.record(session, action="verification.passed", **fields)
    assisted = start_session(session, agent, borrower, verified_by=method, help_phone=help_phone)
    return Verification(True, assisted=assisted)


def verify_with_code(
    session: Session, agent: StaffUser, borrower: Borrower, code: str, *, help_phone: str
) -> Verification:
    """Verify the caller by the support code they read from their portal (`help_phone`: for the borrower's
    message that a session opened)."""
    return _attempt(
        session,
        agent,
        borrower,
        "support_code",
        lambda: use_support_code(session, borrower, code),
        help_phone,
    )


def last_payment_amount(session: Session, borrower: Borrower) -> Decimal | None:
    """The borrower's most recent payment on any loan (None when they never paid)."""
    row = session.scalars(
        select(Payment)
        .join(Loan, Loan.id == Payment.loan_id)
        .where(Loan.borrower_id == borrower.id)
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
    ).first()
    return row.amount if row is not None else None


def verify_with_answers(
    session: Session,
    agent: StaffUser,
    borrower: Borrower,
    *,
    id_last4: str,
    birth_date: date | None,
    last_payment: Decimal | None,
    help_phone: str,
) -> Verification:
    """Verify the caller by what only the borrower should know: all three answers must be right, and a borrower
    who never paid cannot be verified this way (see the module's notes)."""

    def check() -> bool:
        right_id = hmac.compare_digest(id_last4.strip().upper(), borrower.id_number[-4:].upper())
        right_birth = birth_date == borrower.birth_date
        paid = last_payment_amount(session, borrower)
        right_payment = (
            paid is not None and last_payment is not None and last_payment > 0 and last_payment == paid
        )
        return right_id and right_birth and right_payment

    return _attempt(session, agent, borrower, "questions", check, help_phone)
