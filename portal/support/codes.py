"""Phone support, the support code: 6 digits the borrower reads from their own dashboard to a phone agent.

- Checked against a keyed hash; valid 10 minutes; used once; a new code replaces the old one.
- Never in the session cookie (a signed cookie is readable by whoever holds it): the cookie names the code's row
  only, and the row keeps the code sealed under the server's key so the borrower's dashboard can show it again
  while it lives (the borrower is on a call, switching between the phone and the browser). Sealing costs nothing
  the hash did not already give away: with the key, six digits are found from the hash in a million tries. The
  seal is wiped when the code is used or replaced.

Services flush, never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.clock import real_utcnow
from portal.core import audit
from portal.people.models import Borrower
from portal.support.models import SupportCode
from portal.support.sessions import borrower_actor

CODE_TTL = timedelta(minutes=10)
DIGITS = 1_000_000


def _key() -> bytes:
    return current_app.config["SECRET_KEY"].encode()


def keyed_digest(text: str) -> str:
    """A keyed hash of `text` (the server's key), for what must be recognisable on the record but not readable."""
    return hmac.new(_key(), text.encode(), hashlib.sha256).hexdigest()


def code_hash(code: str, borrower_id: int) -> str:
    """The keyed hash a code is checked against."""
    return hmac.new(_key(), f"support:{borrower_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _pad(nonce: str, borrower_id: int) -> int:
    """A one-time pad for six digits from the server's key and a random nonce (HMAC as a pseudo-random function)."""
    digest = hmac.new(_key(), f"support-seal:{borrower_id}:{nonce}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % DIGITS


def _seal(code: str, borrower_id: int) -> str:
    nonce = secrets.token_hex(16)
    return f"{nonce}:{(int(code) + _pad(nonce, borrower_id)) % DIGITS:06d}"


def _unseal(sealed: str, borrower_id: int) -> str | None:
    nonce, _sep, masked = sealed.partition(":")
    if not nonce or not masked.isdigit():
        return None
    return f"{(int(masked) - _pad(nonce, borrower_id)) % DIGITS:06d}"


def _spend(row: SupportCode, now: datetime, how: str) -> None:
    row.spent_at = now
    row.spent_how = how
    row.code_sealed = None


def issue_support_code(session: Session, borrower: Borrower) -> tuple[SupportCode, str]:
    """A new code for the borrower to read to an agent; any earlier unused code stops working."""
    now = real_utcnow()
    for old in session.scalars(
        select(SupportCode).where(SupportCode.borrower_id == borrower.id, SupportCode.spent_at.is_(None))
    ):
        _spend(old, now, "replaced")
    code = f"{secrets.randbelow(DIGITS):06d}"
    row = SupportCode(
        borrower_id=borrower.id,
        code_hash=code_hash(code, borrower.id),
        code_sealed=_seal(code, borrower.id),
        created_at=now,
        expires_at=now + CODE_TTL,
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
    if not isinstance(code_id, int) or isinstance(code_id, bool):
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


def shown_code(session: Session, borrower_id: int, code_id: int | None) -> dict | None:
    """What the borrower's own dashboard shows of their live code `code_id`: the digits and when they expire."""
    row = live_support_code(session, borrower_id, code_id)
    code = _unseal(row.code_sealed, borrower_id) if row is not None and row.code_sealed else None
    if code is None or not hmac.compare_digest(code_hash(code, borrower_id), row.code_hash):
        return None
    return {"code": code, "expires_at": row.expires_at}


def use_support_code(session: Session, borrower: Borrower, code: str) -> bool:
    """Whether `code` is the borrower's live code; a right code is spent at once (once only)."""
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
    if row is None or not hmac.compare_digest(row.code_hash, code_hash(code.strip(), borrower.id)):
        return False
    _spend(row, now, "used")
    return True
