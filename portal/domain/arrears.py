"""The arrears report as of a date: which installments are overdue, how payments were applied, the arrears
totals, the loan's days past due, bucket and five-tier classification, and what a waiver would forgo.

An installment may carry ``charges``: penalty, compound (or overdue) interest that a restructuring moved into
it. They are owed like the rest of the installment; what accrues on overdue amounts is portal.domain.penalty's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, localcontext

from portal.domain.money import round_money
from portal.domain.penalty import PRECISION, InstallmentLedger, PenaltyTerms
from portal.domain.schedule import Installment

_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Payment:
    """Money received for the loan; ``reference`` is the payment system's id and makes it idempotent."""

    reference: str
    paid_on: date
    amount: Decimal


@dataclass(frozen=True)
class Allocation:
    """How much of one payment went to each part of one installment.

    Payments go to penalty, compound interest, charges, interest, then principal; ``charges`` comes last in
    the field order only so that allocations written before charges existed still construct positionally.
    """

    reference: str
    paid_on: date
    installment: int
    penalty: Decimal
    compound: Decimal
    interest: Decimal
    principal: Decimal
    charges: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        """Everything this payment paid on this installment."""
        return self.penalty + self.compound + self.charges + self.interest + self.principal


@dataclass(frozen=True)
class InstallmentState:
    """One installment as of the report date: what was scheduled, paid and accrued, and what is unpaid."""

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    principal_paid: Decimal
    interest_paid: Decimal
    penalty: Decimal  # accrued up to the report date, rounded once
    compound: Decimal  # accrued up to the report date, rounded once
    penalty_paid: Decimal
    compound_paid: Decimal
    days_overdue: int
    status: str  # "paid" | "overdue" | "due_today" | "upcoming"
    paid_off_on: date | None
    # Last, with defaults, so states built before restructurings existed still construct.
    charges: Decimal = _ZERO
    charges_paid: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        """The scheduled amount: principal plus interest plus charges."""
        return self.principal + self.interest + self.charges

    @property
    def principal_unpaid(self) -> Decimal:
        """Scheduled principal not yet paid."""
        return self.principal - self.principal_paid

    @property
    def interest_unpaid(self) -> Decimal:
        """Scheduled interest not yet paid."""
        return self.interest - self.interest_paid

    @property
    def charges_unpaid(self) -> Decimal:
        """Scheduled charges (moved here by a restructuring) not yet paid."""
        return self.charges - self.charges_paid

    @property
    def penalty_unpaid(self) -> Decimal:
        """Accrued penalty interest not yet paid."""
        return self.penalty - self.penalty_paid

    @property
    def compound_unpaid(self) -> Decimal:
        """Accrued compound interest not yet paid."""
        return self.compound - self.compound_paid

    @property
    def total_unpaid(self) -> Decimal:
        """Everything still owed on this installment."""
        return (
            self.principal_unpaid
            + self.interest_unpaid
            + self.charges_unpaid
            + self.penalty_unpaid
            + self.compound_unpaid
        )

    @property
    def is_partly_paid(self) -> bool:
        """True when some money has been applied to the installment but it is not fully paid."""
        paid = (
            self.principal_paid
            + self.interest_paid
            + self.charges_paid
            + self.penalty_paid
            + self.compound_paid
        )
        return paid > 0 and self.total_unpaid > 0


@dataclass(frozen=True)
class ArrearsReport:
    """The loan as of ``as_of``: each installment's state, how payments were applied, the arrears totals."""

    as_of: date
    installments: list[InstallmentState]
    allocations: list[Allocation]
    overdue_principal: Decimal
    overdue_interest: Decimal
    penalty: Decimal  # unpaid, over the overdue installments
    compound: Decimal  # unpaid, over the overdue installments
    total_to_bring_current: Decimal
    days_past_due: int
    bucket: str
    classification: str
    outstanding_principal: Decimal
    unapplied: Decimal
    # Last, with a default, so reports built before restructurings existed still construct.
    overdue_charges: Decimal = _ZERO  # unpaid charges of the overdue installments

    @property
    def overdue_installments(self) -> list[InstallmentState]:
        """The installments that are overdue, oldest first."""
        return [state for state in self.installments if state.status == "overdue"]

    @property
    def next_installment(self) -> InstallmentState | None:
        """The first installment not fully paid that falls due on or after the report date, if any."""
        return next(
            (s for s in self.installments if s.status != "paid" and s.due_date >= self.as_of),
            None,
        )

    @property
    def in_arrears(self) -> bool:
        """True when at least one installment is overdue."""
        return self.days_past_due > 0


