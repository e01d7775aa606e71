"""Casework: declared disasters, applications for relief and their evidence."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base

if TYPE_CHECKING:
    from portal.loans.models import Loan
    from portal.people.models import Borrower, StaffUser
    from portal.policies.models import PolicyPack

# Statuses in which an application blocks another for the same loan (domain.lifecycle.OPEN_STATUSES); the
# partial unique index below makes the rule hold even for two requests at the same instant.
OPEN_STATUS_SQL = (
    "status IN ('draft', 'submitted', 'in_review', 'info_requested', 'awaiting_second_approval', 'approved', "
    "'countered', 'appealed')"
)

# Statuses of the approval queue (staff.queue.QUEUE_STATUSES), for its partial indexes.
QUEUE_STATUS_SQL = (
    "status IN ('submitted', 'in_review', 'awaiting_second_approval', 'appealed', 'info_requested')"
)


class Disaster(Base):
    """A declared natural disaster affecting a branch's area; it opens the disaster grace period."""

    __tablename__ = "disasters"
    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    name: Mapped[dict] = mapped_column(JSON)
    declared_on: Mapped[date] = mapped_column(Date)


class Application(Base):
    """An application for relief on one loan: the hardship statement, the chosen plan and its lifecycle."""

    __tablename__ = "applications"
    __table_args__ = (
        Index(
            "uq_applications_one_open_per_loan",
            "loan_id",
            unique=True,
            sqlite_where=sql_text(OPEN_STATUS_SQL),
            postgresql_where=sql_text(OPEN_STATUS_SQL),
        ),
        Index("ix_applications_status_due", "status", "decision_due", "id"),
        Index("ix_applications_status_risk", "status", "risk_score", "id"),
        Index("ix_applications_status_amount", "status", "amount_fen", "id"),
        Index("ix_applications_status_submitted", "status", "submitted_at", "id"),
        Index("ix_applications_claimed", "claimed_by_id", "status"),
        # The queue's sort orders over open applications only (migration bench_indexes): each page in order,
        # page 500 as cheap as page 1.
        *(
            Index(
                name,
                column,
                "id",
                sqlite_where=sql_text(QUEUE_STATUS_SQL),
                postgresql_where=sql_text(QUEUE_STATUS_SQL),
            )
            for name, column in (
                ("ix_applications_queue_due", "decision_due"),
                ("ix_applications_queue_risk", "risk_score"),
                ("ix_applications_queue_amount", "amount_fen"),
                ("ix_applications_queue_submitted", "submitted_at"),
            )
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    borrower_id: Mapped[int] = mapped_column(ForeignKey("borrowers.id"), index=True)
    status: Mapped[str] = mapped_column(String(28))
    # Optimistic locking: every change bumps it, so two decisions on one version cannot both land.
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    variant: Mapped[str] = mapped_column(String(8))
    policy_pack_id: Mapped[int] = mapped_column(ForeignKey("policy_packs.id"))
    create_key: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(8), default="web")
    created_by: Mapped[str] = mapped_column(String(64))
    # Hardship statement.
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    duration: Mapped[str | None] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(Text, default="")
    budget: Mapped[dict] = mapped_column(JSON, default=dict)  # {"income": {k: fen}, "spending": {...}, ...}
    # The chosen plan.
    option: Mapped[str | None] = mapped_column(String(20))
    terms: Mapped[dict] = mapped_column(JSON, default=dict)
    quote: Mapped[dict] = mapped_column(JSON, default=dict)  # snapshot of the quote the borrower saw
    # Denormalised at submission so the queue filters and sorts on indexed columns without joins.
    amount_fen: Mapped[int] = mapped_column(Integer, default=0)  # exposure: unpaid principal + other arrears
    arrears_fen: Mapped[int] = mapped_column(Integer, default=0)  # total to bring current
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    bucket: Mapped[str | None] = mapped_column(String(4))
    risk_score: Mapped[int] = mapped_column(Integer, default=0)
    risk_reasons: Mapped[list] = mapped_column(JSON, default=list)
    # Who holds the case, and who decided: four eyes needs to know both approvers.
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # When the borrower appealed a rejection: one appeal per decision, and a rejection on appeal is final.
    appealed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Dates.
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Who sent it (the borrower, or an agent for them) and, by phone, the borrower's recorded consent.
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submit_consent_reference: Mapped[str | None] = mapped_column(String(40))
    decision_due: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    offer_expires_on: Mapped[date | None] = mapped_column(Date)
    # Requests for information, counter-offers and the agreement.
    info_request: Mapped[str | None] = mapped_column(Text)
    info_response: Mapped[str | None] = mapped_column(Text)
    counter_terms: Mapped[dict | None] = mapped_column(JSON)
    counter_quote: Mapped[dict | None] = mapped_column(JSON)
    waivers: Mapped[dict] = mapped_column(JSON, default=dict)  # {"penalty": true, "compound": true}
    decision_reason: Mapped[str | None] = mapped_column(String(48))
    decision_note: Mapped[str | None] = mapped_column(Text)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    agreement_hash: Mapped[str | None] = mapped_column(String(64))
    agreement: Mapped[dict | None] = mapped_column(JSON)
    schedule_version_id: Mapped[int | None] = mapped_column(ForeignKey("schedule_versions.id"))

    __mapper_args__ = {"version_id_col": row_version}

    loan: Mapped[Loan] = relationship()
    borrower: Mapped[Borrower] = relationship()
    policy_pack: Mapped[PolicyPack] = relationship()
    claimed_by: Mapped[StaffUser | None] = relationship(foreign_keys=[claimed_by_id])
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="application", order_by="Evidence.id", lazy="selectin"
    )


class Evidence(Base):
    """A file supporting a hardship statement, stored in the database under a random name, never in the web root."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # None once purged
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)
    purge_after: Mapped[date | None] = mapped_column(Date)

    application: Mapped[Application] = relationship(back_populates="evidence")
