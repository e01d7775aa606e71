"""Forms of the borrower's application journey. Fields are declared (no mass assignment) and bounded."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from portal.domain import hardship
from portal.i18n import gettext as _
from portal.i18n import labels, lazy_vgettext
from portal.i18n import lazy_gettext as _l
from portal.web.forms import CheckboxListField, MoneyField, PortalForm


class StartForm(PortalForm):
    """'Get help with this loan': starts or resumes the application, once per idempotency key."""

    key = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])


def hardship_form(variant: str, formdata=None, **kwargs) -> PortalForm:
    """The hardship statement with the reasons offered in the borrower's variant."""

    class HardshipForm(PortalForm):
        reasons = CheckboxListField(
            _l("Why is it hard to pay at the moment?"),
            description=lazy_vgettext("Choose all that apply."),
            choices=[SelectChoice(code, labels.REASONS[code]) for code in _reasons_in_order(variant)],
            validators=[DataRequired(message=_l("Choose at least one reason."))],
        )
        duration = RadioField(
            _l("How long do you think it will last?"),
            choices=[SelectChoice(code, labels.DURATIONS[code]) for code in hardship.DURATIONS],
            validators=[InputRequired(message=_l("Choose how long you think it will last."))],
        )
        account = TextAreaField(
            _l("Tell us what happened"),
            description=_l("In your own words. At most 2,000 characters. Do not send medical records."),
            validators=[
                Optional(),
                Length(max=hardship.MAX_ACCOUNT_CHARS, message=_l("Write at most 2,000 characters.")),
            ],
            render_kw={"rows": 6, "maxlength": hardship.MAX_ACCOUNT_CHARS},
        )

    return HardshipForm(formdata=formdata, **kwargs) if formdata is not None else HardshipForm(**kwargs)


def _reasons_in_order(variant: str) -> list[str]:
    """The variant's reasons with its own ones first (a farmer sees crop failure at the top), "other" last."""
    offered = hardship.reasons_for(variant)
    own = hardship.REASONS_RURAL if variant == "rural" else hardship.REASONS_URBAN
    return [code for code in offered if code in own] + [code for code in offered if code not in own]


def budget_form(variant: str, part: str = "all", **kwargs) -> PortalForm:
    """Monthly income and spending, with the spending categories of the borrower's variant.

    `part` is "all" (one page: urban), or "income" / "spending" (rural asks fewer questions per page).
    """

    class BudgetForm(PortalForm):
        pass

    # Fields are made in page order (WTForms keeps creation order), so the error summary lists them as the
    # page does. Every amount is required: an empty form is refused, and "none" is entered as 0.
    if part in ("all", "income"):
        for code in hardship.income_sources_for(variant):
            setattr(
                BudgetForm,
                f"income_{code}",
                MoneyField(labels.INCOME[code], description=_income_hint(code, variant), required=True),
            )
    if part in ("all", "spending"):
        for code in hardship.spending_for(variant):
            setattr(
                BudgetForm,
                f"spending_{code}",
                MoneyField(labels.SPENDING[code], description=_spending_hint(code, variant), required=True),
            )
        BudgetForm.other_debt = MoneyField(
            _l("Payments on other debts"),
            description=lazy_vgettext("Other loans, credit cards, money owed to people. Enter 0 if none."),
            required=True,
        )
    if part in ("all", "income"):
        BudgetForm.dependants = IntegerField(
            _l("How many people depend on your income?"),
            description=_l("Children, elderly parents and others you support. 0 if none."),
            default=0,
            validators=[
                InputRequired(message=_l("Enter a number, 0 if none.")),
                NumberRange(min=0, max=30, message=_l("Enter a number from 0 to 30.")),
            ],
            render_kw={"inputmode": "numeric", "maxlength": 2},
        )
    return BudgetForm(**kwargs)


def _income_hint(code: str, variant: str):
    """A farm example under the farming income field for rural borrowers."""
    if variant == "rural" and code == "farming":
        return _l(
            "For example: rice sold after harvest, pigs or chickens sold. A year's sales divided by 12."
        )
    return ""


def _spending_hint(code: str, variant: str):
    """Farm examples under the farm spending fields for rural borrowers."""
    if variant != "rural":
        return ""
    return {
        "seed": _l("Seed and seedlings for the coming season, divided by 12."),
        "fertiliser": _l("Fertiliser, pesticide and weedkiller, divided by 12."),
        "feed": _l("Feed for pigs, chickens, cattle or fish."),
    }.get(code, "")


class ProposalForm(PortalForm):
    """The borrower's own offer: the amount they can pay each month (checked again by domain.proposal)."""

    monthly = MoneyField(
        _l("How much can you pay each month?"),
        description=_l("The whole amount you can pay towards this loan each month, in yuan."),
        required=True,
        blank_message=_l("Enter the amount you can pay each month."),
    )


class EvidenceForm(PortalForm):
    """Upload one file of evidence."""

    file = FileField(
        _l("Add a file"),
        description=_l("PDF, JPG or PNG, at most 10 MB. Up to 5 files."),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )


def evidence_error(code: str, policy: dict) -> str:
    """The field message for an upload a rule refused (portal.applications.evidence.add's ServiceError code)."""
    return {
        "bad_type": _("The file must be a PDF, JPG or PNG."),
        "too_many": _("You can add at most %(count)d files.", count=int(policy["evidence_max_files"])),
        "empty_file": _("The file is empty."),
        "unreadable": _(
            "This file could not be opened. Check that it is a whole PDF, JPG or PNG, and try again."
        ),
        "storage_full": _(
            "You have stored as many files with us as we can keep. Remove a file you no longer need, then try again."
        ),
    }.get(code, _("The file could not be added."))


class DeleteForm(PortalForm):
    """A button that removes something (CSRF only)."""


def plan_form(kind: str, limits: dict, **kwargs) -> PortalForm:
    """The terms of one option, with the ranges the policy allows."""

    class PlanForm(PortalForm):
        """The option's terms; the pressed button (preview or choose) arrives as `action`."""

    if kind in ("installment_plan", "extension", "grace"):
        low, high = limits.get("months_min", 1), limits.get("months_max", 1)
        label = {
            "installment_plan": _l("Over how many months?"),
            "extension": _l("Extend by how many months?"),
            "grace": _l("How many months of interest only?"),
        }[kind]
        PlanForm.months = SelectField(
            label,
            choices=[SelectChoice(n, str(n)) for n in range(low, high + 1)],
            coerce=int,
            validators=[InputRequired(message=_l("Choose a number of months."))],
        )
    if kind == "installment_plan":
        PlanForm.upfront = MoneyField(
            _l("Pay something up front (optional)"),
            description=_l(
                "Due within %(days)d days of accepting our offer; it makes each monthly part smaller. "
                "Leave blank to pay nothing up front.",
                days=limits.get("upfront_due_days", 7),
            ),
        )
        PlanForm.pay_day = SelectField(
            _l("Which day of the month suits you to pay?"),
            description=lazy_vgettext("For example, the day after your wages arrive."),
            choices=[SelectChoice(n, str(n)) for n in range(1, 29)],
            coerce=int,
            validators=[InputRequired(message=_l("Choose a day of the month."))],
        )
    if kind in ("extension", "grace"):
        PlanForm.spread_charges = SelectField(
            _l("Spread the overdue interest and penalty over"),
            description=_l("1 means it is all added to your first payment."),
            choices=[SelectChoice(n, str(n)) for n in range(1, limits.get("spread_max", 6) + 1)],
            coerce=int,
            validators=[InputRequired()],
        )
    if kind == "seasonal":
        PlanForm.income_months = CheckboxListField(
            _l("In which months do you sell your harvest or livestock?"),
            description=_l("Choose 1 to 4 months."),
            choices=[SelectChoice(str(n), labels.MONTHS[n]) for n in range(1, 13)],
            validators=[DataRequired(message=_l("Choose 1 to 4 months."))],
        )
    return PlanForm(**kwargs)


class SubmitForm(PortalForm):
    """Send the application (the check-your-answers page)."""

    confirm = HiddenField(default="1")


class AnswerForm(PortalForm):
    """Answer a request for more information."""

    answer = TextAreaField(
        _l("Your answer"),
        validators=[
            DataRequired(message=_l("Write your answer.")),
            Length(max=2000, message=_l("Write at most 2,000 characters.")),
        ],
        render_kw={"rows": 5, "maxlength": 2000},
    )


class AcceptForm(PortalForm):
    """Accept an offer, confirmed with the borrower's password or an SMS code."""

    password = PasswordField(
        _l("Your password"),
        description=_l("To confirm it is you. Or use a text message code instead."),
        validators=[Optional(), Length(max=128)],
        render_kw={"autocomplete": "current-password", "maxlength": 128},
    )
    code = StringField(
        _l("Text message code"),
        validators=[Optional(), Regexp(r"^\d{6}$", message=_l("The code has 6 digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )
    # The upfront payment's date the offer page showed (ISO): the offer is accepted as it stood.
    upfront_due = HiddenField()


class SupportCodeForm(PortalForm):
    """Ask for a support code to read to our phone staff."""


class AgentAcceptForm(PortalForm):
    """An agent accepts the offer for the borrower on a call, once the borrower has said yes on the recorded call;
    the portal gives that consent its reference (portal.support.consent), nothing is typed."""

    by_phone = True  # the pages show the agent's wording
    upfront_due = HiddenField()  # as on AcceptForm


class AgentSubmitForm(AgentAcceptForm):
    """An agent sends the application for the borrower, with the reference of their spoken consent."""

    confirm = HiddenField(default="1")


class AppealForm(PortalForm):
    """Ask for a rejection to be looked at again."""

    reason = TextAreaField(
        _l("Why should we look again?"),
        description=_l("For example, something has changed, or something was misunderstood."),
        validators=[
            DataRequired(message=_l("Tell us why we should look again.")),
            Length(max=2000, message=_l("Write at most 2,000 characters.")),
        ],
        render_kw={"rows": 4, "maxlength": 2000},
    )
