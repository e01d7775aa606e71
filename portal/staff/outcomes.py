"""Outcomes: how the approval queue is doing, for reviewers and administrators (DESIGN.md "Approval queue").

Queue size, decisions a day, median time to decision, SLA breaches, approval rate by variant and by branch (the
fairness view) and plans kept against broken. Six SQL statements whatever the size of the data: every figure is
an aggregate (GROUP BY) worked out in the database, never a query per row.

Each figure is drawn as a bar chart in inline SVG, built here as plain geometry and written out by the template;
the table beside each chart carries the same figures for screen readers, so the SVG itself is hidden from them.

Days are the institution's days: a stored timestamp (naive UTC) is moved by the zone's offset on the business
date before its date is taken. That is exact for zones without daylight saving (Asia/Shanghai) and at most an
hour out around a change of the clocks elsewhere.

Decisions are counted from `Application.decided_at` (the latest decision: an appeal decided later replaces the
rejection it overturned), so the demo's pretended past shows as such; the audit trail's own timestamps are the
real time its rows were written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask import render_template
from sqlalchemy import Date, case, cast, extract, func, select
from sqlalchemy.orm import Session

from portal import db
from portal.applications.decisions import REVIEWERS
from portal.applications.models import Application
from portal.applications.queue import QUEUE_STATUSES
from portal.auth.access import staff_required
from portal.clock import business_date, institution_zone
from portal.domain.hardship import VARIANTS
from portal.i18n import date_short, labels, localized
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.people.models import Branch
from portal.staff import bp

PERIOD_DAYS = 14
# An offer was made: approved as asked or counter-offered, whatever the borrower did with it afterwards.
OFFERED = ("approved", "countered", "accepted", "active", "completed", "broken", "declined", "expired")
# Refused: rejected, or rejected and appealed (it stays a refusal until the appeal is decided).
REFUSED = ("rejected", "appealed")
DECIDED = OFFERED + REFUSED
KEPT = ("active", "completed")
# Time to decision, in days: the lower bound of each band (the last band is open-ended).
BANDS = (0, 1, 3, 7, 10)
BAND_LABELS = (
    _l("Under 1 day"),
    _l("1 to 3 days"),
    _l("3 to 7 days"),
    _l("7 to 10 days"),
    _l("10 days or more"),
)

# Chart geometry (px). The SVG scales down with its box; the text stays legible at 1280 and on a laptop.
CHART_WIDTH = 560
ROW = 30
VALUE_WIDTH = 84
GAP = 8


# --- charts as geometry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: its label (text or a date), its value, and where it goes."""

    key: str
    label: object
    value: int | Decimal | None
    y: int
    length: float
    tone: str = ""  # "bad" marks a figure to worry about; its label always says so in words too


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: label column, bars from `bar_x`, the value written after each bar."""

    bars: list[Bar]
    label_width: int
    bar_x: int
    bar_max: int
    width: int = CHART_WIDTH
    unit: str = "count"  # "count", "percent" or "days": how the template writes the values
    dates: bool = False  # labels are dates (written with date_short)
    track: bool = False  # draw the 100 % track behind each bar (rates)

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * ROW + 4


def _text_width(text: str) -> int:
    """A generous estimate of the rendered width of `text` at the chart's 14 px: wide for CJK, narrow otherwise."""
    return sum(15 if ord(ch) >= 0x2E80 else 8 for ch in text)


def bar_chart(
    rows: list[tuple[str, object, int | Decimal | None, str]],
    *,
    unit: str = "count",
    maximum: int | Decimal | None = None,
    dates: bool = False,
) -> Chart:
    """Lay out (key, label, value, tone) rows as bars scaled to `maximum` (default: the largest value)."""
    shown = [date_short(label) if dates else str(label) for _key, label, _value, _tone in rows]
    label_width = min(260, max([60] + [_text_width(text) + 4 for text in shown]))
    bar_x = label_width + GAP
    bar_max = CHART_WIDTH - bar_x - VALUE_WIDTH
    top = maximum if maximum is not None else max([v or 0 for _key, _label, v, _tone in rows] + [0])
    bars = []
    for index, (key, label, value, tone) in enumerate(rows):
        length = 0.0
        if value and top:
            length = max(2.0, round(float(value) / float(top) * bar_max, 1))
        bars.append(Bar(key=key, label=label, value=value, y=index * ROW + 2, length=length, tone=tone))
    return Chart(
        bars=bars,
        label_width=label_width,
        bar_x=bar_x,
        bar_max=bar_max,
        unit=unit,
        dates=dates,
        track=unit == "percent",
    )


