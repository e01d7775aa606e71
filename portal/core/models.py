"""Records: the notification outbox and the append-only audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class Notification(Base):
    """The outbox: a message written in the borrower's language, delivered later by `flask notify send`."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_pending", "sent_at", "not_before"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    not_before: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A sign-in code is useless once expired; it goes out at once whatever the hour.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)


# The entries of a subject's history: all but the viewings (a literal, so the partial index below is used).
HISTORY_SQL = "action NOT LIKE '%.viewed'"


class _Entry:
    """What every audit record says: when, who (and for whom), through which channel, what, about what."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    on_behalf_of: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    request_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class AuditEvent(_Entry, Base):
    """Append-only, HMAC-chained record of every action (the database refuses UPDATE and DELETE).

    `hash` is HMAC-SHA256 under the key `key_id` names (configuration, never the database) of the row and the
    previous row's hash; rows from before keys (migration audit_keyed) have no key id and a plain SHA-256."""

    __tablename__ = "audit_events"
    # A case's history leaves out the viewings, which pile up with every look at the case (migration
    # audit_history): the history is read from this index alone, however often the case was opened.
    __table_args__ = (
        Index(
            "ix_audit_events_history",
            "subject",
            "id",
            sqlite_where=text(HISTORY_SQL),
            postgresql_where=text(HISTORY_SQL),
        ),
    )
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16))


class ViewRecord(_Entry, Base):
    """Who viewed which borrower's data: insert-only (the database refuses UPDATE and DELETE) and each row sealed
    on its own (HMAC under `key_id`), but not chained, so recording a page view takes no lock on the chain's head
    and page views never wait for one another."""

    __tablename__ = "audit_views"
    key_id: Mapped[str] = mapped_column(String(16))
    mac: Mapped[str] = mapped_column(String(64))
