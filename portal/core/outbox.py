"""The notification outbox: messages are written in the borrower's language and delivered later by a sender.

Quiet hours (21:00–08:00 in the institution's zone) hold a message until morning; they never drop it. A sign-in
code is urgent: the borrower asked for it and it expires in minutes.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.clock import institution_zone, real_utcnow, utcnow
from portal.core.models import Notification
from portal.people.models import Borrower, mask_phone

QUIET_START = time(21, 0)
QUIET_END = time(8, 0)

log = logging.getLogger("portal.outbox")


def next_send_time(now_utc: datetime) -> datetime:
    """The earliest moment (naive UTC) a non-urgent message may go out, given quiet hours."""
    zone = institution_zone()
    local = now_utc.replace(tzinfo=UTC).astimezone(zone)
    if QUIET_END <= local.time() < QUIET_START:
        return now_utc
    morning = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    opens = datetime.combine(morning, QUIET_END, tzinfo=zone)
    return opens.astimezone(UTC).replace(tzinfo=None)


def queue(
    session: Session, borrower: Borrower, *, kind: str, body: str, channel: str = "sms", urgent: bool = False
) -> Notification:
    """Add a message to the outbox (flushes, never commits). `body` is already in the borrower's language."""
    # Written on the business clock (the record); sent by the real one: quiet hours are hours on people's phones.
    sending = real_utcnow()
    message = Notification(
        borrower_id=borrower.id,
        channel=channel,
        kind=kind,
        locale=borrower.locale,
        body=body,
        created_at=utcnow(),
        not_before=sending if urgent else next_send_time(sending),
        urgent=urgent,
    )
    session.add(message)
    session.flush()
    return message


CODE_PATTERN = re.compile(r"\d{6}")


class LogSender:
    """Writes each message to the `portal.outbox` log instead of an SMS gateway.

    In development the whole message is written, so a sign-in code can be read from the console; `masked`
    (the production default until a gateway is configured) hides every 6-digit code.
    """

    def __init__(self, masked: bool = False) -> None:
        self.masked = masked

    def send(self, message: Notification, borrower: Borrower) -> None:
        body = CODE_PATTERN.sub("******", message.body) if self.masked else message.body
        log.info("%s to %s (%s): %s", message.channel.upper(), mask_phone(borrower.phone), message.kind, body)


class MemorySender:
    """Test sender: keeps what it sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, message: Notification, borrower: Borrower) -> None:
        self.sent.append((borrower.phone, message.body))


def sender():
    """The configured sender (PORTAL_SMS_SENDER): `log` by default."""
    name = current_app.config.get("SMS_SENDER", "log")
    existing = current_app.extensions.get("outbox_sender")
    if existing is None:
        existing = MemorySender() if name == "memory" else LogSender(masked=name != "log")
        current_app.extensions["outbox_sender"] = existing
    return existing


def deliver_due(session: Session, *, urgent_only: bool = False, limit: int = 500) -> int:
    """Send every message whose time has come (by the real clock); mark each sent. Returns how many went out."""
    now = real_utcnow()
    query = (
        select(Notification, Borrower)
        .join(Borrower, Borrower.id == Notification.borrower_id)
        .where(Notification.sent_at.is_(None), Notification.channel != "portal")
        .where(or_(Notification.not_before <= now, Notification.urgent.is_(True)))
        .order_by(Notification.id)
        .limit(limit)
    )
    if urgent_only or next_send_time(now) > now:
        # Quiet hours hold everything but urgent messages, even those queued before the quiet hours began.
        query = query.where(Notification.urgent.is_(True))
    out = sender()
    count = 0
    for message, borrower in session.execute(query):
        out.send(message, borrower)
        message.sent_at = now
        count += 1
    session.flush()
    return count


def deliver_urgent_once_committed() -> None:
    """Send the urgent messages (codes) once the unit of work that queued them has committed."""
    from portal.db import after_commit

    after_commit(lambda session: deliver_due(session, urgent_only=True))


def portal_messages(session: Session, borrower_id: int, limit: int = 5) -> list[Notification]:
    """The newest in-portal messages for a borrower (what was decided, what was done for them)."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.borrower_id == borrower_id, Notification.channel == "portal")
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )
