"""The borrower's application journey: hardship → money → evidence → options → terms → check → submit,
and afterwards the application's own page (status, history, withdraw, answer, offer, accept, agreement)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal import db, policies
from portal.applications import (
    calculation,
    decisions,
    drafting,
    notices,
    offers,
    queries,
    serialisation,
    transitions,
)
from portal.applications import evidence as evidence_store
from portal.auth import access, codes, credentials, throttle
from portal.auth.access import borrower_required, borrower_self_required
from portal.borrower.forms import (
    AcceptForm,
    AgentAcceptForm,
    AgentSubmitForm,
    AnswerForm,
    AppealForm,
    DeleteForm,
    EvidenceForm,
    ProposalForm,
    StartForm,
    SubmitForm,
    budget_form,
    evidence_error,
    hardship_form,
    plan_form,
)
from portal.borrower.views import bp
from portal.clock import business_date
from portal.domain import hardship, paynow
from portal.domain import proposal as proposals
from portal.domain.hardship import affordable_limit
from portal.domain.lifecycle import IllegalTransition
from portal.domain.money import from_fen
from portal.domain.options import OPTION_KINDS, Terms
from portal.i18n import date_long, labels, money
from portal.i18n import gettext as _
from portal.loans import services
from portal.loans.services import ServiceError
from portal.support import help as help_service
from portal.web import page_cache
from portal.web.attachments import send_attachment

STEPS = ("hardship", "money", "evidence", "options", "plan", "check")
# Rural pages ask fewer questions each: income and spending are two pages.
RURAL_STEPS = ("hardship", "money", "spending", "evidence", "options", "plan", "check")


def steps_for(variant: str) -> tuple[str, ...]:
    """The journey's pages in the application's variant."""
    return RURAL_STEPS if variant == "rural" else STEPS


def acting() -> dict:
    """Who acts and how: the borrower online, or an agent for them by phone (actor, on_behalf_of, channel)."""
    return access.acting().fields


def by_agent() -> bool:
    """Whether a phone agent is acting for the borrower on this request."""
    return access.acting().by_agent


def own_application(reference: str):
    """An application of the borrower this request is about, or 404."""
    application = queries.borrower_application(db.session, access.acting().borrower.id, reference)
    if application is None:
        abort(404)
    # An application's pages keep the variant it was started under, even if staff change the borrower's.
    g.page_variant = application.variant
    return application


def editable_application(reference: str):
    """A draft of the signed-in borrower's, or a redirect to its page when it is no longer a draft."""
    application = own_application(reference)
    if application.status != "draft":
        return application, redirect(url_for("borrower.application", reference=reference), code=303)
    return application, None


def step_context(name: str, application) -> dict:
    """The step line's numbers and the Back link's address for one page of the journey."""
    steps = steps_for(application.variant)
    return {"step": steps.index(name) + 1, "steps": len(steps), "back": back_url(name, application)}


def back_url(name: str, application) -> str:
    """Where Back goes from a step: the page before it, or the check page when the borrower came from there
    to change an answer. The first step goes back to the start page, which goes back to the loan."""
    reference = application.reference
    if request.args.get("return") == "check" and name != "check":
        return url_for("borrower.check_step", reference=reference)
    if name == "check":
        if application.option == proposals.PROPOSAL:
            return url_for("borrower.propose_step", reference=reference)
        if application.option:
            return url_for("borrower.plan_step", reference=reference, kind=application.option)
        return url_for("borrower.options_step", reference=reference)
    if name in ("plan", "proposal"):
        return url_for("borrower.options_step", reference=reference)
    steps = steps_for(application.variant)
    index = steps.index(name)
    if index == 0:
        return url_for("borrower.start_page", loan_number=application.loan.number)
    return url_for(f"borrower.{steps[index - 1]}_step", reference=reference)


