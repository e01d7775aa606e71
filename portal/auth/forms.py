"""Sign-in forms. Labels are lazy so they translate at render time; every field is bounded."""

from __future__ import annotations

from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.forms import PortalForm
from portal.i18n import lazy_gettext as _l

PHONE_PATTERN = r"^1\d{10}$"


class PhoneField(StringField):
    """A mainland mobile number; spaces and dashes people type are ignored."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data:
            self.data = "".join(ch for ch in self.data if ch not in " -")


def _phone():
    return PhoneField(
        _l("Mobile phone number"),
        description=_l("The number you gave us when you took out the loan, for example 138 0013 8000."),
        validators=[
            DataRequired(message=_l("Enter your mobile phone number.")),
            Length(max=20, message=_l("Enter an 11-digit mobile phone number.")),
            Regexp(PHONE_PATTERN, message=_l("Enter an 11-digit mobile phone number.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "tel", "maxlength": 20},
    )


class PasswordSignInForm(PortalForm):
    """Borrower sign-in with phone number and password."""

    phone = _phone()
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Enter your password.")),
            Length(max=128, message=_l("A password has at most 128 characters.")),
        ],
        render_kw={"autocomplete": "current-password", "maxlength": 128},
    )
    next = HiddenField(validators=[Length(max=2000)])


class CodeRequestForm(PortalForm):
    """Ask for a one-time sign-in code by SMS."""

    phone = _phone()
    next = HiddenField(validators=[Length(max=2000)])


class CodeSignInForm(PortalForm):
    """Sign in with the code from the SMS."""

    code = StringField(
        _l("Sign-in code"),
        description=_l("The 6-digit code in the text message we just sent."),
        validators=[
            DataRequired(message=_l("Enter the 6-digit code.")),
            Regexp(r"^\d{6}$", message=_l("The code has 6 digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )
    next = HiddenField(validators=[Length(max=2000)])


class StaffSignInForm(PortalForm):
    """Staff sign-in with a user name and password."""

    username = StringField(
        _l("User name"),
        validators=[
            DataRequired(message=_l("Enter your user name.")),
            Length(max=64, message=_l("A user name has at most 64 characters.")),
        ],
        render_kw={"autocomplete": "username", "maxlength": 64},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Enter your password.")),
            Length(max=128, message=_l("A password has at most 128 characters.")),
        ],
        render_kw={"autocomplete": "current-password", "maxlength": 128},
    )
    next = HiddenField(validators=[Length(max=2000)])


class LanguageForm(PortalForm):
    """The language switcher: buttons that post, so a change of preference is never a GET."""

    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField(validators=[Length(max=2000)])


def totp_code_field(label=None, field_id: str | None = None, required: bool = True):
    """The 6-digit code from an authenticator app."""
    validators = [Regexp(r"^\d{6}$", message=_l("The code has 6 digits."))]
    if required:
        validators.insert(0, DataRequired(message=_l("Enter the 6-digit code from your authenticator app.")))
    else:
        validators.insert(0, Optional())
    return StringField(
        label or _l("Code from your authenticator app"),
        id=field_id,
        description=_l("The 6-digit code your authenticator app shows now for the arrears relief portal."),
        validators=validators,
        filters=[lambda value: "".join(value.split()) if isinstance(value, str) else value],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 7},
    )


class StaffCodeForm(PortalForm):
    """Staff sign-in, second step: the code from the authenticator app."""

    code = totp_code_field()
