"""Locale and variant selection, and the only helpers that format money, numbers and dates for people.

Locale order: the signed-in user's preference, then the language switcher (kept in the session), then the
browser's Accept-Language, then Simplified Chinese.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.lists import format_list
from babel.numbers import format_decimal
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape

from portal.clock import local_time
from portal.domain.hardship import VARIANTS
from portal.domain.money import round_money

LANGUAGES = ("zh_Hans", "zh_Hant", "en")
LANGUAGE_NAMES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}
# Babel formats with a regional locale: English pages write "29 November 2026", not "November 29, 2026".
FORMAT_LOCALES = {"zh_Hans": "zh_Hans_CN", "zh_Hant": "zh_Hant_HK", "en": "en_GB"}
TRADITIONAL_REGIONS = ("tw", "hk", "mo", "hant")

babel = Babel()


def from_accept_language(header_values: list[tuple[str, float]]) -> str | None:
    """Map Accept-Language entries (zh-CN, zh-TW, zh-Hant-HK, en-US...) to one of our languages."""
    for value, _quality in header_values:
        parts = value.lower().replace("_", "-").split("-")
        if parts[0] == "zh":
            return "zh_Hant" if any(p in TRADITIONAL_REGIONS for p in parts[1:]) else "zh_Hans"
        if parts[0] == "en":
            return "en"
    return None


def select_locale() -> str:
    """The locale for this request (see the module docstring for the order)."""
    if current_user and current_user.is_authenticated and getattr(current_user, "locale", None) in LANGUAGES:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return from_accept_language(list(request.accept_languages)) or "zh_Hans"


def _language_of(locale: Locale | None) -> str:
    if locale is None:
        return "zh_Hans"
    if locale.language == "zh":
        return "zh_Hant" if locale.script == "Hant" else "zh_Hans"
    return "en"


def _locale() -> Locale | None:
    """Flask-Babel's locale for this request (or the one `force_locale` put in place), read straight from the
    context Flask-Babel keeps it in: a page asks hundreds of times, and `get_locale` walks the context each time."""
    if not has_app_context():
        return None
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    return locale if locale is not None else get_locale()


def current_language() -> str:
    """The language code of this request (one of LANGUAGES)."""
    return _language_of(_locale())


def translations():
    """This request's catalog (Flask-Babel's), looked up once per request and locale."""
    if not has_app_context():
        return get_translations()
    locale = _locale()
    cached = g.get("_portal_catalog")
    if cached is None or cached[0] is not locale:  # force_locale (notices) swaps the locale mid-request
        cached = (locale, get_translations())
        g._portal_catalog = cached
    return cached[1]


def _format_locale() -> str:
    return FORMAT_LOCALES[current_language()]


@lru_cache(maxsize=4096)
def _date_text(value: date, width: str, locale_id: str) -> str:
    return _format_date(value, width, locale=locale_id)


@lru_cache(maxsize=8)
def _currency_format(locale_id: str):
    locale = Locale.parse(locale_id)
    return locale, locale.currency_formats["standard"]


def babel_money(amount: Decimal, locale_id: str) -> str:
    """Babel's own rendering of a rounded amount: the reference `money` is tested against."""
    locale, pattern = _currency_format(locale_id)
    return pattern.apply(amount, locale, currency="CNY", currency_digits=True)


_PROBE = Decimal("1234567.89")


@lru_cache(maxsize=8)
def _money_shape(locale_id: str) -> tuple[str, str, str, str, dict]:
    """How the locale writes yuan, read once from Babel's rendering of a probe amount: the text before and
    after the digits (positive and negative) and the group and decimal separators. A schedule page formats
    over a thousand amounts; Babel's pattern engine costs 20 microseconds each, this costs 2."""
    positive, negative = babel_money(_PROBE, locale_id), babel_money(-_PROBE, locale_id)
    start, end = positive.index("1"), positive.rindex("9") + 1
    digits = positive[start:end]  # "1,234,567.89" in the locale's separators
    group, decimal = digits[1], digits[-3]
    n_start, n_end = negative.index("1"), negative.rindex("9") + 1
    table = str.maketrans({",": group, ".": decimal})
    return positive[:start], positive[end:], negative[:n_start], negative[n_end:], table


def money(amount: Decimal | int | None) -> str:
    """An amount with its currency, rounded half-up first so the screen shows the ledger's figure (the same
    text as Babel's currency format: tests/i18n compare the two over many amounts)."""
    if amount is None:
        return ""
    rounded = round_money(Decimal(amount))
    before, after, neg_before, neg_after, table = _money_shape(_format_locale())
    digits = f"{abs(rounded):,.2f}".translate(table)
    if rounded < 0:
        return f"{neg_before}{digits}{neg_after}"
    return f"{before}{digits}{after}"


def number(value) -> str:
    """A number for the locale."""
    return format_decimal(value, locale=_format_locale())