@bp.route("/loans/<loan_number>/help")
@borrower_required
def start_page(loan_number: str):
    """Before an application exists: what the borrower will need, how long it takes, what happens next.
    Its button starts (or resumes) the application; opening the page changes nothing."""
    loan = services.borrower_loan(db.session, access.acting().borrower.id, loan_number)
    if loan is None:
        abort(404)
    already = drafting.open_application(db.session, loan)
    if already is not None and already.status != "draft":
        return redirect(url_for("borrower.application", reference=already.reference), code=303)
    if loan.status != "active":
        return redirect(url_for("borrower.loan", loan_number=loan_number), code=303)
    variant = loan.borrower.variant
    return render_template(
        "borrower/apply/start.html",
        loan=loan,
        draft=already,
        steps=len(steps_for(variant)),
        sla_days=policies.current(db.session, variant)[1].sla_days,
        back=url_for("borrower.loan", loan_number=loan_number),
    )


@bp.route("/loans/<loan_number>/help", methods=["POST"])
@borrower_required
def start_application(loan_number: str):
    """Start (or resume) an application for help with one loan; the form's key makes a double click harmless."""
    loan = services.borrower_loan(db.session, access.acting().borrower.id, loan_number)
    if loan is None:
        abort(404)
    form = StartForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        application = drafting.start(
            db.session, loan, create_key=form.key.data, as_of=business_date(), **acting()
        )
    except ServiceError as error:
        db.session.rollback()
        if error.code == "open_application" and error.params.get("reference"):
            flash(
                _(
                    "There is already an application for this loan: %(reference)s. You can follow it below.",
                    reference=error.params.get("reference", ""),
                ),
                "info",
            )
            return redirect(
                url_for("borrower.application", reference=error.params.get("reference")), code=303
            )
        flash(str(labels.UNAVAILABLE.get(error.code, labels.UNAVAILABLE["option_unavailable"])), "info")
        return redirect(url_for("borrower.loan", loan_number=loan_number), code=303)
    return redirect(url_for("borrower.hardship_step", reference=application.reference), code=303)


def new_start_form() -> StartForm:
    """A start form with a fresh idempotency key."""
    form = StartForm(formdata=None)
    form.key.data = page_cache.fresh_token()
    return form


@bp.app_context_processor
def _start_form():
    return {"new_start_form": new_start_form}


@bp.route("/applications/<reference>/hardship", methods=["GET", "POST"])
@borrower_required
def hardship_step(reference: str):
    """Step 1: why it is hard to pay, for how long, and the borrower's own account."""
    application, leave = editable_application(reference)
    if leave:
        return leave
    form = hardship_form(application.variant)
    if request.method == "GET":
        form.reasons.data = list(application.reasons or [])
        form.duration.data = application.duration
        form.account.data = application.account or ""
    if form.validate_on_submit():
        drafting.save_hardship(
            application,
            reasons=form.reasons.data,
            duration=form.duration.data,
            account=(form.account.data or "").strip(),
            **acting(),
        )
        return redirect(_next_step(application, "money"), code=303)
    return render_template(
        "borrower/apply/hardship.html", a=application, form=form, **step_context("hardship", application)
    )


def _next_step(application, default: str) -> str:
    """After a 'change' link from the check page, go back to the check page."""
    if request.args.get("return") == "check":
        return url_for("borrower.check_step", reference=application.reference)
    return url_for(f"borrower.{default}_step", reference=application.reference)


def _budget_page(application, form, budget, part: str, step: str):
    """The money page: income and spending ("all"), or a rural half of it ("income", "spending")."""
    return render_template(
        "borrower/apply/money.html",
        a=application,
        form=form,
        budget=budget,
        part=part,
        income_codes=hardship.income_sources_for(application.variant) if part != "spending" else (),
        spending_codes=hardship.spending_for(application.variant) if part != "income" else (),
        **step_context(step, application),
    )


@bp.route("/applications/<reference>/money", methods=["GET", "POST"])
@borrower_required
def money_step(reference: str):
    """Step 2: monthly income and spending; the page works out what is left each month.

    Rural applications ask income (and dependants) here and spending on the next page."""
    application, leave = editable_application(reference)
    if leave:
        return leave
    rural = application.variant == "rural"
    form = budget_form(application.variant, "income" if rural else "all")
    stored = application.budget or {}
    if request.method == "GET":
        _fill_budget_form(form, stored)
    budget = calculation.budget_of(application)
    if form.validate_on_submit():
        income = {
            c: getattr(form, f"income_{c}").amount for c in hardship.income_sources_for(application.variant)
        }
        if rural:
            drafting.save_income(application, income=income, dependants=form.dependants.data, **acting())
            return redirect(_next_step(application, "spending"), code=303)
        spending = {
            c: getattr(form, f"spending_{c}").amount for c in hardship.spending_for(application.variant)
        }
        budget = drafting.save_budget(
            application,
            income=income,
            spending=spending,
            other_debt=form.other_debt.amount,
            dependants=form.dependants.data,
            **acting(),
        )
        if request.form.get("action") == "calculate":
            return redirect(_worked_out("borrower.money_step", reference), code=303)
        return redirect(_next_step(application, "evidence"), code=303)
    return _budget_page(application, form, budget, "income" if rural else "all", "money")