def bucket(days_past_due: int) -> str:
    """Return the collection bucket for a number of days past due: M0, M1 (1-30), M2, M3, or M4+ (over 90)."""
    if days_past_due < 0:
        raise ValueError("days past due cannot be negative")
    if days_past_due == 0:
        return "M0"
    if days_past_due > 90:
        return "M4+"
    return f"M{(days_past_due - 1) // 30 + 1}"


def classification(days_past_due: int) -> str:
    """Return the five-tier risk classification for a number of days past due (2023 asset-risk rules)."""
    if days_past_due < 0:
        raise ValueError("days past due cannot be negative")
    if days_past_due == 0:
        return "normal"
    if days_past_due <= 90:
        return "special_mention"
    if days_past_due <= 270:
        return "substandard"
    if days_past_due <= 360:
        return "doubtful"
    return "loss"


def assess(
    schedule: Sequence[Installment],
    payments: Sequence[Payment],
    terms: PenaltyTerms,
    as_of: date,
) -> ArrearsReport:
    """Replay ``payments`` against ``schedule`` and report the loan's arrears as of ``as_of``.

    Payments after ``as_of`` are ignored; the rest are applied in (paid_on, reference) order, a repeated
    reference once (repeated with a different date or amount, it is a ValueError). Each payment goes to the
    oldest installment with anything outstanding, also ahead of its due date; within one installment to
    penalty, compound interest, charges, interest, then principal. Penalty accrues daily on an installment's
    unpaid principal from its due date, compound interest on its unpaid interest, at ``terms.daily_rate``;
    each is summed exactly and rounded once. Charges accrue nothing.
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ledgers = [
            InstallmentLedger(item)
            for item in sorted(schedule, key=lambda item: (item.due_date, item.number))
        ]
        numbers = [ledger.installment.number for ledger in ledgers]
        if len(set(numbers)) != len(numbers):
            raise ValueError("installment numbers must be unique")

        allocations: list[Allocation] = []
        unapplied = _ZERO
        for payment in _payments_to_apply(payments, as_of):
            remaining = round_money(payment.amount)
            for ledger in ledgers:
                if remaining == 0:
                    break
                if ledger.paid_off_on is not None:
                    continue  # nothing owed and nothing accruing: its bases are zero
                allocation = _apply(ledger, payment, remaining, terms)
                if allocation is not None:
                    allocations.append(allocation)
                    remaining -= allocation.total
            unapplied += remaining

        states = [_state(ledger, terms, as_of) for ledger in ledgers]
    return _report(as_of, states, allocations, unapplied)


def _payments_to_apply(payments: Sequence[Payment], as_of: date) -> list[Payment]:
    """Drop repeated references and payments after ``as_of``; order the rest by (paid_on, reference)."""
    by_reference: dict[str, Payment] = {}
    for payment in payments:
        amount = round_money(payment.amount)
        if amount < 0:
            raise ValueError(f"payment {payment.reference!r} has a negative amount")
        seen = by_reference.get(payment.reference)
        if seen is None:
            by_reference[payment.reference] = payment
        elif seen.paid_on != payment.paid_on or round_money(seen.amount) != amount:
            # The same reference with other figures is a ledger error, not a retry: picking one would hide it.
            raise ValueError(
                f"payment reference {payment.reference!r} is repeated with a different date or amount"
            )
    return sorted(
        (payment for payment in by_reference.values() if payment.paid_on <= as_of),
        key=lambda payment: (payment.paid_on, payment.reference),
    )


def _apply(
    ledger: InstallmentLedger, payment: Payment, available: Decimal, terms: PenaltyTerms
) -> Allocation | None:
    """Pay what ``available`` covers of one installment on the payment day; None when nothing went to it."""
    # The bases held until the payment day; what is paid now lowers them from this day on.
    ledger.accrue_to(payment.paid_on, terms.compound_interest)
    parts = []
    owed = [
        terms.accrued(ledger.penalty_amount_days) - ledger.penalty_paid,
        terms.accrued(ledger.compound_amount_days) - ledger.compound_paid,
        ledger.charges_unpaid,
        ledger.interest_unpaid,
        ledger.principal_unpaid,
    ]
    for amount in owed:
        part = min(amount, available)
        parts.append(part)
        available -= part
    penalty, compound, charges, interest, principal = parts
    if not any(parts):
        return None
    ledger.penalty_paid += penalty
    ledger.compound_paid += compound
    ledger.charges_paid += charges
    ledger.interest_paid += interest
    ledger.principal_paid += principal
    if ledger.paid_off_on is None and sum(owed) == sum(parts):
        ledger.paid_off_on = payment.paid_on
    return Allocation(
        payment.reference,
        payment.paid_on,
        ledger.installment.number,
        penalty=penalty,
        compound=compound,
        interest=interest,
        principal=principal,
        charges=charges,
    )


def _state(ledger: InstallmentLedger, terms: PenaltyTerms, as_of: date) -> InstallmentState:
    """Freeze one installment's ledger into its state as of ``as_of``."""
    ledger.accrue_to(as_of, terms.compound_interest)
    item = ledger.installment
    penalty = terms.accrued(ledger.penalty_amount_days)
    compound = terms.accrued(ledger.compound_amount_days)
    unpaid = (
        ledger.principal_unpaid
        + ledger.interest_unpaid
        + ledger.charges_unpaid
        + (penalty - ledger.penalty_paid)
        + (compound - ledger.compound_paid)
    )
    if unpaid == 0:
        status = "paid"
    elif item.due_date < as_of:
        status = "overdue"
    elif item.due_date == as_of:
        status = "due_today"
    else:
        status = "upcoming"
    return InstallmentState(
        number=item.number,
        due_date=item.due_date,
        principal=item.principal,
        interest=item.interest,
        principal_paid=ledger.principal_paid,
        interest_paid=ledger.interest_paid,
        penalty=penalty,
        compound=compound,
        penalty_paid=ledger.penalty_paid,
        compound_paid=ledger.compound_paid,
        days_overdue=(as_of - item.due_date).days if status == "overdue" else 0,
        status=status,
        paid_off_on=ledger.paid_off_on if status == "paid" else None,
        charges=item.charges,
        charges_paid=ledger.charges_paid,
    )


