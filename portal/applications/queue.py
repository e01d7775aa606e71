"""The approval queue query: filters, sorting and keyset pagination in a fixed number of SQL statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, bindparam, case, func, not_, select, tuple_
from sqlalchemy.orm import Session, aliased

from portal.applications import claims
from portal.applications.models import Application
from portal.domain.hardship import VARIANTS
from portal.domain.options import OPTION_KINDS
from portal.domain.proposal import PROPOSAL
from portal.people import branches
from portal.people.models import Borrower, Branch, StaffUser

QUEUE_STATUSES = ("submitted", "in_review", "awaiting_second_approval", "appealed", "info_requested")
BUCKETS = ("M0", "M1", "M2", "M3", "M4+")
AMOUNT_BANDS = {  # fen
    "under_10k": (0, 1_000_000),
    "10k_50k": (1_000_000, 5_000_000),
    "50k_200k": (5_000_000, 20_000_000),
    "over_200k": (20_000_000, None),
}
SORTS = {
    # name: (column, ascending)
    "sla": (Application.decision_due, True),
    "risk": (Application.risk_score, False),
    "amount": (Application.amount_fen, False),
    "age": (Application.submitted_at, True),
}
PAGE_SIZE = 25
QUEUE_COLUMNS = (
    Application.reference,
    Application.status,
    Application.row_version,
    Application.channel,
    Application.option,
    Application.variant,
    Application.bucket,
    Application.amount_fen,
    Application.risk_score,
    Application.decision_due,
    Application.submitted_at,
    Application.borrower_id,
    Application.branch_id,
    Application.claimed_by_id,
)
TOTAL_CAP = 1_000
HOLDER = aliased(StaffUser, name="holder")  # the member of staff holding a case (made once, not per page)


@dataclass(frozen=True)
class Filters:
    """The queue's filters, each already checked against its allowed values."""

    status: str = ""
    kind: str = ""
    variant: str = ""
    branch: str = ""
    bucket: str = ""
    amount: str = ""
    holder: str = ""
    late: bool = False
    sort: str = "sla"
    after: str = ""

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read filters from a query string; anything unknown is ignored, never trusted."""

        def text(name, size):  # control characters never belong here (PostgreSQL refuses a NUL)
            return "".join(ch for ch in (args.get(name) or "")[:size] if ch >= " " and ch != "\x7f")

        def pick(name, allowed):
            value = (args.get(name) or "")[:32]
            return value if value in allowed else ""

        return cls(
            status=pick("status", QUEUE_STATUSES),
            kind=pick("kind", (*OPTION_KINDS, PROPOSAL)),
            variant=pick("variant", VARIANTS),
            branch=text("branch", 16),
            bucket=pick("bucket", BUCKETS),
            amount=pick("amount", AMOUNT_BANDS),
            holder=pick("holder", ("mine", "unassigned")),
            late=args.get("late") == "1",
            sort=pick("sort", SORTS) or "sla",
            after=text("after", 80),
        )

    def query_args(self, **changes) -> dict:
        """The filters as query-string arguments (for links), with changes applied."""
        values = {
            "status": self.status,
            "kind": self.kind,
            "variant": self.variant,
            "branch": self.branch,
            "bucket": self.bucket,
            "amount": self.amount,
            "holder": self.holder,
            "late": "1" if self.late else "",
            "sort": self.sort if self.sort != "sla" else "",
            "after": self.after,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue."""

    rows: list  # rows of QUEUE_COLUMNS with id, borrower_name, branch_name and holder_name
    total: int  # at most TOTAL_CAP
    next_cursor: str | None
    more: bool = False  # more than TOTAL_CAP applications match