# --- the figures -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """Decided applications of one group and how many got an offer."""

    code: str
    label: object
    decided: int
    offered: int
    variant: str | None = None

    @property
    def percent(self) -> Decimal | None:
        if not self.decided:
            return None
        return (Decimal(self.offered) * 100 / self.decided).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Outcomes:
    """Every figure on the page, and its chart."""

    today: date
    period_start: date
    queue: list[tuple[str, int, int]] = field(default_factory=list)  # status, open, of which past due
    days: list[tuple[date, int, int]] = field(default_factory=list)  # day, offers, refusals
    bands: list[tuple[object, int]] = field(default_factory=list)
    median_days: Decimal | None = None
    decided_in_period: int = 0
    decided_late: int = 0
    variants: list[Rate] = field(default_factory=list)
    branches: list[Rate] = field(default_factory=list)
    overall: Rate | None = None
    plans: dict[str, int] = field(default_factory=dict)
    charts: dict[str, Chart] = field(default_factory=dict)

    @property
    def median_count(self) -> int:
        """The whole number that picks the plural form of the median ("1 day", "2.5 days")."""
        return plural_count(self.median_days) if self.median_days is not None else 0

    @property
    def queue_total(self) -> int:
        return sum(count for _status, count, _late in self.queue)

    @property
    def open_late(self) -> int:
        return sum(late for _status, _count, late in self.queue)

    @property
    def offers_total(self) -> int:
        return sum(offers for _day, offers, _refusals in self.days)

    @property
    def refusals_total(self) -> int:
        return sum(refusals for _day, _offers, refusals in self.days)

    @property
    def decisions_total(self) -> int:
        return self.offers_total + self.refusals_total

    @property
    def kept(self) -> int:
        return sum(self.plans.get(status, 0) for status in KEPT)

    @property
    def kept_percent(self) -> Decimal | None:
        ended_or_running = self.kept + self.plans.get("broken", 0)
        if not ended_or_running:
            return None
        return (Decimal(self.kept) * 100 / ended_or_running).quantize(Decimal("0.1"), ROUND_HALF_UP)


def plural_count(value: Decimal) -> int:
    """The whole number that picks the plural form of `value` as the page writes it: gettext's plural rules take
    whole numbers only, and a number written with a fraction reads as plural ("0.5 days", "1.5 days"; Chinese has
    one form), so a fraction counts as at least 2."""
    whole = int(value)
    return whole if value == whole else max(2, whole)


