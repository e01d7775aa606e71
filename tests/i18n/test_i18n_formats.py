"""The portal's own money and date formatting writes exactly what Babel writes, in every language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_percent
from flask_babel import force_locale
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import create_app, i18n
from portal.domain.money import round_money

APP = create_app({"PORTAL_ENV": "testing", "SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://"})
LOCALES = {"zh_Hans": "zh_Hans_CN", "zh_Hant": "zh_Hant_HK", "en": "en_GB"}

amounts = st.decimals(min_value=Decimal("-99999999.999"), max_value=Decimal("99999999.999"), places=3)


@pytest.mark.parametrize("language", sorted(LOCALES))
@settings(max_examples=300, deadline=None)
@given(amount=amounts)
def test_money_reads_as_babels_currency_format(language, amount):
    with APP.test_request_context(), force_locale(language):
        assert i18n.money(amount) == i18n.babel_money(round_money(amount), LOCALES[language])


@pytest.mark.parametrize(
    ("language", "amount", "shown"),
    [
        ("zh_Hans", Decimal("1234567.5"), "¥1,234,567.50"),
        ("zh_Hans", Decimal("-0.004"), "¥0.00"),
        ("zh_Hans", Decimal("2.675"), "¥2.68"),
        ("zh_Hant", Decimal("-1234.565"), "-CN¥1,234.57"),
        ("en", Decimal("0.01"), "CN¥0.01"),
        ("en", 12, "CN¥12.00"),
    ],
)
def test_money_rounds_half_up_before_it_is_written(language, amount, shown):
    with APP.test_request_context(), force_locale(language):
        assert i18n.money(amount) == shown


@pytest.mark.parametrize("language", sorted(LOCALES))
@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)))
def test_dates_read_as_babels_long_and_medium_formats(language, day):
    with APP.test_request_context(), force_locale(language):
        assert i18n.date_long(day) == format_date(day, "long", locale=LOCALES[language])
        assert i18n.date_short(day) == format_date(day, "medium", locale=LOCALES[language])


def test_money_follows_a_language_change_within_one_request():
    with APP.test_request_context():
        with force_locale("en"):
            assert i18n.money(Decimal("5")) == "CN¥5.00"
        with force_locale("zh_Hans"):
            assert i18n.money(Decimal("5")) == "¥5.00"


@pytest.mark.parametrize("language", sorted(LOCALES))
@pytest.mark.parametrize(
    ("share", "shown"),
    [
        (Decimal("0.667"), "66.7%"),
        (Decimal("0.500"), "50%"),
        (Decimal("0"), "0%"),
        (Decimal("1"), "100%"),
        (Decimal("12.3456"), "1,234.56%"),
    ],
)
def test_percentages_read_as_babels_percent_format_keeping_their_decimals(language, share, shown):
    with APP.test_request_context(), force_locale(language):
        assert i18n.percent(share) == shown
        assert i18n.percent(share) == format_percent(
            share, locale=LOCALES[language], decimal_quantization=False
        )
        assert APP.jinja_env.from_string("{{ share | percent }}").render(share=share) == shown
