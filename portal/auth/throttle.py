"""Sign-in lockout, counted in the database so every worker and every server shares one count.

Each attempt is written (and committed) *before* the password is checked, then the attempts in the window are
counted: whatever the number of workers, at most `LOCKOUT_FAILURES` attempts in a window ever reach the check.
A successful sign-in clears the account's count; a refused attempt removes its own row so it does not extend the
lock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.loans.clock import utcnow
from portal.loans.models import SignInFailure


@dataclass(frozen=True)
class Ticket:
    """A reserved attempt: `allowed` says whether the password may be checked; `retry_after` is in seconds."""

    row_id: int
    allowed: bool
    retry_after: int


def reserve(session: Session, account_key: str) -> Ticket:
    """Count this attempt against the account; commits so other workers see it at once."""
    now = utcnow()
    window = current_app.config["LOCKOUT_WINDOW"]
    limit = current_app.config["LOCKOUT_FAILURES"]
    row = SignInFailure(account_key=account_key, at=now)
    session.add(row)
    session.commit()
    since = now - window
    count = session.scalar(
        select(func.count()).where(SignInFailure.account_key == account_key, SignInFailure.at > since)
    )
    if count <= limit:
        return Ticket(row.id, True, 0)
    session.execute(delete(SignInFailure).where(SignInFailure.id == row.id))
    session.commit()
    # Locked until the oldest of the newest `limit` failures leaves the window.
    newest = session.scalars(
        select(SignInFailure.at)
        .where(SignInFailure.account_key == account_key, SignInFailure.at > since)
        .order_by(SignInFailure.at.desc())
        .limit(limit)
    ).all()
    unlock = (newest[-1] if newest else now) + window
    return Ticket(row.id, False, max(1, math.ceil((unlock - now).total_seconds())))


def succeeded(session: Session, account_key: str) -> None:
    """A correct sign-in clears the account's failures (the caller commits)."""
    session.execute(delete(SignInFailure).where(SignInFailure.account_key == account_key))
