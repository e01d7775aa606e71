"""Services over loans: open a loan with its first schedule, record payments, and read arrears as of a date.

Services flush and never commit: the request or CLI command that calls them is one unit of work (`portal.db`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Integer, String, literal, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.clock import utcnow
from portal.core import audit
from portal.domain import arrears as arrears_rules
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


def _installment(
    number: int, due: date, principal_fen: int, interest_fen: int, charges_fen: int
) -> Installment:
    """A stored schedule line as the domain sees it."""
    return Installment(number, due, from_fen(principal_fen), from_fen(interest_fen), from_fen(charges_fen))


def _terms(loan: Loan, product: LoanProduct) -> arrears_rules.PenaltyTerms:
    """The overdue terms a loan is assessed under: its rate, its product's markup and compounding."""
    return arrears_rules.PenaltyTerms(
        annual_rate=loan.annual_rate,
        penalty_markup=product.penalty_markup,
        compound_interest=product.compound_interest,
    )


def _under(version_number: int, effective_on: date, payments: list) -> list:
    """The payments a schedule version counts: all of them for the first, those from its start for later ones."""
    return [p for p in payments if p.paid_on >= effective_on or version_number == 1]


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
        _installment(line.number, line.due_date, line.principal_fen, line.interest_fen, line.charges_fen)
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


@dataclass(frozen=True)
class LoanSummary:
    """A loan and its arrears as of a date: what the dashboard shows of each loan (`loan_summaries` reads it
    without the schedule's rows as objects)."""

    loan: Loan
    report: arrears_rules.ArrearsReport

    @property
    def in_arrears(self) -> bool:
        return self.report.total_to_bring_current > 0

    @property
    def paid_off(self) -> bool:
        return all(item.status == "paid" for item in self.report.installments)


@dataclass(frozen=True)
class LoanPosition(LoanSummary):
    """Everything a borrower needs to see about one loan, as of a date: the summary, and the schedule in force,
    the payments and every schedule version behind it."""

    version: ScheduleVersion | None = None
    payments: list[Payment] = field(default_factory=list)
    installments: list[Installment] = field(
        default_factory=list
    )  # the schedule in force, as the domain sees it
    versions: tuple[ScheduleVersion, ...] = ()  # every schedule version of the loan, oldest first
    # Every payment of the loan, oldest first, under whichever schedule version it was received: a
    # restructuring starts a fresh ledger (`payments`), but the borrower's record keeps them all.
    all_payments: list[Payment] = field(default_factory=list)

    def version_of(self, payment: Payment) -> ScheduleVersion | None:
        """The schedule version a payment was received under (None if it is not one of this loan's)."""
        return next((v for v in self.versions if v.id == payment.schedule_version_id), None)


def loan_position(session: Session, loan: Loan, as_of: date) -> LoanPosition:
    """Assess a loan's arrears as of a date from its current schedule and its payments."""
    return loan_positions(session, [loan], as_of)[0]


def loan_positions(session: Session, loans: list[Loan], as_of: date) -> list[LoanPosition]:
    """Assess several loans at once in a fixed number of statements (four, whatever the number of loans):
    their schedule versions, the lines of the versions in force, their payments and their products."""
    if not loans:
        return []
    ids = [loan.id for loan in loans]
    # Versions and their lines in one statement (a restructured loan brings its earlier versions' lines too).
    latest: dict[int, ScheduleVersion] = {}
    every: dict[int, list[ScheduleVersion]] = {loan_id: [] for loan_id in ids}
    lines: dict[int, list[ScheduleLine]] = {}
    rows = session.execute(
        select(ScheduleVersion, ScheduleLine)
        .outerjoin(ScheduleLine, ScheduleLine.schedule_version_id == ScheduleVersion.id)
        .where(ScheduleVersion.loan_id.in_(ids))
        .order_by(ScheduleVersion.loan_id, ScheduleVersion.version, ScheduleLine.number)
    )
    for version, line in rows:
        if version.id not in lines:
            lines[version.id] = []
            every[version.loan_id].append(version)
            latest[version.loan_id] = version
        if line is not None:
            lines[version.id].append(line)
    if len(latest) < len(set(ids)):
        raise ServiceError("no_schedule")
    for version_id, version_lines in lines.items():
        version = session.get(ScheduleVersion, version_id)
        set_committed_value(version, "lines", version_lines)  # later reads of version.lines need no query
    paid: dict[int, list[Payment]] = {loan_id: [] for loan_id in ids}
    for payment in session.scalars(
        select(Payment).where(Payment.loan_id.in_(ids)).order_by(Payment.paid_on, Payment.id)
    ):
        paid[payment.loan_id].append(payment)
    if all("product" in loan.__dict__ for loan in loans):  # already loaded with the loans
        products = {loan.product_id: loan.product for loan in loans}
    else:
        product_ids = {loan.product_id for loan in loans}
        products = {
            p.id: p for p in session.scalars(select(LoanProduct).where(LoanProduct.id.in_(product_ids)))
        }
    for loan in loans:
        set_committed_value(loan, "product", products[loan.product_id])  # kept with the loan for the page
    return [
        replace(
            _position(
                loan,
                latest[loan.id],
                lines[latest[loan.id].id],
                paid[loan.id],
                products[loan.product_id],
                as_of,
            ),
            versions=tuple(every[loan.id]),
            all_payments=paid[loan.id],
        )
        for loan in loans
    ]


