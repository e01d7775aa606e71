"""People: borrowers, staff, branches, and what signing in needs (lockout counts, one-time codes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base

if TYPE_CHECKING:
    from portal.loans.models import Loan

ROLES = ("reviewer", "senior_reviewer", "agent", "admin")


class Branch(Base):
    """A branch holds loans; its kind (rural or urban) is the default variant of its borrowers."""

    __tablename__ = "branches"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # Names and addresses are shown to borrowers in their language: {"zh_Hans": ..., "zh_Hant": ..., "en": ...}.
    name: Mapped[dict] = mapped_column(JSON)
    address: Mapped[dict] = mapped_column(JSON)
    phone: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    # A rural branch's village service point, where staff help borrowers use the portal ({language: text}).
    service_point_name: Mapped[dict | None] = mapped_column(JSON)
    service_point_address: Mapped[dict | None] = mapped_column(JSON)


class Borrower(Base):
    """A borrower. The ID number is stored whole (the lender must hold it) and only ever shown masked."""

    __tablename__ = "borrowers"
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(18))
    birth_date: Mapped[date] = mapped_column(Date)
    locale: Mapped[str] = mapped_column(String(8), default="zh_Hans")
    variant: Mapped[str] = mapped_column(String(8))
    home_branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    occupation: Mapped[str] = mapped_column(String(32), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Raised by the database on every write that changes what this borrower's pages show (migration 0006).
    view_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime)

    home_branch: Mapped[Branch] = relationship()
    loans: Mapped[list[Loan]] = relationship(back_populates="borrower", order_by="Loan.id")

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


def mask_id_number(value: str) -> str:
    """Keep the first 3 and last 4 characters of an ID number."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """Keep the first 3 and last 4 digits of a phone number."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


class StaffUser(Base):
    """Staff: reviewers, senior reviewers, phone agents and administrators."""

    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The second factor: set once the member of staff confirmed a code from their authenticator app; until then
    # `totp_secret` is only a pending secret shown on the enrolment page. The last time step accepted is kept so
    # a code cannot be used twice.
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(DateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    approval_limit_fen: Mapped[int] = mapped_column(Integer, default=0)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    locale: Mapped[str] = mapped_column(String(8), default="zh_Hans")
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SignInFailure(Base):
    """A sign-in attempt counted against an account's lockout window (kept in the database so all workers agree)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_key_at", "account_key", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(96))
    at: Mapped[datetime] = mapped_column(DateTime)


class OneTimeCode(Base):
    """A one-time SMS code, stored as a keyed hash; single use, short-lived, few tries."""

    __tablename__ = "one_time_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
