"""Demo applications in every state of their lifecycle, for the extra demo borrowers (phones 139...).

Everything goes through the services a borrower, a phone agent and the reviewers use (start, hardship, budget,
choose, submit, claim, decide, accept, appeal, withdraw, the daily housekeeping), each step "as of" the day it
pretends to happen, so the figures, the queue stamps, the schedules and the audit trail hang together. The six
named borrowers (13800000001-6) are left alone: their loans are for the demo journeys.

Each case is a flow of steps (portal.demo.steps), each run with the portal's clock pinned to the moment it
pretends to happen. This module owns the mix of target states, the flow that reaches each, and placing them on
the demo loans.

A fixed random seed makes the set the same on every machine for the same business date. Building it twice adds
nothing the second time.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal import clock
from portal.applications import decisions, transitions
from portal.applications.models import Application
from portal.demo.steps import CaseSteps, NoPlan, Skip
from portal.domain import lifecycle
from portal.loans import services
from portal.loans.models import Loan, Payment
from portal.loans.positions import loan_position
from portal.loans.services import ServiceError
from portal.people.models import Borrower

EXTRA_PHONES = "139%"  # the generated borrowers; 13800000001-6 are the named ones

# Target state and its share per 300 extra loans; `minimum` 1 makes every state appear even in a small set.
# Hard-to-place targets come first so they get the loans they need; the many plain submissions come last.
MIX: tuple[tuple[str, int, int], ...] = (
    # target, share per 300 loans, minimum
    ("broken", 4, 1),
    ("completed", 2, 1),
    ("awaiting_second_approval", 4, 1),
    ("expired", 4, 1),
    ("declined", 3, 1),
    ("appealed", 4, 1),
    ("appeal_approved", 1, 0),
    ("active", 16, 1),
    ("approved", 6, 1),
    ("countered", 5, 1),
    ("rejected", 10, 1),
    ("info_requested", 6, 1),
    ("answered", 3, 0),
    ("in_review", 10, 2),
    ("withdrawn", 5, 1),
    ("draft", 3, 0),
    ("submitted", 66, 1),
)
ATTEMPTS = 8  # loans tried for one case before the target is left short

QUESTIONS = (
    "请补充最近三个月的收入证明（工资流水或销售单据）。",
    "请说明家里还有哪些收入，以及其他贷款每月要还多少。",
    "请告诉我们预计什么时候能恢复正常收入。",
)
ANSWERS = (
    "工资流水已经交到支行柜台了，请查收。",
    "家里还有老人的养老金每月一千二，另外信用卡每月还五百。",
    "新工作下个月开始，预计收入能恢复到原来的八成。",
)
APPEALS = (
    "我的收入证明当时没来得及交，现在已经补齐，请重新审核。",
    "审核时没有考虑到我家里的实际情况，希望能再看一次。",
)


class _Cases(CaseSteps):
    """The flow that reaches each target state, and placing the targets on the demo loans."""

    # --- one flow per target -----------------------------------------------------------------------------

    def flow(self, target: str, loan: Loan, last_paid: date | None) -> Application:
        r = self.rng
        if target == "draft":
            application = self.draft(loan, self.ago(0, 3), phone=False)
        elif target == "submitted":
            # Mostly recent, a tail past the decision date: a working office.
            application = self.submitted(loan, self.ago(0, 9) if r.random() < 0.88 else self.ago(10, 24))
        elif target == "withdrawn":
            sub = self.ago(4, 26)
            application = self.submitted(loan, sub)
            if r.random() < 0.4:
                self.claim(application, self.reviewer(), sub + timedelta(days=1))
            with self.moment(min(self.today, sub + timedelta(days=r.randint(1, 3)))):
                transitions.withdraw(self.session, application, **self.acting(loan, False))
        elif target == "in_review":
            sub = self.ago(1, 12)
            application = self.submitted(loan, sub)
            who = "reviewer1" if self.built[target] % 2 == 0 else "reviewer2"
            self.claim(application, self.staff[who], min(self.today, sub + timedelta(days=r.randint(0, 3))))
        elif target in ("info_requested", "answered"):
            sub = self.ago(3, 10) if target == "info_requested" else self.ago(3, 8)
            application = self.submitted(loan, sub)
            asked = sub + timedelta(days=r.randint(1, 3))
            staff = self.reviewer()
            self.claim(application, staff, asked)
            with self.deciding(asked):
                decisions.request_information(
                    self.session,
                    application,
                    staff,
                    seen_version=application.row_version,
                    question=r.choice(QUESTIONS),
                )
            if target == "answered":
                with self.moment(min(self.today, asked + timedelta(days=r.randint(1, 2))), hours=(18, 22)):
                    transitions.answer_information(
                        self.session, application, answer=r.choice(ANSWERS), **self.acting(loan, False)
                    )
        elif target == "awaiting_second_approval":
            sub = self.ago(2, 9)
            application = self.submitted(loan, sub)
            if application.amount_fen <= self.staff["reviewer1"].approval_limit_fen:
                raise Skip()
            staff = self.reviewer()
            day = min(self.today, sub + timedelta(days=r.randint(0, 2)))
            self.claim(application, staff, day)
            with self.deciding(day):
                decisions.approve(
                    self.session, application, staff, as_of=day, seen_version=application.row_version
                )
        elif target in ("approved", "countered", "declined", "expired", "active", "completed", "broken"):
            application = self.offer_flow(target, loan, last_paid)
        elif target in ("rejected", "appealed", "appeal_approved"):
            if target == "rejected":
                sub = self.ago(3, 30)
                dec = min(self.today, sub + timedelta(days=r.randint(1, 12)))
            else:
                dec = self.ago(2, 11)
                sub = dec - timedelta(days=r.randint(1, 9))
            application = self.submitted(loan, sub)
            self.reject(application, dec)
            if target != "rejected":
                day = min(self.today, dec + timedelta(days=r.randint(1, 3)))
                with self.moment(day):
                    decisions.appeal(
                        self.session,
                        application,
                        as_of=day,
                        note=r.choice(APPEALS),
                        **self.acting(loan, False),
                    )
                if target == "appeal_approved":
                    senior = self.staff["senior1"]
                    later = min(self.today, day + timedelta(days=r.randint(0, 2)))
                    self.claim(application, senior, later)
                    with self.deciding(later):
                        decisions.approve(
                            self.session,
                            application,
                            senior,
                            as_of=later,
                            seen_version=application.row_version,
                        )
        else:  # pragma: no cover - MIX and this method list the same targets
            raise ValueError(target)
        return application

    def offer_flow(self, target: str, loan: Loan, last_paid: date | None) -> Application:
        """Decided with an offer, then (for some targets) answered by the borrower."""
        r = self.rng
        counter = target in ("countered", "declined") or (target != "approved" and r.random() < 0.25)
        if target in ("approved", "countered"):
            dec = self.ago(0, 12)  # the offer is still open (valid 14 days)
        elif target == "declined":
            dec = self.ago(3, 12)
        elif target == "expired":
            dec = self.ago(16, 24)
        elif target == "active":
            dec = self.ago(3, 28)
        elif target == "completed":
            dec = self.ago(32, 45)
        else:  # broken: accepted long enough ago for two plan payments to fall due
            dec = self.ago(78, 95)
            if last_paid is not None and last_paid >= dec - timedelta(days=12):
                raise Skip()
        sub = dec - timedelta(
            days=r.choices((r.randint(0, 3), r.randint(4, 9), r.randint(10, 14)), (5, 4, 1))[0]
        )
        application = self.submitted(loan, sub)
        if counter:
            self.counter(application, dec)
        else:
            self.approve(application, dec)
        if target in ("approved", "countered", "expired"):
            return application
        if target == "declined":
            day = min(self.today, dec + timedelta(days=r.randint(1, 3)))
            with self.moment(day):
                transitions.move(
                    self.session, application, "declined", role="borrower", **self.acting(loan, False)
                )
            return application
        accepted = min(self.today, dec + timedelta(days=r.randint(0, 4)))
        self.accept(application, accepted)
        if target == "active":
            states = loan_position(self.session, loan, self.today).report.installments
            self.pay(loan, states, until=self.today, skip_last=r.random() < 0.2)
        if target in ("active", "broken"):
            # Check the plan ends up as meant when the day's housekeeping looks at it.
            states = loan_position(self.session, loan, self.today).report.installments
            run = longest = 0
            for state in states:
                run = run + 1 if state.status == "overdue" else 0
                longest = max(longest, run)
            if all(s.status == "paid" for s in states) or (longest >= 2) != (target == "broken"):
                raise Skip()
        elif target == "completed":
            # The family helped: the whole plan paid off a few days after accepting it.
            payday = accepted + timedelta(days=r.randint(2, 6))
            states = loan_position(self.session, loan, payday).report.installments
            owed = sum(
                (s.principal_unpaid + s.interest_unpaid + s.charges_unpaid for s in states), Decimal(0)
            )
            self.payment_seq += 1
            with self.moment(payday):
                services.record_payment(
                    self.session,
                    loan,
                    reference=f"DEMO-{loan.number}-{self.payment_seq:05d}",
                    amount=owed,
                    paid_on=payday,
                )
            states = loan_position(self.session, loan, self.today).report.installments
            if not all(s.status == "paid" for s in states):
                raise Skip()
        return application

    # --- putting it together ------------------------------------------------------------------------------

    def run(self) -> Counter[str]:
        loans = list(
            self.session.scalars(
                select(Loan)
                .join(Borrower, Borrower.id == Loan.borrower_id)
                .where(Borrower.phone.like(EXTRA_PHONES))
                .options(selectinload(Loan.borrower), selectinload(Loan.branch), selectinload(Loan.product))
                .order_by(Loan.id)
            )
        )
        last_paid = dict(
            self.session.execute(
                select(Payment.loan_id, func.max(Payment.paid_on))
                .join(Loan, Loan.id == Payment.loan_id)
                .join(Borrower, Borrower.id == Loan.borrower_id)
                .where(Borrower.phone.like(EXTRA_PHONES))
                .group_by(Payment.loan_id)
            ).all()
        )
        self.rng.shuffle(loans)
        size = len(loans)
        for target, share, minimum in MIX:
            wanted = max(minimum, round(share * size / 300))
            for _ in range(wanted):
                self.place(target, loans, last_paid)
        decisions.expire_offers(self.session, self.today)
        decisions.check_plans(self.session, self.today)
        self.session.flush()
        return self.built

    def suits(self, target: str, loan: Loan, last_paid: date | None) -> bool:
        """A cheap first look, so the costly services run only on loans likely to fit the target."""
        if target == "broken":
            # Nothing paid for months, so the plan's first two payments go unpaid too.
            return last_paid is None or last_paid < self.today - timedelta(days=100)
        if target == "awaiting_second_approval":
            return loan.principal_fen > self.staff["reviewer1"].approval_limit_fen + 1_000_000
        if target == "completed":
            return loan.principal_fen <= 4_000_000
        return True

    def place(self, target: str, pool: list[Loan], last_paid: dict) -> None:
        """Build one case of `target` on the first loan that suits it; the loan leaves the pool."""
        tried = 0
        for loan in list(pool):
            if tried == ATTEMPTS:
                return
            if not self.suits(target, loan, last_paid.get(loan.id)):
                continue
            tried += 1
            self.last = None
            try:
                with self.session.begin_nested():
                    application = self.flow(target, loan, last_paid.get(loan.id))
                    application.updated_at = self.last
            except NoPlan:
                pool.remove(loan)
                continue
            except (Skip, ServiceError, lifecycle.IllegalTransition):
                continue
            pool.remove(loan)
            self.built[target] += 1
            return


def build_cases(session: Session, today: date | None = None) -> str:
    """Applications in every state for the extra demo borrowers, as of `today` (default: the business date);
    returns a one-line summary."""
    today = today or clock.business_date()
    existing = session.scalar(
        select(func.count(Application.id))
        .join(Borrower, Borrower.id == Application.borrower_id)
        .where(Borrower.phone.like(EXTRA_PHONES))
    )
    if existing:
        return f"Demo cases already present: {existing} applications."
    built = _Cases(session, today).run()
    statuses = dict(
        session.execute(
            select(Application.status, func.count(Application.id))
            .join(Borrower, Borrower.id == Application.borrower_id)
            .where(Borrower.phone.like(EXTRA_PHONES))
            .group_by(Application.status)
        ).all()
    )
    parts = ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
    return f"Demo cases: {sum(built.values())} applications ({parts})."
