"""One-time SMS codes: 6 digits, valid 5 minutes, single use, at most 5 tries; stored only as a keyed hash.

How many may be sent (to a phone, from a client, in all) is `limits.sms_code`'s; wrong codes are counted under
the borrower's code lockout (`throttle.borrower_code_key`) by the credential service.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.clock import real_utcnow
from portal.people.models import Borrower, OneTimeCode


def _hash(code: str, borrower_id: int, purpose: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{borrower_id}:{code}".encode(), hashlib.sha256).hexdigest()


def issue(session: Session, borrower: Borrower, purpose: str) -> str:
    """Create a code and return it. How often a phone may be sent one is `limits.sms_code`'s to say, asked first."""
    now = real_utcnow()
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        OneTimeCode(
            borrower_id=borrower.id,
            purpose=purpose,
            code_hash=_hash(code, borrower.id, purpose),
            expires_at=now + current_app.config["OTP_TTL"],
            tries=0,
            created_at=now,
        )
    )
    session.flush()
    return code


def check(session: Session, borrower: Borrower, purpose: str, code: str) -> bool | None:
    """Spend one try on the newest live code; True (and the code is used up) when it matches, None when there is
    no live code with tries left (nothing could match: the lockout does not count it)."""
    now = real_utcnow()
    row = session.scalars(
        select(OneTimeCode)
        .where(
            OneTimeCode.borrower_id == borrower.id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > now,
        )
        .order_by(OneTimeCode.id.desc())
    ).first()
    if row is None or row.tries >= current_app.config["OTP_MAX_TRIES"]:
        return None
    row.tries += 1
    if hmac.compare_digest(row.code_hash, _hash(code, borrower.id, purpose)):
        row.used_at = now
        return True
    return False
