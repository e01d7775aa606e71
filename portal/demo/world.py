"""The demo data set, built through the same services users go through, relative to the business date: the
demo borrowers and their loans on top of the institution (portal.demo.institution), and the phone agent's day.

Six named borrowers show the cases the product is for; a few hundred more across six branches make the lists
look like a real branch's. A fixed random seed makes the set the same on every machine for the same date.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.auth.passwords import hash_password
from portal.clock import business_date, stored_moment
from portal.demo.institution import DEMO_PASSWORD, STAFF, add_reference_data
from portal.domain.schedule import add_months
from portal.loans import services
from portal.loans.models import Loan, LoanProduct
from portal.people.models import Borrower, Branch, StaffUser

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "建国",
    "玉兰",
    "志强",
    "海燕",
    "春梅",
    "德福",
    "金凤",
    "长青",
]


def has_data(session: Session) -> bool:
    """Whether the database already holds borrowers."""
    return bool(session.scalar(select(func.count(Borrower.id))))


def last_due_before(today: date, day: int) -> date:
    """The latest date before `today` that falls on `day` of a month."""
    candidate = date(today.year, today.month, day)
    return candidate if candidate < today else add_months(candidate, -1)


def _id_number(rng: random.Random, birth: date) -> str:
    body = f"43{rng.randint(1000, 9999)}{birth:%Y%m%d}{rng.randint(100, 999)}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return body + check


class _Builder:
    def __init__(self, session: Session, today: date):
        self.session = session
        self.today = today
        self.rng = random.Random(20261129)  # demo data, not security  # noqa: S311  # nosec B311
        self.branches: dict[str, Branch] = {}
        self.products: dict[str, LoanProduct] = {}
        self.loan_seq = 0
        self.shared_hash = hash_password(DEMO_PASSWORD)

    def reference_data(self) -> None:
        self.branches, self.products = add_reference_data(self.session, self.today, self.shared_hash)

    def borrower(self, phone: str, name: str, branch: str, birth: date, occupation: str, locale="zh_Hans"):
        return services.register_borrower(
            self.session,
            phone=phone,
            name=name,
            id_number=_id_number(self.rng, birth),
            birth_date=birth,
            branch=self.branches[branch],
            locale=locale,
            occupation=occupation,
            password_hash=self.shared_hash,
        )

    def loan(
        self,
        borrower,
        branch: str,
        product: str,
        principal: str,
        rate: str,
        months: int,
        *,
        due_so_far: int,
        paid: int,
        due_day: int = 15,
        purpose: str = "consumption",
        partial: Decimal | None = None,
        last_due: date | None = None,
    ) -> Loan:
        """A loan with `due_so_far` installments already due, the first `paid` of them paid on time."""
        self.loan_seq += 1
        last_due = last_due or last_due_before(self.today, due_day)
        prod = self.products[product]
        if prod.method == "bullet":
            first_due = add_months(last_due, -(months - 1))
        else:
            first_due = add_months(last_due, -(due_so_far - 1))
        start = add_months(first_due, -1)
        loan = services.open_loan(
            self.session,
            number=f"DK{self.branches[branch].code}{self.loan_seq:06d}",
            borrower=borrower,
            branch=self.branches[branch],
            product=prod,
            principal=Decimal(principal),
            annual_rate=Decimal(rate),
            months=months,
            start_date=start,
            first_due=first_due,
            purpose=purpose,
        )
        _version, installments = services.current_schedule(self.session, loan)
        for item in installments[:paid]:
            services.record_payment(
                self.session,
                loan,
                reference=f"BANK-{loan.number}-{item.number:03d}",
                amount=item.total,
                paid_on=item.due_date - timedelta(days=self.rng.randint(0, 3)),
            )
        if partial is not None and paid < len(installments):
            item = installments[paid]
            services.record_payment(
                self.session,
                loan,
                reference=f"BANK-{loan.number}-{item.number:03d}P",
                amount=partial,
                paid_on=item.due_date + timedelta(days=10),
            )
        return loan

    def named(self) -> None:
        b1 = self.borrower("13800000001", "张伟", "CC11", date(1988, 4, 12), "salaried")
        self.loan(b1, "CC11", "CONSUMER", "60000", "0.0860", 24, due_so_far=9, paid=7, due_day=10)
        b2 = self.borrower("13800000002", "王大山", "QS01", date(1972, 9, 3), "farmer")
        self.loan(
            b2, "QS01", "AGRI", "50000", "0.0550", 36, due_so_far=10, paid=5, due_day=20, purpose="farming"
        )
        b3 = self.borrower("13800000003", "陈静", "KF12", date(1991, 1, 30), "salaried")
        self.loan(b3, "KF12", "CONSUMER", "100000", "0.0720", 36, due_so_far=11, paid=11, due_day=5)
        b4 = self.borrower("13800000004", "李秀兰", "HX02", date(1980, 6, 18), "farmer")
        self.loan(
            b4, "HX02", "AGRI", "30000", "0.0520", 24, due_so_far=6, paid=6, due_day=25, purpose="farming"
        )
        self.loan(
            b4,
            "HX02",
            "AGRI",
            "20000",
            "0.0580",
            12,
            due_so_far=5,
            paid=3,
            due_day=8,
            purpose="livestock",
            partial=Decimal("800.00"),
        )
        b5 = self.borrower("13800000005", "刘洋", "DZ13", date(1983, 11, 2), "shop_owner")
        self.loan(
            b5,
            "DZ13",
            "BUSINESS",
            "200000",
            "0.0600",
            12,
            due_so_far=7,
            paid=5,
            due_day=1,
            purpose="business",
        )
        b6 = self.borrower("13800000006", "赵桂英", "LT03", date(1965, 3, 21), "farmer")
        # A bullet loan whose single payment fell due about six weeks ago and was not paid.
        six_weeks_ago = self.today - timedelta(days=45)
        six_weeks_ago = six_weeks_ago.replace(day=min(six_weeks_ago.day, 28))
        self.loan(
            b6,
            "LT03",
            "SEASONAL",
            "30000",
            "0.0500",
            12,
            due_so_far=1,
            paid=0,
            due_day=six_weeks_ago.day,
            purpose="farming",
            last_due=six_weeks_ago,
        )

    def extras(self, count: int) -> None:
        codes = list(self.branches)
        for n in range(count):
            branch = self.rng.choice(codes)
            rural = self.branches[branch].kind == "rural"
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            birth = date(self.rng.randint(1960, 2000), self.rng.randint(1, 12), self.rng.randint(1, 28))
            locale = self.rng.choices(("zh_Hans", "zh_Hant", "en"), weights=(90, 6, 4))[0]
            borrower = self.borrower(
                f"139{n:08d}", name, branch, birth, "farmer" if rural else "salaried", locale
            )
            product = self.rng.choice(("AGRI", "SEASONAL") if rural else ("CONSUMER", "BUSINESS"))
            months = self.rng.choice((12, 24, 36)) if product != "SEASONAL" else 12
            due_so_far = self.rng.randint(1, months - 1) if product != "SEASONAL" else 1
            behind = self.rng.choices((0, 1, 2, 3, 5), weights=(60, 15, 10, 8, 7))[0]
            if product == "SEASONAL":
                behind = self.rng.choice((0, 0, 1))
                due_so_far = 1
            principal = str(self.rng.randrange(10_000, 300_000 if not rural else 80_000, 1_000))
            rate = self.rng.choice(("0.0435", "0.0520", "0.0600", "0.0750", "0.0860"))
            self.loan(
                borrower,
                branch,
                product,
                principal,
                rate,
                months,
                due_so_far=due_so_far,
                paid=max(0, due_so_far - behind),
                due_day=self.rng.randint(1, 28),
                purpose="farming" if rural else "consumption",
            )


def agent_calls(session: Session) -> None:
    """agent1's day so far, through the phone-support services: one call (verified by the questions) with a note,
    and two callbacks due today (10:30 and 16:00, late ones stay on the list), so the agent's page is not empty."""
    from portal.support import notes as support_notes
    from portal.support import sessions as support_sessions

    agent = session.scalar(select(StaffUser).where(StaffUser.username == "agent1"))
    caller = session.scalar(select(Borrower).where(Borrower.phone == "13800000006"))
    other = session.scalar(select(Borrower).where(Borrower.phone == "13800000004"))
    assisted = support_sessions.start_session(session, agent, caller, verified_by="questions")
    support_notes.add_note(
        session,
        agent,
        assisted,
        "借款人说玉米十月才卖得出去，想按收成月份还款。已说明季节性还款计划，她想和儿子商量后再申请。",
    )
    today = business_date()
    for borrower, at, note in (
        (caller, time(10, 30), "商量好后回电，帮她申请季节性还款"),
        (other, time(16, 0), "询问两笔贷款的逾期金额"),
    ):
        if borrower is not caller:
            assisted = support_sessions.start_session(session, agent, borrower, verified_by="questions")
        support_notes.add_callback(session, agent, assisted, due_at=stored_moment(today, at), note=note)
    support_sessions.end_session(session, agent, assisted)


def build_demo(session: Session, extra_borrowers: int = 300) -> str:
    """Create the demo data set; returns a summary with the sign-ins to print."""
    builder = _Builder(session, business_date())
    builder.reference_data()
    builder.named()
    builder.extras(extra_borrowers)
    session.flush()
    return f"Demo data as of {builder.today.isoformat()}: {6 + extra_borrowers} borrowers, {builder.loan_seq} loans."


def sign_ins() -> str:
    """The demo sign-ins, printed by `make run`."""
    return "\n".join(
        [
            "Demo sign-ins at http://127.0.0.1:5000",
            f"  Borrowers: 13800000001 to 13800000006, password {DEMO_PASSWORD} (or a text-message code: see the log)",
            f"  Staff at /staff/sign-in: {', '.join(s[0] for s in STAFF)}, password {DEMO_PASSWORD}",
        ]
    )
