"""Sign-in forms. Labels are lazy so they translate at render time; every field is bounded."""

from __future__ import annotations

from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from portal.auth import passwords
from portal.i18n import lazy_gettext as _l
from portal.web.forms import PortalForm

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


class NewPassword:
    """The password policy of portal/auth/passwords.py (length, and not common or guessable from what we know of
    the person: `form.user_inputs`), and different from the current password posted beside it."""

    def __call__(self, form, field):
        problem = passwords.password_problem(field.data or "", getattr(form, "user_inputs", ()))
        if problem == "too_short":
            raise ValidationError(
                _l("Your new password needs at least %(count)d characters.", count=passwords.MIN_LENGTH)
            )
        if problem == "too_long":
            raise ValidationError(_l("A password has at most 128 characters."))
        if problem == "too_common":
            raise ValidationError(
                _l(
                    "That password is too easy to guess. Try a longer one: a few words that do not belong "
                    "together."
                )
            )
        if field.data == form.current_password.data:
            raise ValidationError(_l("Your new password must be different from your current one."))


class PasswordChangeForm(PortalForm):
    """Change one's own password: the current one (checked under the sign-in lockout), the new one twice.

    `user_inputs` (the person's phone number, name, user name) makes a password built from them count as common.
    """

    current_password = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(message=_l("Enter your current password.")),
            Length(max=passwords.MAX_LENGTH, message=_l("A password has at most 128 characters.")),
        ],
        render_kw={"autocomplete": "current-password", "maxlength": passwords.MAX_LENGTH},
    )
    new_password = PasswordField(
        _l("New password"),
        description=_l(
            "At least %(count)d characters. A few words you will remember, with spaces between them, are easy to "
            "type and hard to guess. Do not use your name or phone number.",
            count=passwords.MIN_LENGTH,
        ),
        validators=[DataRequired(message=_l("Enter a new password.")), NewPassword()],
        render_kw={"autocomplete": "new-password", "maxlength": passwords.MAX_LENGTH},
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(message=_l("Enter your new password again.")),
            EqualTo("new_password", message=_l("The two new passwords are not the same. Type them again.")),
        ],
        render_kw={"autocomplete": "new-password", "maxlength": passwords.MAX_LENGTH},
    )

    def __init__(self, *args, user_inputs: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.user_inputs = tuple(value for value in user_inputs if value)
