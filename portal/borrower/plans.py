"""Choosing the help: every plan side by side, one plan's terms, a proposal, and check your answers (send)."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal import db
from portal.applications import calculation, drafting, serialisation, transitions
from portal.auth.access import borrower_required, live_assisted_session
from portal.borrower import bp
from portal.borrower.forms import AgentSubmitForm, ProposalForm, SubmitForm, plan_form
from portal.borrower.journey import (
    acting,
    back_url,
    by_agent,
    editable_application,
    own_application,
    step_context,
)
from portal.clock import business_date
from portal.domain import proposal as proposals
from portal.domain.hardship import affordable_limit
from portal.domain.options import OPTION_KINDS, Terms
from portal.i18n import gettext as _
from portal.i18n import labels, money
from portal.loans.services import ServiceError
from portal.support import consent as support_consent
from portal.support import help as help_service


@bp.route("/applications/<reference>/options")
@borrower_required
def options_step(reference: str):
    """Step 4: every plan side by side, with its fit to the borrower's budget said plainly."""
    application, leave = editable_application(reference)
    if leave:
        return leave
    as_of = business_date()
    calc = calculation.calculator(db.session, application, as_of)
    quotes = calc.quote_all()
    return render_template(
        "borrower/apply/options.html",
        a=application,
        quotes=quotes,
        p=calc.position,
        as_of=as_of,
        budget=calculation.budget_of(application),
        none_fits=not any(q.available and q.fits is not False for q in quotes),
        help_kinds=help_kinds(application.variant),
        **step_context("options", application),
    )


def help_kinds(variant: str) -> tuple[str, ...]:
    """The help requests (call back, visit) the borrower's variant offers, linked from the options page."""
    return tuple(help_service.offered(variant))


@bp.route("/applications/<reference>/propose", methods=["GET", "POST"])
@borrower_required
def propose_step(reference: str):
    """When no plan fits: the borrower proposes the amount they can pay each month; staff answer with a plan."""
    application, leave = editable_application(reference)
    if leave:
        return leave
    as_of = business_date()
    calc = calculation.calculator(db.session, application, as_of)
    form = ProposalForm()
    if request.method == "GET" and serialisation.proposed_monthly(application) is not None:
        form.monthly.data = str(serialisation.proposed_monthly(application))
    if form.validate_on_submit():
        amount, error = proposals.check_monthly(form.monthly.amount, calc.owed)
        if error:
            form.monthly.errors.append(proposal_error_message(error, calc.owed))
        else:
            drafting.choose_proposal(application, calc.proposal(amount), **acting())
            return redirect(url_for("borrower.check_step", reference=reference), code=303)
    return render_template(
        "borrower/apply/propose.html",
        a=application,
        form=form,
        p=calc.position,
        budget=calculation.budget_of(application),
        limit=None
        if calc.disposable is None
        else affordable_limit(calc.disposable, calc.policy.affordability_share),
        **step_context("plan", application) | {"back": back_url("proposal", application)},
    )


def proposal_error_message(code: str, owed: Decimal) -> str:
    """The message for a proposal's error code (the field's own format errors come from MoneyField)."""
    if code == "monthly_too_large":
        return _(
            "That is more than everything you owe on this loan (%(owed)s). Enter what you can pay in a month.",
            owed=money(owed),
        )
    if code == "monthly_not_positive":
        return _("Enter an amount more than 0.")
    return _("Enter an amount like 1500 or 1500.50.")


def _kind_or_404(kind: str) -> str:
    if kind not in OPTION_KINDS:
        abort(404)
    return kind


@bp.route("/applications/<reference>/options/<kind>")
@borrower_required
def option_schedule(reference: str, kind: str):
    """One option's whole new schedule beside the current one."""
    application = own_application(reference)
    _kind_or_404(kind)
    as_of = business_date()
    calc = calculation.calculator(db.session, application, as_of)
    quote = calc.quote(kind, calc.chosen_or_default_terms(application, kind))
    if not quote.available and application.status != "draft":
        abort(404)
    return render_template(
        "borrower/apply/option_schedule.html", a=application, q=quote, p=calc.position, as_of=as_of
    )


def _terms_from_form(kind: str, form) -> Terms:
    values = {}
    if hasattr(form, "months"):
        values["months"] = form.months.data
    if hasattr(form, "upfront"):
        values["upfront"] = form.upfront.amount or Decimal("0.00")
    if hasattr(form, "pay_day"):
        values["pay_day"] = form.pay_day.data
    if hasattr(form, "spread_charges"):
        values["spread_charges"] = form.spread_charges.data
    if hasattr(form, "income_months"):
        values["income_months"] = tuple(sorted(int(m) for m in form.income_months.data or ()))
    return Terms(**values)


