"""Phone support, finding a caller: exact matches only, counted per agent in the database, every search audited.

- A search is an exact phone number, an exact loan number, or an exact full name with the birth date: there is
  no browsing and no prefix. Found borrowers show their name and a masked phone number only.
- An agent may search `SEARCH_LIMIT` times in `SEARCH_WINDOW` (real time), whatever the number of workers: each
  search is reserved in a transaction of its own before it runs, so guessing a birth date by trying one day
  after another stops after a handful and stays on the record.
- The audit row says who searched, how, and how many were found; what was searched for is kept only as a keyed
  hash (the same search twice has the same hash, so repeated guessing shows), never a birth date in clear.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.clock import real_utcnow
from portal.core import audit
from portal.loans.models import Loan
from portal.people.models import Borrower, StaffUser
from portal.support.codes import keyed_digest
from portal.support.models import AgentSearch
from portal.support.sessions import agent_actor

SEARCH_LIMIT = 15
SEARCH_WINDOW = timedelta(minutes=10)
MAX_RESULTS = 20


@dataclass(frozen=True)
class Search:
    """The outcome of a search: the borrowers found, or refused (seconds to wait)."""

    found: list[Borrower] = field(default_factory=list)
    refused_for: int = 0


def kind_of(*, phone: str = "", loan_number: str = "", name: str = "", birth_date: date | None = None) -> str:
    """Which exact search the fields make ('' when none)."""
    if phone:
        return "phone"
    if loan_number:
        return "loan"
    if name and birth_date:
        return "name_birth"
    return ""


def find_borrowers(
    session: Session,
    *,
    phone: str = "",
    loan_number: str = "",
    name: str = "",
    birth_date: date | None = None,
) -> list[Borrower]:
    """Exact matches only (a phone number, a loan number, or a name with a birth date): no browsing by prefix."""
    kind = kind_of(phone=phone, loan_number=loan_number, name=name, birth_date=birth_date)
    if kind == "phone":
        query = select(Borrower).where(Borrower.phone == phone)
    elif kind == "loan":
        query = select(Borrower).join(Loan, Loan.borrower_id == Borrower.id).where(Loan.number == loan_number)
    elif kind == "name_birth":
        query = select(Borrower).where(Borrower.name == name, Borrower.birth_date == birth_date)
    else:
        return []
    return list(session.scalars(query.order_by(Borrower.id).limit(MAX_RESULTS)).unique())


def _searches_in_window(session: Session, agent_id: int, now: datetime) -> list[datetime]:
    """The agent's searches (done or under way) in the window, newest first."""
    return list(
        session.scalars(
            select(AgentSearch.at)
            .where(
                AgentSearch.agent_id == agent_id,
                AgentSearch.at > now - SEARCH_WINDOW,
                AgentSearch.outcome.in_(("pending", "done")),
            )
            .order_by(AgentSearch.at.desc())
        )
    )


def refused_for(session: Session, agent_id: int) -> int:
    """Seconds until the agent may search again (0: now)."""
    now = real_utcnow()
    searches = _searches_in_window(session, agent_id, now)
    if len(searches) < SEARCH_LIMIT:
        return 0
    reopens = searches[SEARCH_LIMIT - 1] + SEARCH_WINDOW
    return max(1, math.ceil((reopens - now).total_seconds()))


def _fingerprint(kind: str, *parts: object) -> str:
    """A keyed hash of what was searched for: repeated guesses show on the record, the values do not."""
    text = "\x1f".join([kind, *(str(part) for part in parts)])
    return keyed_digest(f"agent-search:{text}")[:16]


def search(
    session: Session,
    agent: StaffUser,
    *,
    phone: str = "",
    loan_number: str = "",
    name: str = "",
    birth_date: date | None = None,
) -> Search:
    """Find a caller for `agent`: reserve the search (its own transaction, seen by every worker), refuse it when the
    agent has searched too often, otherwise search; either way the search is on the audit trail."""
    from portal.db import own_transaction

    kind = kind_of(phone=phone, loan_number=loan_number, name=name, birth_date=birth_date)
    if not kind:
        return Search()
    now = real_utcnow()
    fields = {"actor": agent_actor(agent), "channel": "phone", "subject": agent_actor(agent)}
    fingerprint = _fingerprint(kind, phone, loan_number, name, birth_date)
    with own_transaction() as own:
        row = AgentSearch(agent_id=agent.id, kind=kind, at=now, outcome="pending")
        own.add(row)
        own.flush()
        search_id = row.id
    with own_transaction() as own:
        earlier = own.scalar(
            select(func.count())
            .select_from(AgentSearch)
            .where(
                AgentSearch.agent_id == agent.id,
                AgentSearch.at > now - SEARCH_WINDOW,
                AgentSearch.outcome.in_(("pending", "done")),
                AgentSearch.id < search_id,
            )
        )
        if earlier >= SEARCH_LIMIT:
            # Refused: not run, and it does not count towards the limit (the wait does not grow).
            own.execute(delete(AgentSearch).where(AgentSearch.id == search_id))
            audit.record(
                own, action="caller.search_refused", data={"kind": kind, "query": fingerprint}, **fields
            )
            return Search(refused_for=refused_for(own, agent.id))
    found = find_borrowers(session, phone=phone, loan_number=loan_number, name=name, birth_date=birth_date)
    with own_transaction() as own:
        done = own.get(AgentSearch, search_id)
        done.outcome, done.results = "done", len(found)
        audit.record(
            own,
            action="caller.searched",
            data={"kind": kind, "results": len(found), "query": fingerprint},
            **fields,
        )
    return Search(found=found)