def _where(filters: Filters, staff_id: int, today: date, live) -> list:
    if filters.status:
        conditions = [Application.status == filters.status]
    else:
        # Written out as constants, not bound parameters, so that SQLite (like PostgreSQL) sees the statement
        # match the partial indexes over open applications and reads each page in order.
        conditions = [
            Application.status.in_(bindparam("queue_statuses", list(QUEUE_STATUSES), literal_execute=True))
        ]
    if filters.kind:
        conditions.append(Application.option == filters.kind)
    if filters.variant:
        conditions.append(Application.variant == filters.variant)
    if filters.branch:
        conditions.append(
            Application.branch_id == select(Branch.id).where(Branch.code == filters.branch).scalar_subquery()
        )
    if filters.bucket:
        conditions.append(Application.bucket == filters.bucket)
    if filters.amount:
        low, high = AMOUNT_BANDS[filters.amount]
        conditions.append(Application.amount_fen >= low)
        if high is not None:
            conditions.append(Application.amount_fen < high)
    if filters.holder == "mine":  # a lapsed claim holds nothing (claims.py)
        conditions.append(and_(Application.claimed_by_id == staff_id, live))
    elif filters.holder == "unassigned":
        conditions.append(not_(live))
    if filters.late:
        conditions.append(Application.decision_due < today)
    return conditions


def _cursor_value(sort: str, raw: str):
    if sort == "sla":
        return date.fromisoformat(raw)
    if sort == "age":
        return datetime.fromisoformat(raw)
    return int(raw)


def encode_cursor(sort: str, application) -> str:
    """The position after `application` (an Application, or a queue row) in this sort order."""
    column, _ascending = SORTS[sort]
    value = getattr(application, column.key)
    return f"{value.isoformat() if hasattr(value, 'isoformat') else value}|{application.id}"


def branch_choices(session: Session) -> list[tuple[str, dict]]:
    """(code, name) of every branch, for the filter, in code order (each worker reads branches once a minute)."""
    cards = sorted(branches.all_branches(session).values(), key=lambda card: card.code)
    return [(card.code, card.name) for card in cards]


def page(session: Session, filters: Filters, *, staff_id: int, today: date) -> QueuePage:
    """Rows of one page (borrower, branch and holder joined in), the total, and the next page's cursor."""
    column, ascending = SORTS[filters.sort]
    live = claims.live_claim_condition()
    conditions = _where(filters, staff_id, today, live)
    # Counted up to TOTAL_CAP: beyond that "more than 1,000" is all a reviewer needs (a day's work is a few
    # dozen cases), and counting 100,000 rows, or even 10,000, on every page view would cost more than the page.
    # The count rides along on every row of the page's own statement (both databases work out an uncorrelated
    # subquery once), so the page is one round trip.
    counted = (
        select(func.count())
        .select_from(select(Application.id).where(*conditions).limit(TOTAL_CAP + 1).subquery())
        .scalar_subquery()
    )
    query = (
        # Plain rows of only the columns a queue row shows (and the cursor needs): not the quote, budget and other
        # JSON that would be read and decoded 25 times a page for nothing, and no objects to track.
        select(
            Application.id,
            *QUEUE_COLUMNS,
            Borrower.name.label("borrower_name"),
            Branch.name.label("branch_name"),
            case((live, HOLDER.name), else_=None).label("holder_name"),
            case((live, None), else_=HOLDER.name).label("lapsed_holder_name"),
            counted.label("total"),
        )
        .join(Borrower, Borrower.id == Application.borrower_id)
        .outerjoin(Branch, Branch.id == Application.branch_id)
        .outerjoin(HOLDER, HOLDER.id == Application.claimed_by_id)
        .where(*conditions)
    )
    if filters.after and "|" in filters.after:
        raw_value, _, raw_id = filters.after.rpartition("|")
        try:
            value, last_id = _cursor_value(filters.sort, raw_value), int(raw_id)
        except ValueError:
            value = last_id = None
        if last_id is not None:
            # A row comparison, which both databases answer from the (column, id) index.
            position, cursor = tuple_(column, Application.id), tuple_(value, last_id)
            query = query.where(position > cursor if ascending else position < cursor)
    order = (column.asc(), Application.id.asc()) if ascending else (column.desc(), Application.id.desc())
    rows = session.execute(query.order_by(*order).limit(PAGE_SIZE + 1)).all()
    if rows:
        total = rows[0].total
    else:  # past the last row (an old cursor): count on its own
        total = session.scalar(select(counted))
    next_cursor = encode_cursor(filters.sort, rows[PAGE_SIZE - 1]) if len(rows) > PAGE_SIZE else None
    return QueuePage(
        rows=rows[:PAGE_SIZE],
        total=min(total or 0, TOTAL_CAP),
        next_cursor=next_cursor,
        more=(total or 0) > TOTAL_CAP,
    )
