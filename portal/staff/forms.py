"""Staff decision forms. Each carries the application version the decider saw (optimistic locking)."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.applications.decisions import REJECT_REASONS
from portal.auth.forms import totp_code_field
from portal.domain.options import OPTION_KINDS
from portal.i18n import labels
from portal.i18n import lazy_gettext as _l
from portal.web.forms import CheckboxListField, MoneyField, PortalForm


class VersionedForm(PortalForm):
    """A decision on the version of the application the decider was looking at."""

    version = HiddenField(validators=[DataRequired()])


def internal_note_field(field_id: str) -> TextAreaField:
    """Words for staff only: kept in the case's history, never on a borrower's page or in a message."""
    return TextAreaField(
        _l("Internal note, for staff only (optional)"),
        description=_l("Never shown to the borrower. For the record and whoever looks at the case next."),
        id=field_id,
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2, "maxlength": 1000},
    )


class ClaimForm(VersionedForm):
    """Take or release the case."""


class ReassignForm(VersionedForm):
    """A senior reviewer puts a case back in the queue or gives it to another reviewer, whoever holds it.
    The choices (nobody, then each reviewer who may hold the case) are set by the view."""

    to = SelectField(
        _l("Give the case to"),
        id="reassign-to",
        choices=[],
        validate_choice=True,
        validators=[Optional()],
    )


class ApproveForm(VersionedForm):
    """Approve, optionally waiving penalty and compound interest."""

    # Asked for when the second factor was last confirmed more than 5 minutes ago (money is given away).
    totp_code = totp_code_field(_l("Confirm with your authenticator code"), "approve-totp", required=False)
    waive_penalty = BooleanField(_l("Waive the penalty interest"), id="approve-waive-penalty")
    waive_compound = BooleanField(_l("Waive the interest on overdue interest"), id="approve-waive-compound")
    message = TextAreaField(
        _l("Message to the borrower (optional)"),
        description=_l(
            "The borrower reads it with the offer. If the plan is above what they can afford, say why it is offered."
        ),
        id="approve-message",
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2, "maxlength": 1000},
    )
    internal_note = internal_note_field("approve-internal-note")


class RejectForm(VersionedForm):
    """Refuse, with a reason code."""

    reason = SelectField(
        _l("Reason"),
        id="reject-reason",
        choices=[SelectChoice(code, labels.REJECT_REASONS[code]) for code in REJECT_REASONS],
        validators=[InputRequired(message=_l("Choose a reason."))],
    )
    message = TextAreaField(
        _l("Message to the borrower"),
        description=_l("The borrower reads it with the decision."),
        id="reject-message",
        validators=[DataRequired(message=_l("Explain the decision to the borrower.")), Length(max=1000)],
        render_kw={"rows": 3, "maxlength": 1000},
    )
    internal_note = internal_note_field("reject-internal-note")


class InfoForm(VersionedForm):
    """Ask the borrower for what is missing."""

    question = TextAreaField(
        _l("What do you need from the borrower?"),
        description=_l("The borrower reads this question."),
        validators=[DataRequired(message=_l("Write what you need.")), Length(max=1000)],
        render_kw={"rows": 3, "maxlength": 1000},
    )
    internal_note = internal_note_field("info-internal-note")


class CounterForm(VersionedForm):
    """A counter-offer: another plan or other terms; previewed before it is sent."""

    totp_code = totp_code_field(_l("Confirm with your authenticator code"), "counter-totp", required=False)
    kind = SelectField(
        _l("Plan"),
        choices=[SelectChoice(k, labels.OPTIONS[k]) for k in OPTION_KINDS],
        validators=[InputRequired()],
    )
    months = IntegerField(
        _l("Months"),
        validators=[Optional(), NumberRange(min=1, max=60)],
        render_kw={"inputmode": "numeric", "maxlength": 2},
    )
    upfront = MoneyField(_l("Paid now"))
    pay_day = IntegerField(
        _l("Pay day"),
        validators=[Optional(), NumberRange(min=1, max=28)],
        render_kw={"inputmode": "numeric", "maxlength": 2},
    )
    spread_charges = IntegerField(
        _l("Spread overdue interest over (payments)"),
        validators=[Optional(), NumberRange(min=1, max=6)],
        render_kw={"inputmode": "numeric", "maxlength": 1},
    )
    income_months = CheckboxListField(
        _l("Income months"), choices=[SelectChoice(str(n), labels.MONTHS[n]) for n in range(1, 13)]
    )
    waive_penalty = BooleanField(_l("Waive the penalty interest"), id="counter-waive-penalty")
    waive_compound = BooleanField(_l("Waive the interest on overdue interest"), id="counter-waive-compound")
    message = TextAreaField(
        _l("Message to the borrower (optional)"),
        description=_l("The borrower reads it with the counter-offer."),
        id="counter-message",
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 2, "maxlength": 1000},
    )
    internal_note = internal_note_field("counter-internal-note")


class VariantForm(PortalForm):
    """Move the borrower to the rural or the urban variant."""

    variant = SelectField(
        _l("Variant"),
        id="variant-select",
        choices=[SelectChoice("rural", _l("Rural")), SelectChoice("urban", _l("Urban"))],
        validators=[InputRequired(message=_l("Choose a variant."))],
    )