@bp.route("/applications/<reference>/spending", methods=["GET", "POST"])
@borrower_required
def spending_step(reference: str):
    """Rural step 3: essential spending (farm costs included) and other debts; what is left each month."""
    application, leave = editable_application(reference)
    if leave:
        return leave
    if application.variant != "rural":
        return redirect(url_for("borrower.money_step", reference=reference, **_keep_return()), code=303)
    form = budget_form(application.variant, "spending")
    if request.method == "GET":
        _fill_budget_form(form, application.budget or {})
    budget = calculation.budget_of(application)
    if form.validate_on_submit():
        spending = {
            c: getattr(form, f"spending_{c}").amount for c in hardship.spending_for(application.variant)
        }
        budget = drafting.save_spending(
            application, spending=spending, other_debt=form.other_debt.amount, **acting()
        )
        if budget is None:  # income not given yet
            return redirect(url_for("borrower.money_step", reference=reference), code=303)
        if request.form.get("action") == "calculate":
            return redirect(_worked_out("borrower.spending_step", reference), code=303)
        return redirect(_next_step(application, "evidence"), code=303)
    return _budget_page(application, form, budget, "spending", "spending")


def _fill_budget_form(form, stored: dict) -> None:
    """Put the stored answers back in the form (each half of a rural budget on its own page)."""
    for code, fen in stored.get("income", {}).items():
        if hasattr(form, f"income_{code}"):
            getattr(form, f"income_{code}").data = str(from_fen(fen))
    for code, fen in stored.get("spending", {}).items():
        if hasattr(form, f"spending_{code}"):
            getattr(form, f"spending_{code}").data = str(from_fen(fen))
    if hasattr(form, "other_debt") and "other_debt" in stored:
        form.other_debt.data = str(from_fen(stored.get("other_debt", 0)))
    if hasattr(form, "dependants") and "dependants" in stored:
        form.dependants.data = stored.get("dependants", 0)


def _worked_out(endpoint: str, reference: str) -> str:
    """After "work it out": the same page, scrolled to the result, which takes focus (no script needed)."""
    return url_for(endpoint, reference=reference, worked=1, **_keep_return()) + "#result"


def _keep_return() -> dict:
    return {"return": "check"} if request.args.get("return") == "check" else {}


@bp.route("/applications/<reference>/evidence", methods=["GET", "POST"])
@borrower_required
def evidence_step(reference: str):
    """Step 3: optional documents (PDF, JPEG or PNG, checked by content)."""
    application, leave = editable_application(reference)
    if leave:
        return leave
    form = EvidenceForm()
    policy = application.policy_pack.data
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not upload.filename:
            form.file.errors.append(_("Choose a file to add."))
        else:
            try:
                with db.session.begin_nested():  # a refused file leaves nothing behind
                    evidence_store.add(db.session, application, upload, **acting())
            except ServiceError as error:
                if error.code == "too_large":
                    abort(413)
                form.file.errors.append(evidence_error(error.code, policy))
            else:
                flash(_("File added."), "info")
                return redirect(
                    url_for("borrower.evidence_step", reference=reference, **_keep_return()), code=303
                )
    return render_template(
        "borrower/apply/evidence.html",
        a=application,
        form=form,
        delete_form=DeleteForm(),
        policy=policy,
        **step_context("evidence", application),
    )


@bp.route("/applications/<reference>/evidence/<token>/delete", methods=["POST"])
@borrower_required
def delete_evidence(reference: str, token: str):
    """Remove a file from a draft."""
    application, leave = editable_application(reference)
    if leave:
        return leave
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    if not evidence_store.remove(db.session, application, token, **acting()):
        abort(404)
    flash(_("File removed."), "info")
    return redirect(url_for("borrower.evidence_step", reference=reference), code=303)


