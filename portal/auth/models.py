"""What the sign-in and text-message limits count, kept in the database so every worker and server agrees."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class RateEvent(Base):
    """One allowed request counted under a rate limit (`key` names the limit and whom it is about: a phone, a
    client address, everyone). Refused requests are not recorded; rows older than the longest window go."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(96))
    at: Mapped[datetime] = mapped_column(DateTime)
