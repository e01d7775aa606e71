"""Phone support, who is calling: finding a caller, the support codes they read out, and verifying them.

- A support code is 6 digits the borrower reads from their own dashboard: stored only as a keyed hash, valid
  10 minutes, used once; a new code replaces the old one.
- Verification (by the code, or by knowledge questions) is counted per borrower in the database, whatever the
  number of workers: each try is written in a transaction of its own (`db.own_transaction`) *before* it is
  checked, so 3 failures in 30 minutes lock verification for that borrower for everyone. A verified caller
  gets an assisted session (portal.support.sessions).

Services flush, never commit; the attempt counter, which must be visible to other workers at once and outlive
the request, is written in transactions of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.clock import real_utcnow
from portal.core import audit
from portal.loans.models import Loan, Payment
from portal.people.models import Borrower, StaffUser
from portal.support.models import AssistedSession, SupportCode, VerificationAttempt
from portal.support.sessions import agent_actor, borrower_actor, start_session

CODE_TTL = timedelta(minutes=10)
LOCK_FAILURES = 3
LOCK_WINDOW = timedelta(minutes=30)


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