def listing(items) -> str:
    """Several things in a row, the locale's way: "July and October" / "7月和10月"."""
    return format_list([str(item) for item in items], style="standard", locale=_format_locale())


def date_long(value: date | None) -> str:
    """A date written out: 2026年11月29日 / 29 November 2026."""
    if value is None:
        return ""
    return _date_text(value, "long", _format_locale())


def date_short(value: date | None) -> str:
    """A compact date for dense staff tables."""
    if value is None:
        return ""
    return _date_text(value, "medium", _format_locale())


def datetime_local(value: datetime | None) -> str:
    """A stored UTC timestamp in the institution's zone, for the locale."""
    if value is None:
        return ""
    return _format_datetime(local_time(value), "medium", locale=_format_locale())


def localized(names: dict | None) -> str:
    """Pick a stored {language: text} value for this request, falling back to Simplified Chinese."""
    if not names:
        return ""
    return names.get(current_language()) or names.get("zh_Hans") or next(iter(names.values()))


def html_lang() -> str:
    """The `lang` attribute for the page."""
    return {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}[current_language()]


# app.extensions key: a function giving the variant of the borrower a phone agent acts for (None otherwise).
ACTING_VARIANT = "portal_acting_variant"


def page_variant() -> str:
    """The variant this page is worded in: the one a view set (an application keeps the variant it was started
    under), else the borrower's (signed in, or helped by a phone agent), else urban (staff and visitors)."""
    if has_request_context():
        chosen = g.get("page_variant")
        if chosen in VARIANTS:
            return chosen
        if (
            current_user
            and current_user.is_authenticated
            and getattr(current_user, "kind", None) == "borrower"
        ):
            return current_user.row.variant
        if current_user and current_user.is_authenticated and request.blueprint == "borrower":
            # A phone agent on the borrower's pages: the borrower's variant. Who is acting is the access
            # layer's to say (portal.auth.access), which the app factory hands in: i18n imports no blueprint.
            acting_variant = current_app.extensions.get(ACTING_VARIANT)
            chosen = acting_variant() if acting_variant is not None else None
            if chosen is not None:
                return chosen
    return "urban"


def gettext(message: str, **variables) -> str:
    """Flask-Babel's `gettext` (same catalog, same `%` formatting) through the per-request catalog."""
    text = translations().ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's `ngettext` (`num` is among the variables) through the per-request catalog."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(message: str, **variables) -> LazyString:
    """`gettext` evaluated when the string is shown (form labels and messages built at import time)."""
    return LazyString(gettext, message, **variables)


def vgettext(message: str, variant: str | None = None, **variables) -> str:
    """The variant's wording of `message`, else its base translation: never empty, never the bare msgid when
    the base string is translated.

    Looks up the message with the variant as its context (msgctxt "rural"); a missing or empty entry falls back
    to the message without context. `flask i18n extract` puts a "rural" context entry beside the base entry of
    every `vgettext`/`_v` message, so translators write both in one catalog.
    """
    catalog = translations()
    text = catalog.upgettext(variant or page_variant(), message)
    if not text or text == message:
        text = catalog.ugettext(message) or message
    return text % variables if variables else text


def lazy_vgettext(message: str, **variables):
    """`vgettext` evaluated when the string is shown (form labels built at import time)."""
    return LazyString(vgettext, message, **variables)


def template_vgettext(message: str, **variables) -> Markup:
    """`_v` in templates: the translation is text (escaped), the variables are escaped by Markup's %."""
    variant = variables.pop("variant", None)
    return escape(vgettext(message, variant)) % variables


def init_app(app: Flask, acting_variant: Callable[[], str | None] | None = None) -> None:
    """Attach Flask-Babel and the template helpers. `acting_variant` gives the variant of the borrower a phone
    agent acts for on the borrower's pages (None when nobody is), for `page_variant`."""
    if acting_variant is not None:
        app.extensions[ACTING_VARIANT] = acting_variant
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=app.config["BABEL_TRANSLATION_DIRECTORIES"],
    )
    app.jinja_env.filters.update(
        money=money,
        number=number,
        listing=listing,
        date_long=date_long,
        date_short=date_short,
        datetime_local=datetime_local,
        localized=localized,
    )
    app.jinja_env.globals.update(
        current_language=current_language,
        html_lang=html_lang,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        LANGUAGES=LANGUAGES,
        _v=template_vgettext,
        vgettext=template_vgettext,
    )
    # Parse once so a typo in the table fails at start-up, not on a page.
    for name in FORMAT_LOCALES.values():
        Locale.parse(name)


def percent(share) -> str:
    """A share (0.667) as a percentage for the locale ("66.7%"), keeping the decimal places the share has."""
    from babel.numbers import format_percent

    return format_percent(share, locale=_format_locale(), decimal_quantization=False)
