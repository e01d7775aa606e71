"""Policy packs, kept as versioned JSON files in the repository and loaded into the database.

A pack is never edited once loaded: a change is a new file with the next version number. Applications point at
the pack row they were made and decided under.
"""

from __future__ import annotations

import json
import weakref
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.domain.policy import Policy
from portal.policies.models import PolicyPack

HERE = Path(__file__).resolve().parent


def pack_files() -> list[dict]:
    """Every pack file's contents, validated."""
    packs = []
    for path in sorted(HERE.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        Policy.from_dict(data)  # refuse a malformed pack before it reaches the database
        packs.append(data)
    return packs


@lru_cache(maxsize=1)
def pack_files_cached() -> tuple[dict, ...]:
    """The pack files as read once per process (they ship with the code and never change while it runs)."""
    return tuple(pack_files())


def load(session: Session) -> int:
    """Insert packs not yet in the database; returns how many were added. A loaded version never changes."""
    existing = {(p.variant, p.version): p for p in session.scalars(select(PolicyPack))}
    added = 0
    for data in pack_files():
        key = (data["variant"], data["version"])
        if key in existing:
            if existing[key].data != data:
                raise ValueError(f"policy pack {key} differs from the loaded one: add a new version instead")
            continue
        session.add(
            PolicyPack(variant=data["variant"], version=data["version"], data=data, loaded_at=utcnow())
        )
        added += 1
    session.flush()
    return added


def current(session: Session, variant: str) -> tuple[PolicyPack, Policy]:
    """The newest pack for a variant, as its row and as a domain Policy."""
    row = session.scalars(
        select(PolicyPack).where(PolicyPack.variant == variant).order_by(PolicyPack.version.desc()).limit(1)
    ).first()
    if row is None:
        raise LookupError(f"no policy pack loaded for {variant}")
    return row, Policy.from_dict(row.data)


# Each pack row's Policy, read once per row object: a case page asks three times in a request, and a pack is
# never changed once loaded. Held weakly, so it goes with the session that loaded the row.
_read: weakref.WeakKeyDictionary[PolicyPack, Policy] = weakref.WeakKeyDictionary()


def of(row: PolicyPack) -> Policy:
    """A stored pack as a domain Policy."""
    policy = _read.get(row)
    if policy is None:
        policy = _read[row] = Policy.from_dict(row.data)
    return policy
