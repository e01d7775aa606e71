"""Loans, their versioned schedules and payments. Money is integer fen; rates are parts per million."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base
from portal.domain.money import from_fen

if TYPE_CHECKING:
    from portal.people.models import Borrower, Branch

PPM = Decimal(1_000_000)


def rate_from_ppm(ppm: int) -> Decimal:
    """An annual rate as a Decimal fraction from parts per million."""
    return Decimal(ppm) / PPM


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
    # Earlier penalty and compound interest a restructuring moved into this installment.
    charges_fen: Mapped[int] = mapped_column(Integer, default=0)

    version_row: Mapped[ScheduleVersion] = relationship(back_populates="lines")


class Payment(Base):
    """A payment received. The external reference makes recording it idempotent."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    # The schedule version in force when the money arrived: a restructuring starts a fresh ledger.
    schedule_version_id: Mapped[int] = mapped_column(ForeignKey("schedule_versions.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)

    @property
    def amount(self) -> Decimal:
        return from_fen(self.amount_fen)