def _fill_plan_form(form, terms: Terms) -> None:
    if hasattr(form, "months"):
        form.months.data = terms.months
    if hasattr(form, "upfront"):
        form.upfront.data = "" if not terms.upfront else str(terms.upfront)
    if hasattr(form, "pay_day"):
        form.pay_day.data = terms.pay_day
    if hasattr(form, "spread_charges"):
        form.spread_charges.data = terms.spread_charges
    if hasattr(form, "income_months"):
        form.income_months.data = [str(m) for m in terms.income_months]


@bp.route("/applications/<reference>/plan/<kind>", methods=["GET", "POST"])
@borrower_required
def plan_step(reference: str, kind: str):
    """Step 5: set the plan's terms, see the figures update (a button, no script needed), then continue."""
    application, leave = editable_application(reference)
    if leave:
        return leave
    _kind_or_404(kind)
    as_of = business_date()
    calc = calculation.calculator(db.session, application, as_of)
    defaults = calc.chosen_or_default_terms(application, kind)
    quote = calc.quote(kind, defaults)
    # A seasonal plan waits for the farmer's own harvest months: its page opens with none chosen.
    waiting_for_months = quote.reasons == ("invalid_terms",) and "income_months" in quote.term_errors
    if not quote.available and not waiting_for_months:
        flash(
            " ".join(
                str(labels.UNAVAILABLE.get(r, labels.UNAVAILABLE["option_unavailable"]))
                for r in quote.reasons
            ),
            "info",
        )
        return redirect(url_for("borrower.options_step", reference=reference), code=303)
    form = plan_form(kind, quote.limits)
    if request.method == "GET":
        _fill_plan_form(form, defaults)
    elif form.validate_on_submit():
        terms = _terms_from_form(kind, form)
        errors = calc.term_errors(kind, terms)
        for field_name, code in errors.items():
            field = getattr(form, field_name, None)
            (field.errors if field is not None else form.form_errors).append(
                term_error_message(code, quote.limits)
            )
        if not errors:
            quote = calc.quote(kind, terms)
            if not quote.available and hasattr(form, "income_months"):
                # Months that fall in no month of the plan: say so where they were chosen.
                form.income_months.errors.extend(
                    str(labels.UNAVAILABLE.get(r, labels.UNAVAILABLE["option_unavailable"]))
                    for r in quote.reasons
                )
            if request.form.get("action") == "choose" and quote.available:
                drafting.choose(application, quote, **acting())
                return redirect(url_for("borrower.check_step", reference=reference), code=303)
    return render_template(
        "borrower/apply/plan.html",
        a=application,
        form=form,
        q=quote,
        kind=kind,
        as_of=as_of,
        **step_context("plan", application),
    )


def term_error_message(code: str, limits: dict) -> str:
    """The message for a calculator's field error code."""
    months = _(
        "Choose between %(low)d and %(high)d months.",
        low=limits.get("months_min", 1),
        high=limits.get("months_max", 1),
    )
    income = _("Choose 1 to %(high)d months.", high=limits.get("max_income_months", 4))
    messages = {
        "months_required": months,
        "months_out_of_range": months,
        "upfront_invalid": _("Enter an amount like 1500 or 1500.50."),
        "upfront_too_large": _("Paying now must be less than the whole overdue amount."),
        "pay_day_out_of_range": _("Choose a day from 1 to 28."),
        "income_months_required": income,
        "income_months_invalid": income,
        "too_many_income_months": income,
        "spread_out_of_range": _("Choose from 1 to %(high)d payments.", high=limits.get("spread_max", 6)),
    }
    return messages.get(code, _("Check this answer."))


@bp.route("/applications/<reference>/check", methods=["GET", "POST"])
@borrower_required
def check_step(reference: str):
    """Step 6: check your answers, with a change link beside each; then send."""
    application = own_application(reference)
    if application.status != "draft":
        # A second click of 'send' lands on what the first one made.
        return redirect(url_for("borrower.application", reference=reference), code=303)
    form = AgentSubmitForm() if by_agent() else SubmitForm()
    missing = transitions.missing_for_submit(application)
    if form.validate_on_submit() and not missing:
        consent = (
            support_consent.issue(
                db.session,
                current_user.row,
                live_assisted_session(),
                action="submit",
                subject=f"application:{application.id}",
            )
            if by_agent()
            else None
        )
        try:
            transitions.submit(
                db.session,
                application,
                as_of=business_date(),
                role=transitions.applicant_role(acting()["on_behalf_of"]),
                consent_reference=consent,
                **acting(),
            )
        except ServiceError as error:
            db.session.rollback()
            flash(str(labels.UNAVAILABLE.get(error.code, labels.UNAVAILABLE["option_unavailable"])), "info")
            return redirect(url_for("borrower.options_step", reference=reference), code=303)
        if consent:
            flash(
                _(
                    "Consent reference %(reference)s is on the record: read it to the borrower.",
                    reference=consent,
                ),
                "info",
            )
        return redirect(url_for("borrower.application", reference=reference, sent=1), code=303)
    return render_template(
        "borrower/apply/check.html",
        a=application,
        form=form,
        missing=missing,
        budget=calculation.budget_of(application),
        **step_context("check", application),
    )
