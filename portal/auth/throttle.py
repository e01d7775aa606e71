"""Sign-in lockout, counted in the database so every worker and every server shares one count.

A borrower has two counters: one for the password (`borrower_key`) and one for text-message codes
(`borrower_code_key`), so guessing the password never closes the route of proving the phone. Codes can only be
guessed while one is live, and each is sent to the owner's phone under `limits`; an attempt with no live code to
check is not counted (`release`), so nobody can lock the code route without texting the owner.

Counting the attempts in the window and recording this one happen in one transaction that holds the account's
lock (SQLite: the write lock `BEGIN IMMEDIATE` takes for a POST; PostgreSQL: a transaction-scoped advisory lock on
the account key), so however many workers race, exactly `LOCKOUT_FAILURES` attempts in a window reach the
password check and every later one is refused without being recorded (it does not extend the lock). A
successful sign-in clears the account's count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from portal.clock import real_utcnow
from portal.people.models import SignInFailure


def borrower_key(phone: str) -> str:
    """The lockout counter of a borrower's password: at sign-in, to accept an offer and to change it."""
    return f"borrower:{phone}"


def borrower_code_key(phone: str) -> str:
    """The lockout counter of a borrower's text-message codes (sign-in and accepting an offer), kept apart from
    the password's: someone guessing the password locks the password route, while the owner can still sign in by
    proving they hold the phone."""
    return f"borrower-code:{phone}"


def staff_key(username: str) -> str:
    """The lockout counter of a member of staff's password, at sign-in and at a password change."""
    return f"staff:{username.lower()}"


@dataclass(frozen=True)
class Ticket:
    """A reserved attempt: `allowed` says whether the password may be checked; `retry_after` is in seconds."""

    row_id: int
    allowed: bool
    retry_after: int


def lock(session: Session, account_key: str) -> None:
    """Serialise attempts on one account (or one limit's count) until this transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": account_key})
    else:
        # SQLite: the first statement begins the transaction with BEGIN IMMEDIATE (write intent), which waits for
        # and then excludes every other writer.
        session.execute(text("SELECT 1"))


def reserve(account_key: str) -> Ticket:
    """Count this attempt against the account, in a transaction of its own (`db.own_transaction`): other workers
    see it at once, and it stays counted whatever becomes of the request."""
    from portal.db import own_transaction

    with own_transaction() as session:
        return _reserve(session, account_key)


def _reserve(session: Session, account_key: str) -> Ticket:
    lock(session, account_key)
    now = real_utcnow()  # read once the lock is held: no attempt counted below is later than this
    window = current_app.config["LOCKOUT_WINDOW"]
    limit = current_app.config["LOCKOUT_FAILURES"]
    since = now - window
    count = session.scalar(
        select(func.count()).where(SignInFailure.account_key == account_key, SignInFailure.at > since)
    )
    if count < limit:
        row = SignInFailure(account_key=account_key, at=now)
        session.add(row)
        session.flush()
        return Ticket(row.id, True, 0)
    # Locked until the oldest of the newest `limit` failures leaves the window.
    newest = session.scalars(
        select(SignInFailure.at)
        .where(SignInFailure.account_key == account_key, SignInFailure.at > since)
        .order_by(SignInFailure.at.desc())
        .limit(limit)
    ).all()
    unlock = (newest[-1] if newest else now) + window
    seconds = math.ceil((unlock - now).total_seconds())
    return Ticket(0, False, min(max(1, seconds), math.ceil(window.total_seconds())))


def succeeded(session: Session, account_key: str) -> None:
    """A correct sign-in clears the account's failures (in the request's unit of work)."""
    session.execute(delete(SignInFailure).where(SignInFailure.account_key == account_key))


def release(session: Session, row_id: int) -> None:
    """Uncount a reserved attempt that had nothing to check (no live code): it could not have guessed anything."""
    session.execute(delete(SignInFailure).where(SignInFailure.id == row_id))
