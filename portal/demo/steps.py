"""The steps of a demo case, as the borrower, the phone agent and the reviewers take them through the services
(start, hardship, budget, choose, submit, claim, approve, counter, reject, accept, pay), and the wording they use.

Each step runs with the portal's clock pinned to the moment it pretends to happen (`clock.pinned`), so everything
the services stamp (the application's dates, the audit trail's rows, the messages) says the same moment, in order,
on the day the story says: the demo stamps nothing by hand.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import clock, policies
from portal.applications import calculation, decisions, drafting, offers, serialisation, transitions
from portal.applications.models import Application
from portal.domain import options
from portal.domain.options import Quote, Terms
from portal.loans import services
from portal.loans.models import Loan
from portal.people.models import StaffUser

SEED = 20261130

URBAN_REASONS = {
    "income_reduced": "公司今年订单减少，我的工资从每月八千降到五千左右，房租和孩子的学费都要付，实在周转不过来。",
    "lost_job": "我所在的工厂八月份关闭了，我还在找工作，现在只能打零工维持生活。",
    "illness": "今年上半年做了一次手术，休息了三个月没有收入，医药费也花了不少。",
    "family_illness_or_death": "父亲住院治疗，我要照顾他，还要承担大部分医疗费用。",
    "divorce": "离婚后我一个人带孩子，收入只有原来家里的一半。",
    "business_downturn": "我开的小餐馆生意下滑很多，营业额比去年少了一半，店租还要照付。",
    "salary_late": "单位已经拖欠工资三个月了，说年底前会补发，但现在手里没钱还款。",
    "other": "家里遇到一些意外开支，暂时无法按时还款，希望能分期慢慢还。",
}
RURAL_REASONS = {
    "crop_failure": "今年夏天干旱，稻谷减产一半多，卖粮的钱不够还贷款。",
    "livestock_disease": "猪场发生了疫病，一半的猪都没了，损失很大。",
    "farm_price_drop": "今年柑橘收购价太低，卖出去几乎不赚钱。",
    "natural_disaster": "七月的洪水把田地和鱼塘都淹了，今年的收成基本没有了。",
    "illness": "去年冬天摔伤了腰，干不了重活，地里的活只能请人做。",
    "income_reduced": "外出打工的活少了，家里收入比往年少了很多。",
    "family_illness_or_death": "老伴生病住院，家里的钱都拿去看病了。",
    "other": "家里盖房子借了钱，一时还不上，秋收以后可以多还一些。",
}
NOTES = ("已电话核实，情况属实。", "收入稳定，分期后可以负担。", "已与借款人沟通还款安排。", None, None)
COUNTER_NOTES = ("建议延长期数以降低月供。", "按借款人收入调整了还款计划。")
# Not "recent_plan_broken_without_change": its 33 characters overflow applications.decision_reason
# (String(32)), which PostgreSQL refuses; the demo sticks to reasons every database stores.
REJECT_WEIGHTS = {
    "no_hardship_shown": 3,
    "information_not_provided": 2,
    "not_affordable_even_with_plan": 4,
    "loan_not_eligible": 1,
    "other": 1,
}
# What the borrower reads with a decision (the notes above and below are staff's, for the record only).
COUNTER_MESSAGE = "我们按您的收入调整了还款计划，请看看新的方案是否可行。"
REJECT_MESSAGES = {
    "no_hardship_shown": "您的申请没有说明遇到了什么困难。如有困难，欢迎补充说明后重新申请。",
    "information_not_provided": "我们两次请您补充材料，还没有收到，所以这次无法批准。",
    "not_affordable_even_with_plan": "按您现在的收入，分期后仍难以还款。欢迎来电一起商量其他办法。",
    "recent_plan_broken_without_change": "上一个还款计划没有履行，情况也没有变化，所以这次无法批准。",
    "loan_not_eligible": "这笔贷款不符合重新安排还款的条件。",
    "other": "具体原因我们已经电话告诉您，有疑问请随时来电。",
}
REJECT_NOTES = {
    "no_hardship_shown": "申请中没有说明具体困难。",
    "information_not_provided": "两次请借款人补充材料，均未提供。",
    "not_affordable_even_with_plan": "按现有收入，分期后仍无力偿还。",
    "recent_plan_broken_without_change": "上一个还款计划未履行，情况没有变化。",
    "loan_not_eligible": "该笔贷款不符合重组条件。",
    "other": "已电话告知借款人原因。",
}


class Skip(Exception):
    """This loan does not suit this target: try another."""


class NoPlan(Skip):
    """No option is open to this loan at all: drop it from the pool."""


class CaseSteps:
    """What every demo case is built from: the pretended moments, and each party's steps."""

    def __init__(self, session: Session, today: date):
        self.session = session
        self.today = today
        self.rng = random.Random(SEED)  # demo data, not security  # noqa: S311  # nosec B311
        # No pretended moment is later than now (on the business date, at the current time of day).
        self.latest = clock.stored_moment(today, clock.now().time().replace(tzinfo=None))
        staff = session.scalars(
            select(StaffUser).where(StaffUser.username.in_(("reviewer1", "reviewer2", "senior1", "agent1")))
        ).all()
        self.staff = {s.username: s for s in staff}
        self.built: Counter[str] = Counter()
        self.payment_seq = 0
        self.last: datetime | None = None  # the latest pretended moment of the case being built

    # --- time ---------------------------------------------------------------------------------------------

    def ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def at(self, day: date, hours: tuple[int, int] = (8, 18)) -> datetime:
        """A moment on `day` (local hours) as naive UTC, after the case's previous step and not after now; it
        becomes the case's last moment, which ends up as the application's `updated_at`."""
        moment = clock.stored_moment(day, time(self.rng.randint(*hours), self.rng.randint(0, 59)))
        if self.last is not None and moment <= self.last:
            moment = self.last + timedelta(minutes=self.rng.randint(5, 90))
        if moment > self.latest:
            moment = max(self.latest, (self.last or self.latest) + timedelta(seconds=1))
        self.last = moment
        return moment

    @contextmanager
    def moment(self, day: date, hours: tuple[int, int] = (8, 18)) -> Iterator[datetime]:
        """Run the block as if it happened at a moment on `day`: the clock says so to every service."""
        with clock.pinned(self.at(day, hours)) as moment:
            yield moment

    # --- the borrower's side ------------------------------------------------------------------------------

    def acting(self, loan: Loan, phone: bool) -> dict:
        borrower = f"borrower:{loan.borrower_id}"
        if phone:
            return {"actor": f"staff:{self.staff['agent1'].id}", "on_behalf_of": borrower, "channel": "phone"}
        return {"actor": borrower, "channel": "web"}

    def hardship(self, rural: bool, branch_code: str) -> tuple[list[str], str, str]:
        texts = RURAL_REASONS if rural else URBAN_REASONS
        codes = list(texts)
        weights = [5 if rural and c in ("crop_failure", "farm_price_drop") else 3 for c in codes]
        if rural and branch_code == "QS01":
            weights[codes.index("natural_disaster")] = 12  # the Qingshan flood
        first = self.rng.choices(codes, weights=weights)[0]
        reasons = [first]
        if self.rng.random() < 0.3:
            second = self.rng.choice([c for c in codes if c not in (first, "other")])
            reasons.append(second)
        duration = self.rng.choices(("under_6_months", "longer", "permanent"), weights=(55, 35, 10))[0]
        return reasons, duration, texts[first]

    def budget(self, rural: bool, payment: Decimal) -> dict:
        """A monthly budget whose disposable income mostly (not always) fits the plan's payment."""
        r = self.rng

        def amount(low: int, high: int, step: int = 50) -> Decimal:
            return Decimal(r.randrange(low, high + 1, step)) if high > 0 else Decimal(0)

        spending = {
            "food": amount(600, 1800),
            "housing": amount(0, 300) if rural else amount(900, 3500),
            "utilities": amount(100, 400),
            "education": amount(0, 1500) if r.random() < 0.6 else Decimal(0),
            "medical": amount(0, 800) if r.random() < 0.5 else Decimal(0),
            "transport": amount(50, 300) if rural else amount(150, 700),
        }
        if rural:
            spending.update(seed=amount(100, 600), fertiliser=amount(100, 800), feed=amount(0, 600))
        spending = {k: v for k, v in spending.items() if v}
        other_debt = amount(300, 2000, 100) if r.random() < 0.3 else Decimal(0)
        factor = Decimal(str(round(r.uniform(2.1, 4.0) if r.random() < 0.8 else r.uniform(0.7, 1.9), 2)))
        needed = sum(spending.values(), Decimal(0)) + other_debt + payment * factor
        total = (needed / 100).to_integral_value(rounding="ROUND_CEILING") * 100
        main = "farming" if rural else ("business" if r.random() < 0.2 else "wages")
        income = {main: total}
        if r.random() < 0.35:
            side = r.choice(("family_support", "pension_benefits", "other_income"))
            part = min(total // 4, Decimal(r.randrange(300, 1500, 100)))
            income = {main: total - part, side: part}
        return {
            "income": income,
            "spending": spending,
            "other_debt": other_debt,
            "dependants": r.choices((0, 1, 2, 3, 4), weights=(15, 25, 30, 20, 10))[0],
        }

    def plan_terms(self, kind: str, default: Terms, limits: dict, rural: bool) -> Terms:
        r = self.rng
        if kind == "installment_plan":
            months = r.choice((6, 9, 12, 12, 18, 24) + ((30, 36) if rural else ()))
            months = max(limits.get("months_min", 3), min(months, limits.get("months_max", months)))
            pay_day = r.choice((10, 15, 25)) if not rural and r.random() < 0.5 else default.pay_day
            return replace(default, months=months, pay_day=pay_day)
        if kind == "extension":
            months = min(r.choice((6, 12, 12, 18, 24)), max(limits.get("months_max", 1), 1))
            return replace(default, months=months)
        if kind == "grace":
            return replace(default, months=min(r.choice((3, 6)), max(limits.get("months_max", 1), 1)))
        return replace(default, income_months=r.choice(((9,), (7, 11), (6, 10), (8,), (5, 10), (10,))))

    def pick_plan(self, facts, policy, rural: bool) -> tuple[str, Terms, Quote]:
        """An available option with varied terms, priced without a budget (to size the budget on it)."""
        weights = (
            {"installment_plan": 40, "seasonal": 30, "extension": 20, "grace": 10}
            if rural
            else {"installment_plan": 65, "extension": 35}
        )
        kinds = [k for k in weights if k in policy.options]
        order = []
        while kinds:
            pick = self.rng.choices(kinds, weights=[weights[k] for k in kinds])[0]
            order.append(pick)
            kinds.remove(pick)
        for kind in order:
            default = options.default_terms(kind, facts, policy)
            if kind == "seasonal":  # no month is chosen for the farmer: the demo farmer sells in September
                default = replace(default, income_months=(9,))
            probe = options.quote(kind, facts, policy, default, None)
            if not probe.available:
                continue
            terms = self.plan_terms(kind, default, probe.limits, rural)
            quote = options.quote(kind, facts, policy, terms, None)
            if quote.available:
                return kind, terms, quote
            return kind, default, probe
        raise NoPlan()

    def draft(self, loan: Loan, day: date, phone: bool) -> Application:
        """Start the application and fill in hardship, budget and plan as of `day`."""
        who = self.acting(loan, phone)
        with self.moment(day, hours=(7, 20)):
            application = drafting.start(
                self.session, loan, create_key=f"demo-{loan.number}", as_of=day, **who
            )
            rural = loan.borrower.variant == "rural"
            reasons, duration, account = self.hardship(rural, loan.branch.code)
            drafting.save_hardship(application, reasons=reasons, duration=duration, account=account)
            facts = calculation.loan_facts(self.session, loan, day, exclude=application)
            policy = policies.of(application.policy_pack)
            kind, terms, probe = self.pick_plan(facts, policy, rural)
            drafting.save_budget(application, **self.budget(rural, probe.regular_payment))
            drafting.choose(
                application,
                options.quote(kind, facts, policy, terms, calculation.disposable_income(application)),
            )
        return application

    def submitted(self, loan: Loan, day: date) -> Application:
        phone = self.rng.random() < 0.12
        application = self.draft(loan, day, phone)
        who = self.acting(loan, phone)
        with self.moment(day, hours=(7, 21)):
            transitions.submit(
                self.session, application, as_of=day, role="agent" if phone else "borrower", **who
            )
        return application

    # --- the reviewers' side ------------------------------------------------------------------------------

    def reviewer(self) -> StaffUser:
        return self.staff[self.rng.choice(("reviewer1", "reviewer2"))]

    def claim(self, application: Application, staff: StaffUser, day: date) -> None:
        with self.moment(day, hours=(9, 12)):
            decisions.claim(self.session, application, staff, seen_version=application.row_version)

    def deciding(self, day: date):
        """The moment of a decision on `day`: in the afternoon, after the morning's claim."""
        return self.moment(day, hours=(13, 17))

    def approve(self, application: Application, day: date) -> None:
        """Approve as asked; above the reviewer's limit a senior reviewer gives the second approval."""
        staff = self.reviewer()
        self.claim(application, staff, day)
        note = self.rng.choice(NOTES)
        with self.deciding(day):
            status = decisions.approve(
                self.session,
                application,
                staff,
                as_of=day,
                seen_version=application.row_version,
                internal_note=note,
            )
        if status == "awaiting_second_approval":
            senior = self.staff["senior1"]
            self.claim(application, senior, day)
            with self.deciding(day):
                decisions.approve(
                    self.session, application, senior, as_of=day, seen_version=application.row_version
                )

    def counter(self, application: Application, day: date) -> None:
        """A different plan or terms; above a reviewer's limit a senior reviewer sends it."""
        big = application.amount_fen > self.staff["reviewer1"].approval_limit_fen
        staff = self.staff["senior1"] if big else self.reviewer()
        self.claim(application, staff, day)
        kind = application.option
        asked = serialisation.terms_from_json(application.terms)
        tries = []
        if kind in ("installment_plan", "extension") and asked.months:
            tries += [
                replace(asked, months=m) for m in (asked.months + 6, asked.months + 3, asked.months - 3)
            ]
        if kind == "seasonal":
            tries.append(replace(asked, income_months=(7, 11) if asked.income_months != (7, 11) else (9,)))
        tries.append(
            options.default_terms(
                kind,
                calculation.loan_facts(self.session, application.loan, day, exclude=application),
                policies.of(application.policy_pack),
            )
        )
        for terms in tries:
            if terms.months is not None and terms.months < 1:
                continue
            preview = decisions.counter_quote(self.session, application, kind, terms, day, {})
            if preview.available and terms != asked:
                with self.deciding(day):
                    decisions.counter(
                        self.session,
                        application,
                        staff,
                        as_of=day,
                        seen_version=application.row_version,
                        kind=kind,
                        terms=terms,
                        message=COUNTER_MESSAGE,
                        internal_note=self.rng.choice(COUNTER_NOTES),
                    )
                if application.status != "countered":
                    raise Skip()
                return
        raise Skip()

    def reject(self, application: Application, day: date, staff: StaffUser | None = None) -> None:
        staff = staff or self.reviewer()
        self.claim(application, staff, day)
        reason = self.rng.choices(tuple(REJECT_WEIGHTS), weights=tuple(REJECT_WEIGHTS.values()))[0]
        with self.deciding(day):
            decisions.reject(
                self.session,
                application,
                staff,
                as_of=day,
                seen_version=application.row_version,
                reason=reason,
                message=REJECT_MESSAGES[reason],
                internal_note=REJECT_NOTES[reason],
            )

    def accept(self, application: Application, day: date) -> None:
        phone = self.rng.random() < 0.2
        # Shaped as the portal issues them (portal.support.consent), with the draws as before: the story is unchanged.
        extra = {"consent_reference": f"CR-{day:%y%m}{self.rng.randint(1000, 9999)}"} if phone else {}
        confirmation = "phone" if phone else self.rng.choice(("password", "sms_code"))
        with self.moment(day, hours=(8, 21)):
            offers.accept(
                self.session,
                application,
                as_of=day,
                confirmation=confirmation,
                **self.acting(application.loan, phone),
                **extra,
            )

    def pay(self, loan: Loan, states, *, until: date, skip_last: bool = False) -> None:
        """Pay the plan's installments that fell due before `until`, each on time."""
        due = [s for s in states if s.status != "paid" and s.due_date < until]
        if skip_last and due:
            due = due[:-1]
        for state in due:
            amount = state.principal_unpaid + state.interest_unpaid + state.charges_unpaid
            if amount <= 0:
                continue
            self.payment_seq += 1
            paid_on = state.due_date - timedelta(days=self.rng.randint(0, 2))
            with self.moment(paid_on, hours=(8, 20)):
                services.record_payment(
                    self.session,
                    loan,
                    reference=f"DEMO-{loan.number}-{self.payment_seq:05d}",
                    amount=amount,
                    paid_on=paid_on,
                )
