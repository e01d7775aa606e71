"""Time: the business date (today in the institution's time zone, or the configured override) and UTC now."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    """Naive UTC now: every stored timestamp is naive UTC so SQLite and PostgreSQL agree."""
    return datetime.now(UTC).replace(tzinfo=None)


def institution_zone() -> ZoneInfo:
    """The institution's time zone (PORTAL_TIMEZONE)."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def business_date() -> date:
    """'Today' for every as-of figure: PORTAL_BUSINESS_DATE when set, else today in the institution's zone."""
    fixed = current_app.config.get("BUSINESS_DATE")
    if fixed:
        return fixed
    return datetime.now(institution_zone()).date()


def local_time(moment: datetime) -> datetime:
    """A stored naive-UTC timestamp as an aware datetime in the institution's zone."""
    return moment.replace(tzinfo=UTC).astimezone(institution_zone())