def _report(
    as_of: date,
    states: list[InstallmentState],
    allocations: list[Allocation],
    unapplied: Decimal,
) -> ArrearsReport:
    """Total the installment states into the loan's arrears figures."""
    overdue = [state for state in states if state.status == "overdue"]
    overdue_principal = sum((state.principal_unpaid for state in overdue), _ZERO)
    overdue_interest = sum((state.interest_unpaid for state in overdue), _ZERO)
    penalty = sum((state.penalty_unpaid for state in overdue), _ZERO)
    compound = sum((state.compound_unpaid for state in overdue), _ZERO)
    overdue_charges = sum((state.charges_unpaid for state in overdue), _ZERO)
    # States are oldest first, so the first overdue one sets the days past due.
    days_past_due = overdue[0].days_overdue if overdue else 0
    return ArrearsReport(
        as_of=as_of,
        installments=states,
        allocations=allocations,
        overdue_principal=overdue_principal,
        overdue_interest=overdue_interest,
        penalty=penalty,
        compound=compound,
        total_to_bring_current=overdue_principal + overdue_interest + overdue_charges + penalty + compound,
        days_past_due=days_past_due,
        bucket=bucket(days_past_due),
        classification=classification(days_past_due),
        outstanding_principal=sum((state.principal_unpaid for state in states), _ZERO),
        unapplied=unapplied,
        overdue_charges=overdue_charges,
    )


def waive(report: ArrearsReport, *, penalty: bool = False, compound: bool = False) -> ArrearsReport:
    """The report as it stands once the lender forgoes accrued penalty and/or compound interest.

    A waiver settles what has accrued up to the report date, as if it had been paid; nothing else changes.
    """
    if not (penalty or compound):
        return report
    states = []
    for state in report.installments:
        changed = replace(
            state,
            penalty_paid=state.penalty if penalty else state.penalty_paid,
            compound_paid=state.compound if compound else state.compound_paid,
        )
        if changed.total_unpaid == 0 and changed.status != "paid":
            changed = replace(changed, status="paid", days_overdue=0, paid_off_on=report.as_of)
        states.append(changed)
    return _report(report.as_of, states, report.allocations, report.unapplied)


def waivable(report: ArrearsReport) -> dict[str, Decimal]:
    """What a waiver would forgo today: unpaid penalty and compound interest of the overdue installments."""
    return {"penalty": report.penalty, "compound": report.compound}
