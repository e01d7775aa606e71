"""The outcomes page: the approval queue's figures, worded, as bar charts with their tables (DESIGN.md
"Approval queue").

The figures come from portal.applications.outcomes. Each is drawn as a bar chart in inline SVG, built here as
plain geometry and written out by the template; the table beside each chart carries the same figures for screen
readers, so the SVG itself is hidden from them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from flask import render_template

from portal import db
from portal.applications.decisions import REVIEWERS
from portal.applications.outcomes import PERIOD_DAYS, Outcomes, collect
from portal.auth.access import staff_required
from portal.clock import business_date, institution_zone
from portal.i18n import date_short, labels, localized
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.staff import bp

# Time to decision: the name of each band of portal.applications.outcomes.BANDS.
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


def _worded(o: Outcomes) -> Outcomes:
    """The figures with their groups named in the reader's language: bands, variants, branches and the total."""
    variant_names = {"rural": _("Rural"), "urban": _("Urban")}
    return replace(
        o,
        bands=[(BAND_LABELS[band], count) for band, count in o.bands],
        variants=[replace(r, label=variant_names[r.code]) for r in o.variants],
        branches=[replace(r, label=localized(r.label)) for r in o.branches],
        overall=replace(o.overall, label=_("All")),
    )


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
    figures = _worded(collect(db.session, today, institution_zone()))
    return render_template(
        "staff/outcomes.html",
        o=figures,
        charts=_charts(figures),
        today=today,
        period_days=PERIOD_DAYS,
    )
