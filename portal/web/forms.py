"""Field types shared by every blueprint's forms: bounded money and phone numbers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import HiddenField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import core as _widget_core

from portal.i18n import lazy_gettext as _l

MONEY_MAX = Decimal("10000000.00")
# Control characters people never type: NUL breaks PostgreSQL text, the others only hide things.
_CONTROLS = {code: None for code in range(32) if chr(code) not in "\t\n"}
_CONTROLS[0x7F] = None


def strip_controls(value):
    """Drop control characters (keeping tab and newline) and normalise line endings."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").translate(_CONTROLS)
    return value


def html_params(**kwargs) -> Markup:
    """WTForms' `html_params`, written without `Markup.format`: the same attributes in the same order, escaped the
    same way (tests/i18n/test_forms_html_params.py compares the two), at a fifth of the cost. Every input, hidden
    field and option on every page goes through it."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = escape(_widget_core.clean_key(key))
        if value is True:
            params.append(str(key))
        elif value is not False:
            text = str(escape(value)).replace('"', "&quot;")
            params.append(f'{key}="{text}"')
    # Every key and value was escaped above.
    return Markup(" ".join(params))  # noqa: S704  # nosec B704


WTFORMS_HTML_PARAMS = _widget_core.html_params
_widget_core.html_params = html_params
_widget_core.Input.html_params = staticmethod(html_params)
_widget_core.Button.html_params = staticmethod(html_params)


@lru_cache(maxsize=8)
def _wtforms_catalog(locale: str) -> support.Translations:
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsTranslations:
    """WTForms' own messages ("Not a valid choice") in the page's language. Flask-WTF reads the catalog from
    disk on every request; the catalogs never change while the app runs, so each language is read once."""

    def _catalog(self):
        locale = get_locale() if has_request_context() else None
        return _wtforms_catalog(str(locale)) if locale is not None else None

    def gettext(self, string):
        catalog = self._catalog()
        return string if catalog is None else catalog.ugettext(string)

    def ngettext(self, singular, plural, n):
        catalog = self._catalog()
        if catalog is None:
            return singular if n == 1 else plural
        return catalog.ungettext(singular, plural, n)


_WTFORMS_TRANSLATIONS = _WTFormsTranslations()


class PortalForm(FlaskForm):
    """Base of every form: text fields lose control characters before any validator sees them."""

    class Meta:
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return None
            return _WTFORMS_TRANSLATIONS

        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField):
                # Passed at bind time (the unbound field is shared by every instance of the form class).
                options = {**options, "filters": [strip_controls, *unbound_field.kwargs.get("filters", ())]}
            return unbound_field.bind(form=form, **options)


_STRIP = str.maketrans("", "", " ,，¥￥")


class MoneyField(StringField):
    """An amount in yuan with at most 2 decimal places, between 0 and 10 million; blank means 0 when optional."""

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        required: bool = False,
        maximum: Decimal = MONEY_MAX,
        blank_message=None,
        **kwargs,
    ):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", "maxlength": 16}
        render_kw.update(kwargs.pop("render_kw", {}) or {})
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.required = required
        self.maximum = maximum
        self.blank_message = blank_message
        self.amount: Decimal | None = None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.amount = None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data in (None, "") else str(self.data)

    def pre_validate(self, form):
        raw = (self.data or "").translate(_STRIP)
        if raw == "":
            if self.required:
                if self.blank_message is not None:
                    raise ValidationError(self.blank_message)
                # Named, so that a summary of many blank lines says which is which.
                raise ValidationError(
                    _l("%(field)s: enter an amount, or 0 if there is none.", field=str(self.label.text))
                )
            self.amount = Decimal("0.00")
            return
        if len(raw) > 16:
            raise ValidationError(_l("Enter an amount like 1500 or 1500.50."))
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise ValidationError(_l("Enter an amount like 1500 or 1500.50.")) from exc
        if not value.is_finite():
            raise ValidationError(_l("Enter an amount like 1500 or 1500.50."))
        if value < 0:
            raise ValidationError(_l("The amount cannot be negative."))
        if value.as_tuple().exponent < -2:
            raise ValidationError(_l("Enter the amount in yuan with at most 2 decimal places."))
        if value > self.maximum:
            raise ValidationError(_l("That amount is too large. Check it and try again."))
        self.amount = value.quantize(Decimal("0.01"))


class CheckboxListField(SelectMultipleField):
    """A group of checkboxes (each big enough to tap), validated against its choices."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class LanguageForm(PortalForm):
    """The language switcher: buttons that post, so a change of preference is never a GET."""

    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField(validators=[Length(max=2000)])
