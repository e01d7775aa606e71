"""Loan positions and summaries: a loan's arrears as of a date, read from its schedule in force and payments.

`loan_position(s)` load the schedule versions and payments as objects (what the loan page shows);
`loan_summaries` reads the same figures as plain rows (what the dashboards show).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import Date, Integer, String, literal, select, union_all
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from portal.domain import arrears as arrears_rules
from portal.domain.money import from_fen
from portal.domain.schedule import Installment
from portal.loans.models import Loan, LoanProduct, Payment, ScheduleLine, ScheduleVersion
from portal.loans.services import ServiceError, stored_installment


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
        stored_installment(
            line.number, line.due_date, line.principal_fen, line.interest_fen, line.charges_fen
        )
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
            entry[2].append(stored_installment(number, day, fen, interest, charges))
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
