"""The one credential service: every password, sign-in code and authenticator code is checked here.

A sign-in's password check is first counted under its client's limit (`limits.password_check`, the client's IP
address given by the view), before anything is hashed. Every check is then counted under the sign-in lockout
(`throttle`, one database counter per account and kind of secret) before the secret is looked at, and answers ok,
not ok, or locked with the seconds to wait. What it writes lives in transactions of its own
(`db.own_transaction`): the counted attempt, a spent code try, a refusal on the audit trail, and, after a right
answer, the cleared count and a stronger hash. All of it stands whatever becomes of the request's work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.auth import limits, passwords, throttle
from portal.db import own_transaction
from portal.i18n import gettext as _


@dataclass(frozen=True)
class Outcome:
    """`ok`: the secret was right; `retry_after` (seconds) > 0: refused unchecked, the account is locked."""

    ok: bool
    retry_after: int = 0

    @property
    def locked(self) -> bool:
        return self.retry_after > 0


def _reserve(account_key: str, refused: dict | None) -> tuple[throttle.Ticket, Outcome | None]:
    """Count the attempt; the refusal when the account is locked (audited when `refused` gives the row)."""
    ticket = throttle.reserve(account_key)
    if ticket.allowed:
        return ticket, None
    if refused is not None:
        from portal.core import audit

        audit.record_in_own_transaction(**refused)
    return ticket, Outcome(False, ticket.retry_after)


def check_password(
    account_key: str, row, password: str, *, refused: dict | None = None, client: str | None = None
) -> Outcome:
    """Check `password` against `row.password_hash` (`row` None: nobody, checked against a dummy hash all the
    same, so the answer takes as long). A right password clears the count and, if needed, is rehashed. `client`
    (the IP address, from the view) is throttled first, so a flood of attempts costs no hashing."""
    counted = None
    if client is not None:
        refusal, counted = limits.password_check(client)
        if refusal is not None:
            return Outcome(False, refusal.retry_after)
    _ticket, locked = _reserve(account_key, refused)
    if locked is not None:
        return locked
    ok, new_hash = passwords.verify_password(row.password_hash if row is not None else None, password)
    if not ok or row is None:
        return Outcome(False)
    with own_transaction() as session:
        throttle.succeeded(session, account_key)
        if counted is not None:
            limits.forget(session, counted)
        if new_hash:
            model = type(row)
            session.execute(update(model).where(model.id == row.id).values(password_hash=new_hash))
    if new_hash:
        set_committed_value(row, "password_hash", new_hash)
    return Outcome(True)


def check_code(
    account_key: str, verify: Callable[[Session], bool | None], *, refused: dict | None = None
) -> Outcome:
    """Check a one-time code with `verify(session)` (an SMS code or an authenticator code), which spends a try
    or marks the code used in that session: a transaction of its own, so a spent try stays spent. `verify`
    answers None when there was no live code to check: then the attempt is not counted, as it could not have
    guessed anything (nobody can lock the route without a code being sent to its owner)."""
    ticket, locked = _reserve(account_key, refused)
    if locked is not None:
        return locked
    with own_transaction() as session:
        result = verify(session)
        if result is None:
            throttle.release(session, ticket.row_id)
        elif result:
            throttle.succeeded(session, account_key)
    return Outcome(bool(result))


def locked_message(retry_after: int) -> str:
    """What a locked account is told, in whole minutes."""
    minutes = max(1, (retry_after + 59) // 60)
    return _("Too many attempts. For your safety, try again in %(minutes)d minutes.", minutes=minutes)


def too_many_codes_message(retry_after: int) -> str:
    """What someone asking for one text-message code too many is told, in whole minutes."""
    minutes = max(1, (retry_after + 59) // 60)
    return _(
        "Too many codes have been asked for. For your safety, ask again in %(minutes)d minutes.",
        minutes=minutes,
    )


def locked_response(body, retry_after: int):
    """The one refusal of a locked account: the page it was posted from (`body`), 429, and Retry-After."""
    response = current_app.make_response((body, 429))
    response.headers["Retry-After"] = str(retry_after)
    return response
