"""One-time SMS codes: 6 digits, valid 5 minutes, single use, at most 5 tries; stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.clock import real_utcnow
from portal.people.models import Borrower, OneTimeCode

RESEND_INTERVAL = timedelta(seconds=60)


def _hash(code: str, borrower_id: int, purpose: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{borrower_id}:{code}".encode(), hashlib.sha256).hexdigest()


def issue(session: Session, borrower: Borrower, purpose: str) -> str | None:
    """Create a code and return it, or None when one was sent under a minute ago (no SMS flooding)."""
    now = real_utcnow()
    recent = session.scalar(
        select(OneTimeCode.id).where(
            OneTimeCode.borrower_id == borrower.id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.created_at > now - RESEND_INTERVAL,
        )
    )
    if recent is not None:
        return None
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


def check(session: Session, borrower: Borrower, purpose: str, code: str) -> bool:
    """Spend one try on the newest live code; True (and the code is used up) when it matches."""
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
        return False
    row.tries += 1
    if hmac.compare_digest(row.code_hash, _hash(code, borrower.id, purpose)):
        row.used_at = now
        return True
    return False