def _utc(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of `day` in the institution's zone, as naive UTC (how timestamps are stored)."""
    return datetime.combine(day, time(0), zone).astimezone(UTC).replace(tzinfo=None)


def _local_day(column, dialect: str, offset_minutes: int):
    """The institution's date of a naive-UTC timestamp column, in SQL."""
    if dialect == "postgresql":
        return cast(column + func.make_interval(0, 0, 0, 0, 0, offset_minutes), Date)
    return func.date(column, f"{offset_minutes:+d} minutes")


def _days_between(start, end, dialect: str):
    """Days (with fractions) from one timestamp column to another, in SQL."""
    if dialect == "postgresql":
        return extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def collect(session: Session, today: date, zone: ZoneInfo) -> Outcomes:
    """Work out every figure as of `today` in six SQL statements."""
    dialect = session.get_bind().dialect.name
    offset = int(zone.utcoffset(datetime.combine(today, time(12))).total_seconds() // 60)
    start_day = today - timedelta(days=PERIOD_DAYS - 1)
    period = (
        Application.decided_at >= _utc(start_day, zone),
        Application.decided_at < _utc(today + timedelta(days=1), zone),
    )
    result = Outcomes(today=today, period_start=start_day)

    # 1. Every status: the queue, the plans, and the open cases past their decision date.
    by_status = {
        status: (count, late or 0)
        for status, count, late in session.execute(
            select(
                Application.status,
                func.count(Application.id),
                func.sum(case((Application.decision_due < today, 1), else_=0)),
            ).group_by(Application.status)
        )
    }
    result.queue = [(s, by_status.get(s, (0, 0))[0], by_status.get(s, (0, 0))[1]) for s in QUEUE_STATUSES]
    result.plans = {s: by_status.get(s, (0, 0))[0] for s in ("active", "completed", "broken")}

    # 2. Decisions a day over the period, offers and refusals.
    decided = (
        select(
            _local_day(Application.decided_at, dialect, offset).label("day"),
            Application.status.label("status"),
        )
        .where(*period)
        .subquery()
    )
    per_day = {
        _as_date(day): (total - (refused or 0), refused or 0)
        for day, total, refused in session.execute(
            select(
                decided.c.day,
                func.count(),
                func.sum(case((decided.c.status.in_(REFUSED), 1), else_=0)),
            ).group_by(decided.c.day)
        )
    }
    result.days = [
        (day, *per_day.get(day, (0, 0)))
        for day in (start_day + timedelta(days=n) for n in range(PERIOD_DAYS))
    ]

    # 3. Time to decision in bands, and decisions made after the decision date, over the period.
    timed = (
        select(
            _days_between(Application.submitted_at, Application.decided_at, dialect).label("days"),
            case(
                (_local_day(Application.decided_at, dialect, offset) > Application.decision_due, 1), else_=0
            ).label("late"),
        )
        .where(*period, Application.submitted_at.is_not(None))
        .subquery()
    )
    banded = select(
        case(*[(timed.c.days < BANDS[i + 1], i) for i in range(len(BANDS) - 1)], else_=len(BANDS) - 1).label(
            "band"
        ),
        timed.c.late,
    ).subquery()
    per_band = {
        band: (count, late or 0)
        for band, count, late in session.execute(
            select(banded.c.band, func.count(), func.sum(banded.c.late)).group_by(banded.c.band)
        )
    }
    result.bands = [(BAND_LABELS[i], per_band.get(i, (0, 0))[0]) for i in range(len(BANDS))]
    result.decided_in_period = sum(count for count, _late in per_band.values())
    result.decided_late = sum(late for _count, late in per_band.values())

    # 4. The median: the middle one or two of the durations in order (always run: a fixed statement count).
    n = result.decided_in_period
    middle = [
        float(value)
        for value in session.scalars(
            select(timed.c.days).order_by(timed.c.days).limit(2).offset(max(0, (n - 1) // 2))
        )
    ]
    if n and middle:
        value = middle[0] if n % 2 or len(middle) == 1 else (middle[0] + middle[1]) / 2
        result.median_days = Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    # 5. Decided applications and offers by variant and branch, all time.
    groups = session.execute(
        select(
            Application.variant,
            Application.branch_id,
            func.count(Application.id),
            func.sum(case((Application.status.in_(OFFERED), 1), else_=0)),
        )
        .where(Application.status.in_(DECIDED))
        .group_by(Application.variant, Application.branch_id)
    ).all()
    # 6. The branches, for their names.
    branches = session.scalars(select(Branch).order_by(Branch.kind, Branch.code)).all()

    variant_names = {"rural": _("Rural"), "urban": _("Urban")}
    totals: dict[object, list[int]] = {}
    for variant, branch_id, count, offered in groups:
        for key in (("variant", variant), ("branch", branch_id), ("all", None)):
            sums = totals.setdefault(key, [0, 0])
            sums[0] += count
            sums[1] += offered or 0
    result.variants = [
        Rate(v, variant_names[v], *totals.get(("variant", v), (0, 0)), variant=v) for v in VARIANTS
    ]
    result.branches = [
        Rate(b.code, localized(b.name), *totals.get(("branch", b.id), (0, 0)), variant=b.kind)
        for b in branches
    ]
    result.overall = Rate("all", _("All"), *totals.get(("all", None), (0, 0)))
    result.charts = _charts(result)
    return result


def _charts(o: Outcomes) -> dict[str, Chart]:
    plans = [
        (status, labels.STAFF_STATUSES[status], o.plans.get(status, 0), "")
        for status in ("active", "completed")
    ]
    return {
        "queue": bar_chart([(s, labels.STAFF_STATUSES[s], count, "") for s, count, _late in o.queue]),
        "days": bar_chart(
            [(day.isoformat(), day, offers + refused, "") for day, offers, refused in o.days], dates=True
        ),
        "bands": bar_chart([(str(i), label, count, "") for i, (label, count) in enumerate(o.bands)]),
        "sla": bar_chart(
            [
                ("open_late", _("Open, past the decision date"), o.open_late, "bad"),
                ("open_on_time", _("Open, on time"), o.queue_total - o.open_late, ""),
                ("decided_late", _("Decided late"), o.decided_late, "bad"),
                ("decided_on_time", _("Decided on time"), o.decided_in_period - o.decided_late, ""),
            ]
        ),
        "variants": bar_chart(
            [(r.code, r.label, r.percent, "") for r in o.variants], unit="percent", maximum=100
        ),
        "branches": bar_chart(
            [(r.code, r.label, r.percent, "") for r in o.branches], unit="percent", maximum=100
        ),
        "plans": bar_chart(
            plans + [("broken", labels.STAFF_STATUSES["broken"], o.plans.get("broken", 0), "bad")]
        ),
    }


@bp.route("/outcomes")
@staff_required(*REVIEWERS, "admin")
def outcomes():
    """The outcomes of the approval queue, as charts with their tables."""
    today = business_date()
    return render_template(
        "staff/outcomes.html",
        o=collect(db.session, today, institution_zone()),
        today=today,
        period_days=PERIOD_DAYS,
    )