def _position(
    loan: Loan,
    version: ScheduleVersion,
    lines: list[ScheduleLine],
    all_payments: list[Payment],
    product: LoanProduct,
    as_of: date,
) -> LoanPosition:
    installments = [
        _installment(line.number, line.due_date, line.principal_fen, line.interest_fen, line.charges_fen)
        for line in lines
    ]
    payments = _under(version.version, version.effective_on, all_payments)
    report = arrears_rules.assess(
        installments,
        [arrears_rules.Payment(p.reference, p.paid_on, p.amount) for p in payments],
        _terms(loan, product),
        as_of,
    )
    return LoanPosition(
        loan=loan, version=version, report=report, payments=payments, installments=installments
    )


def loan_summaries(session: Session, loans: list[Loan], as_of: date) -> list[LoanSummary]:
    """Assess several loans (their products loaded with them) in one statement: the lines of each loan's
    schedule in force and the loans' payments, as plain rows of one UNION ALL (one round trip, no objects).
    The same figures as `loan_positions` (tests/loans compare the two)."""
    if not loans:
        return []
    ids = [loan.id for loan in loans]
    newer = aliased(ScheduleVersion)
    in_force = (
        ~select(newer.id)
        .where(newer.loan_id == ScheduleVersion.loan_id, newer.version > ScheduleVersion.version)
        .exists()
    )
    lines = (
        select(
            literal("line").label("kind"),
            ScheduleVersion.loan_id,
            ScheduleVersion.version,
            ScheduleVersion.effective_on,
            ScheduleLine.number,
            ScheduleLine.due_date.label("day"),
            ScheduleLine.principal_fen.label("fen"),
            ScheduleLine.interest_fen,
            ScheduleLine.charges_fen,
            literal(None, String(64)).label("reference"),
        )
        .join(ScheduleLine, ScheduleLine.schedule_version_id == ScheduleVersion.id)
        .where(ScheduleVersion.loan_id.in_(ids), in_force)
    )
    payments = select(
        literal("payment"),
        Payment.loan_id,
        literal(None, Integer),
        literal(None, Date),
        literal(None, Integer),
        Payment.paid_on,
        Payment.amount_fen,
        literal(None, Integer),
        literal(None, Integer),
        Payment.reference,
    ).where(Payment.loan_id.in_(ids))
    schedules: dict[int, tuple[int, date, list[Installment]]] = {}
    paid: dict[int, list[arrears_rules.Payment]] = {loan_id: [] for loan_id in ids}
    # The order of the rows does not matter: assess orders installments by due date and number, payments by
    # date and reference.
    for (
        kind,
        loan_id,
        version,
        effective_on,
        number,
        day,
        fen,
        interest,
        charges,
        reference,
    ) in session.execute(union_all(lines, payments)):
        if kind == "line":
            entry = schedules.setdefault(loan_id, (version, effective_on, []))
            entry[2].append(_installment(number, day, fen, interest, charges))
        else:
            paid[loan_id].append(arrears_rules.Payment(reference, day, from_fen(fen)))
    if len(schedules) < len(set(ids)):
        raise ServiceError("no_schedule")
    summaries = []
    for loan in loans:
        version, effective_on, installments = schedules[loan.id]
        report = arrears_rules.assess(
            installments, _under(version, effective_on, paid[loan.id]), _terms(loan, loan.product), as_of
        )
        summaries.append(LoanSummary(loan, report))
    return summaries


def borrower_loans(session: Session, borrower_id: int) -> list[Loan]:
    """A borrower's loans, oldest first, each with its product (its name heads the loan's card)."""
    return list(
        session.scalars(
            select(Loan)
            .where(Loan.borrower_id == borrower_id)
            .order_by(Loan.id)
            .options(joinedload(Loan.product))
        )
    )


def borrower_loan(session: Session, borrower_id: int, number: str) -> Loan | None:
    """One of this borrower's loans by number (with its branch); None for anyone else's (the caller answers 404)."""
    return session.scalar(
        select(Loan)
        .where(Loan.borrower_id == borrower_id, Loan.number == number)
        .options(joinedload(Loan.branch))
    )


def schedule_versions(session: Session, loan: Loan) -> list[ScheduleVersion]:
    """Every schedule version of a loan, oldest first."""
    return list(
        session.scalars(
            select(ScheduleVersion)
            .where(ScheduleVersion.loan_id == loan.id)
            .order_by(ScheduleVersion.version)
        )
    )


def version_payments(session: Session, version: ScheduleVersion) -> list[Payment]:
    """The payments received while a schedule version was in force, oldest first."""
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.schedule_version_id == version.id)
            .order_by(Payment.paid_on, Payment.id)
        )
    )


def schedule_version(session: Session, loan: Loan, number: int) -> ScheduleVersion | None:
    """One schedule version of a loan by its number."""
    return session.scalars(
        select(ScheduleVersion).where(ScheduleVersion.loan_id == loan.id, ScheduleVersion.version == number)
    ).first()


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
