"""Branches as pages show them: the queue's branch filter, every borrower page's footer, the help pages.

Branches are opened and changed by the bank's set-up, not on this site, so each worker reads all of them at most
once a minute (and at once when asked for one it has not read yet) instead of on every page.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.people.models import Branch

SECONDS = 60
# The cards last read from each database (the engine a session is bound to), so two apps never share them.
_CACHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class BranchCard:
    """What a page shows of a branch ({language: text} where it is written in three languages)."""

    id: int
    code: str
    name: dict
    phone: str
    service_point_name: dict | None
    service_point_address: dict | None


def all_branches(session: Session, *, including: int | None = None) -> dict[int, BranchCard]:
    """Every branch by id, read again when a minute old or when branch `including` is not among them."""
    cache = _CACHES.setdefault(session.get_bind(), {})
    cards = cache.get("cards")
    now = time.monotonic()
    if (
        cards is None
        or now - cache["read_at"] > SECONDS
        or (including is not None and including not in cards)
    ):
        rows = session.execute(
            select(
                Branch.id,
                Branch.code,
                Branch.name,
                Branch.phone,
                Branch.service_point_name,
                Branch.service_point_address,
            )
        )
        cards = {row.id: BranchCard(*row) for row in rows}
        cache.update(cards=cards, read_at=now)
    return cards


def card(session: Session, branch_id: int | None) -> BranchCard | None:
    """One branch as pages show it; None for no branch."""
    if branch_id is None:
        return None
    return all_branches(session, including=branch_id).get(branch_id)