@bp.route("/applications/<reference>/evidence/<token>")
@borrower_required
def download_evidence(reference: str, token: str):
    """The borrower's own file, as an attachment."""
    application = own_application(reference)
    return send_attachment(evidence_store.stored_file(db.session, application, token))


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
        consent = form.consent_reference.data.strip() if by_agent() else None
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
        return redirect(url_for("borrower.application", reference=reference, sent=1), code=303)
    return render_template(
        "borrower/apply/check.html",
        a=application,
        form=form,
        missing=missing,
        budget=calculation.budget_of(application),
        **step_context("check", application),
    )


@bp.route("/applications")
@borrower_required
def applications():
    """All of the borrower's applications."""
    rows = queries.borrower_applications(db.session, access.acting().borrower.id)
    return render_template("borrower/apply/list.html", rows=rows)


@bp.route("/applications/<reference>")
@borrower_required
def application(reference: str):
    """The application's page: status, what happens next, the history, and what the borrower can do now."""
    application = own_application(reference)
    history = queries.history(db.session, application)
    return render_template(
        "borrower/apply/application.html",
        a=application,
        history=history,
        just_sent=bool(request.args.get("sent")),
        just_accepted=bool(request.args.get("accepted")) and application.status == "active",
        delete_form=DeleteForm(),
        answer_form=AnswerForm(),
        appeal_form=AppealForm(),
        as_of=business_date(),
        can_appeal=decisions.can_appeal(application, business_date()),
        **pay_now_context(application, business_date()),
    )


def pay_now_context(application, as_of) -> dict:
    """What the application's page needs for its "what to pay now" box: the loan's figures from the stored
    schedule and payments, and whether the policy asks the borrower to keep paying while it is decided. No box
    (now=None) for a draft or a closed application."""
    if application.status not in queries.DECIDING + queries.IN_FORCE:
        return {"now": None, "deciding": False, "keep_paying": True}
    report = services.loan_position(db.session, application.loan, as_of).report
    deciding = queries.keep_paying(application)
    return {"now": paynow.pay_now(report), "deciding": deciding is not None, "keep_paying": bool(deciding)}


@bp.route("/applications/<reference>/withdraw")
@borrower_required
def confirm_withdraw(reference: str):
    """Ask before withdrawing: one tap should not undo an application."""
    application = own_application(reference)
    if application.status not in ("draft", "submitted", "in_review", "info_requested"):
        return redirect(url_for("borrower.application", reference=reference), code=303)
    return render_template("borrower/apply/withdraw.html", a=application, form=DeleteForm())


@bp.route("/applications/<reference>/withdraw", methods=["POST"])
@borrower_required
def withdraw(reference: str):
    """Withdraw the application."""
    application = own_application(reference)
    if not DeleteForm().validate_on_submit():
        abort(400)
    try:
        transitions.withdraw(db.session, application, **acting())
    except IllegalTransition:
        db.session.rollback()
        flash(_("This application can no longer be withdrawn."), "info")
        return redirect(url_for("borrower.application", reference=reference), code=303)
    flash(_("Your application has been withdrawn."), "info")
    return redirect(url_for("borrower.application", reference=reference), code=303)


@bp.route("/applications/<reference>/answer", methods=["POST"])
@borrower_required
def answer(reference: str):
    """Answer a request for information."""
    application = own_application(reference)
    form = AnswerForm()
    if application.status != "info_requested":
        return redirect(url_for("borrower.application", reference=reference), code=303)
    if form.validate_on_submit():
        transitions.answer_information(db.session, application, answer=form.answer.data.strip(), **acting())
        flash(_("Thank you. Your answer has been sent to the reviewer."), "info")
        return redirect(url_for("borrower.application", reference=reference), code=303)
    history = queries.history(db.session, application)
    return render_template(
        "borrower/apply/application.html",
        a=application,
        history=history,
        just_sent=False,
        delete_form=DeleteForm(),
        answer_form=form,
        appeal_form=AppealForm(),
        as_of=business_date(),
        can_appeal=False,
        **pay_now_context(application, business_date()),
    )


