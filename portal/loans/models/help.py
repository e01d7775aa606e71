"""Help a borrower asks for from the portal's footer: a loan officer's visit (rural) or a call back (urban)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base

if TYPE_CHECKING:
    from portal.loans.models.people import Borrower, Branch, StaffUser

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
    # When the borrower would like the call or the visit: a code from portal.loans.help.WINDOWS.
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
