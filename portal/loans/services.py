"""Services over loans: register a borrower, open a loan with its first schedule, write schedule versions,
record payments, and move a borrower between variants.

Services flush and never commit: the request or CLI command that calls them is one unit of work (`portal.db`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.core import audit
from portal.domain.hardship import VARIANTS
from portal.domain.money import from_fen, to_fen
from portal.domain.schedule import Installment, build_schedule
from portal.loans.models import PPM, Loan, LoanProduct, Payment, ScheduleLine, ScheduleVersion
from portal.people.models import Borrower, Branch


class ServiceError(Exception):
    """A rule refused the operation; `code` is a stable key the view translates."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def register_borrower(
    session: Session,
    *,
    phone: str,
    name: str,
    id_number: str,
    birth_date: date,
    branch: Branch,
    locale: str = "zh_Hans",
    occupation: str = "",
    password_hash: str | None = None,
) -> Borrower:
    """Create a borrower whose variant comes from the branch that holds their loans."""
    borrower = Borrower(
        phone=phone,
        name=name,
        id_number=id_number,
        birth_date=birth_date,
        locale=locale,
        variant=branch.kind,
        home_branch=branch,
        occupation=occupation,
        password_hash=password_hash,
        session_version=1,
        created_at=utcnow(),
    )
    session.add(borrower)
    session.flush()
    return borrower


def open_loan(
    session: Session,
    *,
    number: str,
    borrower: Borrower,
    branch: Branch,
    product: LoanProduct,
    principal: Decimal,
    annual_rate: Decimal,
    months: int,
    start_date: date,
    first_due: date,
    purpose: str,
) -> Loan:
    """Open a loan and write schedule version 1 from the product's repayment method."""
    loan = Loan(
        number=number,
        borrower=borrower,
        branch=branch,
        product=product,
        principal_fen=to_fen(principal),
        annual_rate_ppm=int(annual_rate * PPM),
        months=months,
        method=product.method,
        start_date=start_date,
        first_due=first_due,
        purpose=purpose,
        status="active",
        created_at=utcnow(),
    )
    session.add(loan)
    session.flush()
    installments = build_schedule(principal, annual_rate, months, product.method, first_due)
    write_schedule_version(session, loan, installments, effective_on=start_date, reason="origination")
    return loan


def write_schedule_version(
    session: Session, loan: Loan, installments: list[Installment], *, effective_on: date, reason: str
) -> ScheduleVersion:
    """Add the next schedule version for a loan; earlier versions stay as they were."""
    latest = session.scalar(
        select(ScheduleVersion.version)
        .where(ScheduleVersion.loan_id == loan.id)
        .order_by(ScheduleVersion.version.desc())
        .limit(1)
    )
    version = ScheduleVersion(
        loan_id=loan.id,
        version=(latest or 0) + 1,
        effective_on=effective_on,
        reason=reason,
        created_at=utcnow(),
    )
    session.add(version)
    session.flush()
    session.add_all(
        ScheduleLine(
            schedule_version_id=version.id,
            number=item.number,
            due_date=item.due_date,
            principal_fen=to_fen(item.principal),
            interest_fen=to_fen(item.interest),
            charges_fen=to_fen(item.charges),
        )
        for item in installments
    )
    session.flush()
    return version


def stored_installment(
    number: int, due: date, principal_fen: int, interest_fen: int, charges_fen: int
) -> Installment:
    """A stored schedule line as the domain sees it."""
    return Installment(number, due, from_fen(principal_fen), from_fen(interest_fen), from_fen(charges_fen))


def current_schedule(session: Session, loan: Loan) -> tuple[ScheduleVersion, list[Installment]]:
    """The schedule version in force and its installments as domain objects."""
    version = session.scalars(
        select(ScheduleVersion)
        .where(ScheduleVersion.loan_id == loan.id)
        .order_by(ScheduleVersion.version.desc())
    ).first()
    if version is None:
        raise ServiceError("no_schedule")
    return version, [
        stored_installment(
            line.number, line.due_date, line.principal_fen, line.interest_fen, line.charges_fen
        )
        for line in version.lines
    ]


def record_payment(
    session: Session, loan: Loan, *, reference: str, amount: Decimal, paid_on: date, channel: str = "bank"
) -> tuple[Payment, bool]:
    """Record a payment once per external reference. Returns (payment, created); a repeat returns the first."""
    if amount <= 0:
        raise ServiceError("amount_not_positive")
    existing = session.scalar(select(Payment).where(Payment.reference == reference))
    if existing is not None:
        if existing.loan_id != loan.id:
            raise ServiceError("reference_used_for_other_loan")
        return existing, False
    version, _installments = current_schedule(session, loan)
    payment = Payment(
        loan_id=loan.id,
        schedule_version_id=version.id,
        reference=reference,
        paid_on=paid_on,
        amount_fen=to_fen(amount),
        channel=channel,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        # Another request recorded the same reference between our read and our insert.
        existing = session.scalar(select(Payment).where(Payment.reference == reference))
        return existing, False
    return payment, True


def change_variant(
    session: Session, borrower: Borrower, variant: str, *, actor: str, channel: str = "branch"
) -> bool:
    """Staff move a borrower to the other variant (audited with the old and the new value); False when unchanged.

    Applications already started keep the variant and policy pack they were started under: only what the
    borrower starts from now on, and the wording and help of their pages, follow the new variant.
    """
    if variant not in VARIANTS:
        raise ServiceError("variant_invalid")
    old = borrower.variant
    if old == variant:
        return False
    borrower.variant = variant
    session.flush()
    audit.record(
        session,
        actor=actor,
        on_behalf_of=f"borrower:{borrower.id}",
        channel=channel,
        action="borrower.variant_changed",
        subject=f"borrower:{borrower.id}",
        data={"from": old, "to": variant},
    )
    return True
