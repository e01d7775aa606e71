"""Typed SQLAlchemy models. Money is integer fen; rates are integer parts per million (4.9 % = 49000)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base
from portal.domain.money import from_fen

PPM = Decimal(1_000_000)

VARIANTS = ("rural", "urban")
ROLES = ("reviewer", "senior_reviewer", "agent", "admin")
LOAN_STATUSES = ("active", "closed", "charged_off", "litigation")


def rate_from_ppm(ppm: int) -> Decimal:
    """An annual rate as a Decimal fraction from parts per million."""
    return Decimal(ppm) / PPM


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


class LoanProduct(Base):
    """A loan product: repayment method and how overdue amounts accrue penalty and compound interest."""

    __tablename__ = "loan_products"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[dict] = mapped_column(JSON)
    method: Mapped[str] = mapped_column(String(24))
    penalty_markup_ppm: Mapped[int] = mapped_column(Integer, default=500_000)
    compound_interest: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def penalty_markup(self) -> Decimal:
        return rate_from_ppm(self.penalty_markup_ppm)


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
    approval_limit_fen: Mapped[int] = mapped_column(Integer, default=0)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    locale: Mapped[str] = mapped_column(String(8), default="zh_Hans")
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Loan(Base):
    """A loan. Its schedule lives in versions; the highest version is in force."""

    __tablename__ = "loans"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id"))
    principal_fen: Mapped[int] = mapped_column(Integer)
    annual_rate_ppm: Mapped[int] = mapped_column(Integer)
    months: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(24))
    start_date: Mapped[date] = mapped_column(Date)
    first_due: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime)

    borrower: Mapped[Borrower] = relationship(back_populates="loans")
    branch: Mapped[Branch] = relationship()
    product: Mapped[LoanProduct] = relationship()

    @property
    def principal(self) -> Decimal:
        return from_fen(self.principal_fen)

    @property
    def annual_rate(self) -> Decimal:
        return rate_from_ppm(self.annual_rate_ppm)


class ScheduleVersion(Base):
    """One version of a loan's schedule; restructuring adds a version and never edits an old one."""

    __tablename__ = "schedule_versions"
    __table_args__ = (UniqueConstraint("loan_id", "version", name="uq_schedule_versions_loan_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    lines: Mapped[list[ScheduleLine]] = relationship(
        order_by="ScheduleLine.number", back_populates="version_row"
    )


class ScheduleLine(Base):
    """One installment of a schedule version."""

    __tablename__ = "schedule_lines"
    __table_args__ = (
        UniqueConstraint("schedule_version_id", "number", name="uq_schedule_lines_version_number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id"))
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    principal_fen: Mapped[int] = mapped_column(Integer)
    interest_fen: Mapped[int] = mapped_column(Integer)

    version_row: Mapped[ScheduleVersion] = relationship(back_populates="lines")


class Payment(Base):
    """A payment received. The external reference makes recording it idempotent."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    @property
    def amount(self) -> Decimal:
        return from_fen(self.amount_fen)


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


class AuditEvent(Base):
    """Append-only, hash-chained record of every action (the database refuses UPDATE and DELETE)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    on_behalf_of: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    request_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