def _offer_page(application, form):
    """The offer beside the current and the requested schedules, with the accept form (fresh or with errors)."""
    as_of = business_date()
    calc = calculation.calculator(db.session, application, as_of)
    quote = offers.offered_quote(db.session, application, as_of, calc)
    # The form carries the upfront date this page shows, so the borrower accepts the offer as they saw it.
    form.upfront_due.data = quote.upfront_due.isoformat() if quote.upfront_due else ""
    return render_template(
        "borrower/apply/offer.html",
        a=application,
        q=quote,
        p=calc.position,
        waived=offers.offer_waivers(application, calc.position.report),
        as_of=as_of,
        requested=serialisation.schedule_from_json(application.quote.get("schedule", [])),
        form=form,
        decline_form=DeleteForm(),
        code_form=DeleteForm(),
    )


@bp.route("/applications/<reference>/offer")
@borrower_required
def offer(reference: str):
    """The offer (approval or counter-offer) beside the current and the requested schedules, and how to accept."""
    application = own_application(reference)
    if application.status not in ("approved", "countered"):
        return redirect(url_for("borrower.application", reference=reference), code=303)
    return _offer_page(application, AgentAcceptForm() if by_agent() else AcceptForm())


@bp.route("/applications/<reference>/offer/code", methods=["POST"])
@borrower_self_required
def offer_code(reference: str):
    """Send a text-message code to confirm accepting the offer."""
    application = own_application(reference)
    if not DeleteForm().validate_on_submit():
        abort(400)
    if application.status in ("approved", "countered"):
        code = codes.issue(db.session, current_user.row, "accept")
        if code is not None:
            notices.confirmation_code(db.session, current_user.row, code)
        flash(_("We sent a 6-digit code to your phone. It is valid for 5 minutes."), "info")
    return redirect(url_for("borrower.offer", reference=reference) + "#accept", code=303)


@bp.route("/applications/<reference>/accept", methods=["POST"])
@borrower_required
def accept(reference: str):
    """Accept the offer: the new schedule is put in force at once, with the agreement and its hash."""
    application = own_application(reference)
    if application.status not in ("approved", "countered"):
        return redirect(url_for("borrower.application", reference=reference), code=303)
    as_of = business_date()
    if by_agent():
        return _accept_for_borrower(application, as_of)
    form = AcceptForm()
    if form.validate_on_submit():
        confirmed = False
        if form.password.data:
            # The password is checked under the sign-in lockout (one counter per borrower, shared with sign-in
            # and password change), or this form would let a stolen session guess it without limit.
            checked = credentials.check_password(
                throttle.borrower_key(current_user.row.phone),
                current_user.row,
                form.password.data,
                refused={
                    "action": "application.accept_locked",
                    "subject": f"application:{application.id}",
                    **acting(),
                },
            )
            if checked.locked:
                return _offer_locked(application, form, checked.retry_after)
            confirmed = checked.ok
            if not confirmed:
                form.password.errors.append(_("That password is not right."))
        elif form.code.data:
            # A spent try stays spent (the credential service spends it in a transaction of its own).
            confirmed = credentials.check_code(
                throttle.borrower_key(current_user.row.phone),
                lambda own: codes.check(own, current_user.row, "accept", form.code.data),
            ).ok
            if not confirmed:
                form.code.errors.append(_("That code is not right or has expired. Ask for a new one."))
        else:
            form.password.errors.append(_("Enter your password, or a text message code, to confirm."))
        if confirmed:
            try:
                offers.accept(
                    db.session,
                    application,
                    as_of=as_of,
                    confirmation="password" if form.password.data else "sms_code",
                    upfront_due=_shown_upfront_due(form),
                    **acting(),
                )
            except (ServiceError, IllegalTransition) as error:
                db.session.rollback()
                if _upfront_date_passed(error, form):
                    return redirect(url_for("borrower.offer", reference=reference), code=303)
                flash(
                    _("This offer can no longer be accepted. Please look at the application's status."),
                    "info",
                )
                return redirect(url_for("borrower.application", reference=reference), code=303)
            flash(_("Done. Your new repayment schedule is in force."), "info")
            # A short page with what to pay now, not the long agreement (one tap away from it).
            return redirect(url_for("borrower.application", reference=reference, accepted=1), code=303)
    return _offer_page(application, form)


