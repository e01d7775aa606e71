"""How the outcomes page writes its figures in each language: counts of days in the catalog's plural forms
("1 day", "2.5 days"; Chinese has one form) and rates as Babel's percentages for the reader's locale.

The figures are set by hand (the page's `collect` is replaced) so every case is exact; the page itself is the
real template, served to a signed-in reviewer whose language is chosen in their profile.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal import db
from portal.applications.outcomes import Outcomes, Rate
from portal.applications.queue import QUEUE_STATUSES
from portal.people.models import StaffUser
from portal.staff import outcomes
from tests.helpers.common import BUSINESS_DATE, staff_sign_in


def _figures(median: Decimal | None, offered: int = 2, decided: int = 3, kept: int = 3, broken: int = 1):
    """Outcomes with the given median, approval (offered of decided) and plans kept against broken."""
    o = Outcomes(today=BUSINESS_DATE, period_start=BUSINESS_DATE - timedelta(days=13))
    o.queue = [(status, 0, 0) for status in QUEUE_STATUSES]
    o.days = [(o.period_start + timedelta(days=n), 0, 0) for n in range(14)]
    o.bands = [(band, 0) for band in range(len(outcomes.BAND_LABELS))]
    o.median_days = median
    o.variants = [
        Rate("rural", "rural", decided, offered, variant="rural"),
        Rate("urban", "urban", 0, 0, variant="urban"),
    ]
    o.overall = Rate("all", "all", decided, offered)
    o.plans = {"active": kept, "completed": 0, "broken": broken}
    return o


def _page(app, monkeypatch, language: str, figures, period_days: int = 14) -> str:
    with app.app_context():
        reviewer = db.session.scalar(select(StaffUser).where(StaffUser.username == "reviewer1"))
        reviewer.locale = language
        db.session.commit()
    monkeypatch.setattr(outcomes, "collect", lambda *_args: figures)
    monkeypatch.setattr(outcomes, "PERIOD_DAYS", period_days)
    client = app.test_client()
    assert staff_sign_in(client, "reviewer1").status_code == 302
    response = client.get("/staff/outcomes")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _key(html: str, name: str) -> str:
    match = re.search(rf'<dd id="key-{name}">(.*?)</dd>', html, re.S)
    assert match, name
    return match.group(1).strip()


def _cells(html: str, variant: str) -> list[str]:
    row = re.search(rf'<tr data-variant="{variant}">(.*?)</tr>', html, re.S)
    assert row, variant
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


@pytest.mark.parametrize(
    ("language", "median", "shown", "sentence"),
    [
        ("en", Decimal("1.0"), "1 day", "Median: 1 day."),
        ("en", Decimal("0.5"), "0.5 days", "Median: 0.5 days."),
        ("en", Decimal("1.5"), "1.5 days", "Median: 1.5 days."),
        ("en", Decimal("2.0"), "2 days", "Median: 2 days."),
        ("en", Decimal("21.5"), "21.5 days", "Median: 21.5 days."),
        ("zh_Hans", Decimal("1.0"), "1天", "中位数：1天。"),
        ("zh_Hans", Decimal("2.5"), "2.5天", "中位数：2.5天。"),
        ("zh_Hant", Decimal("1.5"), "1.5天", "中位數：1.5天。"),
    ],
)
def test_the_median_is_written_in_the_plural_form_its_number_takes(
    demo, monkeypatch, language, median, shown, sentence
):
    html = _page(demo, monkeypatch, language, _figures(median))

    assert _key(html, "median") == shown
    assert sentence in html


@pytest.mark.parametrize(
    ("language", "days", "shown"),
    [
        ("en", 1, "Decisions are counted over the last 1 day."),
        ("en", 14, "Decisions are counted over the last 14 days."),
        ("zh_Hans", 14, "审批数按最近14天统计。"),
        ("zh_Hant", 14, "審批數按最近14天統計。"),
    ],
)
def test_the_period_is_written_in_the_plural_form_its_length_takes(demo, monkeypatch, language, days, shown):
    html = _page(demo, monkeypatch, language, _figures(Decimal("3.0")), period_days=days)

    assert shown in html


@pytest.mark.parametrize("language", ["en", "zh_Hans", "zh_Hant"])
def test_rates_are_babels_percentages_with_their_one_decimal_place(demo, monkeypatch, language):
    html = _page(
        demo, monkeypatch, language, _figures(Decimal("3.0"), offered=2, decided=3, kept=1, broken=1)
    )

    assert _key(html, "approval") == "66.7%"
    assert _cells(html, "rural") == ["3", "2", "66.7%"]
    assert _key(html, "kept") == "50%"  # 50.0: a whole percentage is written without ".0"
    assert "%%" not in html


def test_no_rate_is_a_dash_not_a_percentage(demo, monkeypatch):
    html = _page(demo, monkeypatch, "en", _figures(None, offered=0, decided=0, kept=0, broken=0))

    assert _key(html, "approval") == "—"
    assert _key(html, "kept") == "—"
    assert _key(html, "median") == "—"
