"""Phone support and help: support codes, verification attempts, assisted sessions, call notes, callbacks
and the help a borrower asks for from the portal's footer (a loan officer's visit or a call back)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base

if TYPE_CHECKING:
    from portal.people.models import Borrower, Branch, StaffUser


class SupportCode(Base):
    """A 6-digit code the borrower reads to a phone agent; stored as a keyed hash, single use, 10 minutes."""

    __tablename__ = "support_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    # The code sealed under the server's key (nonce and masked digits), so the borrower's own dashboard can show
    # it again while it lives without the session cookie holding it; cleared when the code is spent.
    code_sealed: Mapped[str | None] = mapped_column(String(48))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    # Set when the code was used to verify a caller, or replaced by a newer code.
    spent_at: Mapped[datetime | None] = mapped_column(DateTime)
    spent_how: Mapped[str | None] = mapped_column(String(8))


class VerificationAttempt(Base):
    """One try at verifying a caller as a borrower, counted in the database (3 failures lock for 30 minutes)."""

    __tablename__ = "verification_attempts"
    __table_args__ = (
        Index("ix_verification_attempts_borrower_at", "borrower_id", "at"),
        Index("ix_verification_attempts_agent_borrower_at", "agent_id", "borrower_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    method: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(8))  # pending, ok, failed


class AgentSearch(Base):
    """One search for a caller by an agent, counted in the database (a few per 10 minutes, per agent)."""

    __tablename__ = "agent_searches"
    __table_args__ = (Index("ix_agent_searches_agent_at", "agent_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    kind: Mapped[str] = mapped_column(String(12))  # phone, loan, name_birth
    at: Mapped[datetime] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(8))  # pending, done, refused
    results: Mapped[int | None] = mapped_column(Integer)


class ConsentReference(Base):
    """The reference of a borrower's spoken consent to one action an agent takes for them on a call: issued by the
    portal, bound to the assisted session, the borrower and the action, never typed in (so never replayed)."""

    __tablename__ = "consent_references"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("assisted_sessions.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    action: Mapped[str] = mapped_column(String(16))  # submit, accept
    subject: Mapped[str] = mapped_column(String(64))  # what the action is on, e.g. application:12
    issued_at: Mapped[datetime] = mapped_column(DateTime)


class AssistedSession(Base):
    """An agent acting for a verified borrower on a call: 30 minutes, or until the agent ends it."""

    __tablename__ = "assisted_sessions"
    __table_args__ = (Index("ix_assisted_sessions_agent_open", "agent_id", "ended_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    verified_by: Mapped[str] = mapped_column(String(16))  # support_code or questions
    started_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_how: Mapped[str | None] = mapped_column(String(8))  # agent, replaced
    # What the borrower has already been told about during this call (one message per meaningful action).
    notified: Mapped[list] = mapped_column(JSON, default=list)

    agent: Mapped[StaffUser] = relationship()
    borrower: Mapped[Borrower] = relationship()


class CallNote(Base):
    """What was said on a call, written by the agent on the borrower's record."""

    __tablename__ = "call_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("assisted_sessions.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    agent: Mapped[StaffUser] = relationship()


class Callback(Base):
    """A promise to call the borrower back at a time (stored as naive UTC)."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_agent_due", "agent_id", "done_at", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    due_at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)

    borrower: Mapped[Borrower] = relationship()


HELP_KINDS = ("visit", "callback")
HELP_STATUSES = ("open", "done")


class HelpRequest(Base):
    """One request for help; the idempotency key makes a double submit one request."""

    __tablename__ = "help_requests"
    __table_args__ = (Index("ix_help_requests_status_created", "status", "created_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    kind: Mapped[str] = mapped_column(String(12))
    variant: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default="open")
    # When the borrower would like the call or the visit: a code from portal.support.help.WINDOWS.
    window: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    create_key: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(8), default="web")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    borrower: Mapped[Borrower] = relationship()
    branch: Mapped[Branch] = relationship()
    done_by: Mapped[StaffUser | None] = relationship()