def _offer_locked(application, form, retry_after: int):
    """The offer page, refused with 429 and Retry-After while the borrower's password is locked; the message sits
    at the password field, where this form reports its errors."""
    form.password.errors.append(credentials.locked_message(retry_after))
    return credentials.locked_response(_offer_page(application, form), retry_after)


def _accept_for_borrower(application, as_of):
    """An agent accepts on the call: no password or code (those stay the borrower's own), but the reference of
    the borrower's recorded spoken consent, kept in the agreement and on the audit row."""
    form = AgentAcceptForm()
    if not form.validate_on_submit():
        return _offer_page(application, form)
    consent = form.consent_reference.data.strip()
    try:
        offers.accept(
            db.session,
            application,
            as_of=as_of,
            confirmation="phone",
            consent_reference=consent,
            upfront_due=_shown_upfront_due(form),
            **acting(),
        )
    except (ServiceError, IllegalTransition) as error:
        db.session.rollback()
        if _upfront_date_passed(error, form):
            return redirect(url_for("borrower.offer", reference=application.reference), code=303)
        flash(_("This offer can no longer be accepted. Please look at the application's status."), "info")
        return redirect(url_for("borrower.application", reference=application.reference), code=303)
    flash(_("Done. The borrower's new repayment schedule is in force."), "info")
    return redirect(url_for("borrower.application", reference=application.reference, accepted=1), code=303)


def _shown_upfront_due(form) -> date | None:
    """The upfront date the offer page showed, from the accept form; None when it showed none."""
    try:
        return date.fromisoformat(form.upfront_due.data or "")
    except ValueError:
        return None


def _upfront_date_passed(error: Exception, form) -> bool:
    """Whether acceptance was refused because the offer's upfront date is today or past; flashes why."""
    if not isinstance(error, ServiceError) or error.code != "upfront_due_passed":
        return False
    shown = _shown_upfront_due(form)
    flash(
        _(
            "The up-front payment on the offer you saw was due by %(date)s, and that day has come. We have "
            "worked out a new date from today: check the offer again and accept it if it suits you.",
            date=date_long(shown) if shown else "",
        ),
        "info",
    )
    return True


@bp.route("/applications/<reference>/decline", methods=["POST"])
@borrower_required
def decline(reference: str):
    """Decline a counter-offer."""
    application = own_application(reference)
    if not DeleteForm().validate_on_submit():
        abort(400)
    try:
        transitions.decline(db.session, application, **acting())
    except IllegalTransition:
        db.session.rollback()
        return redirect(url_for("borrower.application", reference=reference), code=303)
    flash(_("You declined the offer. You can ask for help again at any time."), "info")
    return redirect(url_for("borrower.application", reference=reference), code=303)


@bp.route("/applications/<reference>/agreement")
@borrower_required
def agreement(reference: str):
    """The signed agreement, printable, in the borrower's language, with its content hash."""
    application = own_application(reference)
    if not application.agreement:
        abort(404)
    return render_template(
        "borrower/apply/agreement.html",
        a=application,
        ag=application.agreement,
        waived=offers.agreement_waivers(application.agreement),
    )


@bp.route("/applications/<reference>/appeal", methods=["POST"])
@borrower_required
def appeal(reference: str):
    """Ask for a rejection to be looked at again by a senior reviewer who took no part in it."""
    application = own_application(reference)
    form = AppealForm()
    as_of = business_date()
    if not decisions.can_appeal(application, as_of):
        return redirect(url_for("borrower.application", reference=reference), code=303)
    if form.validate_on_submit():
        decisions.appeal(db.session, application, note=form.reason.data.strip(), as_of=as_of, **acting())
        flash(
            _(
                "Your appeal has been sent. A senior member of staff who did not make the first decision will "
                "look at it."
            ),
            "info",
        )
        return redirect(url_for("borrower.application", reference=reference), code=303)
    history = queries.history(db.session, application)
    return render_template(
        "borrower/apply/application.html",
        a=application,
        history=history,
        just_sent=False,
        delete_form=DeleteForm(),
        answer_form=AnswerForm(),
        appeal_form=form,
        as_of=as_of,
        can_appeal=True,
        **pay_now_context(application, as_of),
    )
