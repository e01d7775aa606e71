"""Forms of the phone agents' pages. Fields are declared and bounded; the find form is a GET form."""

from __future__ import annotations

from datetime import datetime, timedelta

from wtforms import DateField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import TextInput

from portal.clock import now as clock_now
from portal.core.outbox import QUIET_END, QUIET_START
from portal.i18n import lazy_gettext as _l
from portal.web.forms import MoneyField, PortalForm

CALLBACK_HORIZON_DAYS = 90


class DayField(DateField):
    """A date as YYYY-MM-DD, with our own (translated) message when it is not one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Enter the date like 1985-01-31."))) from exc


class ClockField(TimeField):
    """A time of day as HH:MM, with our own message when it is not one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(str(_l("Enter the time, for example 14:30."))) from exc


class FindForm(PortalForm):
    """Find a caller: by phone number, by loan number, or by name and birth date (exact matches only). Posted, not
    a GET: each search is counted and audited, and a phone number or birth date does not belong in an address."""

    phone = StringField(
        _l("Phone number"),
        validators=[Optional(), Regexp(r"^1\d{10}$", message=_l("Enter the 11-digit mobile number."))],
        render_kw={"inputmode": "numeric", "maxlength": 11, "autocomplete": "off"},
    )
    loan = StringField(
        _l("Loan number"),
        validators=[Optional(), Length(max=24)],
        render_kw={"maxlength": 24, "autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(
        _l("Full name"),
        validators=[Optional(), Length(max=64)],
        render_kw={"maxlength": 64, "autocomplete": "off"},
    )
    birth_date = DayField(
        _l("Birth date"),
        description=_l("With the name, for example 1985-01-31."),
        validators=[Optional()],
        widget=TextInput(),  # typed as on the ID card, not picked from a calendar
        render_kw={"autocomplete": "off", "maxlength": 10},
    )

    def has_query(self) -> bool:
        return any(f.data for f in (self.phone, self.loan, self.name, self.birth_date))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if (self.name.data or "").strip() and not self.birth_date.data:
            self.birth_date.errors.append(_l("Enter the birth date with the name."))
            return False
        if self.birth_date.data and not (self.name.data or "").strip():
            self.name.errors.append(_l("Enter the name with the birth date."))
            return False
        return True


class CodeForm(PortalForm):
    """The support code the caller reads from their portal."""

    code = StringField(
        _l("Support code"),
        description=_l("6 digits, from the caller's own dashboard. Valid 10 minutes, once."),
        validators=[
            DataRequired(message=_l("Enter the code.")),
            Regexp(r"^\d{6}$", message=_l("The code has 6 digits.")),
        ],
        render_kw={"inputmode": "numeric", "maxlength": 6, "autocomplete": "off"},
    )


class QuestionsForm(PortalForm):
    """What only the borrower should know."""

    id_last4 = StringField(
        _l("Last 4 characters of the ID number"),
        validators=[
            DataRequired(message=_l("Enter the last 4 characters of the ID number.")),
            Regexp(r"^[0-9Xx]{4}$", message=_l("Enter 4 digits (the last may be X).")),
        ],
        render_kw={"maxlength": 4, "autocomplete": "off"},
    )
    birth_date = DayField(
        _l("Birth date"),
        description=_l("For example 1985-01-31."),
        validators=[DataRequired(message=_l("Enter the birth date, for example 1985-01-31."))],
        widget=TextInput(),
        render_kw={"autocomplete": "off", "maxlength": 10},
    )
    last_payment = MoneyField(
        _l("Amount of the last payment"),
        description=_l(
            "In yuan, for example 1563.98. If the caller has never paid, ask for a support code instead."
        ),
        required=True,
    )

    def validate_last_payment(self, field) -> None:
        """No payment is no answer: anyone can say 0, so a caller who never paid is verified by a support code."""
        if self.last_payment.amount is not None and self.last_payment.amount <= 0:
            raise ValidationError(
                str(
                    _l(
                        "The questions need the amount of a payment. If the caller has never paid, ask for a support code."
                    )
                )
            )


class NoteForm(PortalForm):
    """A note on the call."""

    body = TextAreaField(
        _l("Note on this call"),
        validators=[DataRequired(message=_l("Write the note.")), Length(max=1000)],
        render_kw={"rows": 3, "maxlength": 1000},
    )


class CallbackForm(PortalForm):
    """A promise to call back."""

    due_on = DayField(
        _l("Call back on"),
        validators=[DataRequired(message=_l("Enter the date, for example 2026-12-01."))],
        render_kw={"autocomplete": "off"},
    )
    due_time = ClockField(
        _l("At"),
        validators=[DataRequired(message=_l("Enter the time, for example 14:30."))],
        render_kw={"autocomplete": "off"},
    )
    note = StringField(
        _l("What about (optional)"), validators=[Optional(), Length(max=200)], render_kw={"maxlength": 200}
    )

    def validate_due_time(self, field) -> None:
        """A callback is a phone call: in the future, within 90 days, and outside quiet hours (21:00-08:00)."""
        if self.due_on.data is None or field.data is None:
            return
        if not QUIET_END <= field.data < QUIET_START:
            raise ValidationError(str(_l("Call between 08:00 and 21:00, not in quiet hours.")))
        due = datetime.combine(self.due_on.data, field.data)
        now = clock_now().replace(tzinfo=None)
        if due <= now:
            raise ValidationError(str(_l("Choose a time that has not passed yet.")))
        if due > now + timedelta(days=CALLBACK_HORIZON_DAYS):
            raise ValidationError(str(_l("Choose a time within the next 90 days.")))


class ActionForm(PortalForm):
    """A button: end a session, mark a callback done."""
