"""The journey's start and its answer pages: the start page, hardship, money (and rural spending), evidence."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from portal import db, policies
from portal.applications import calculation, drafting
from portal.applications import evidence as evidence_store
from portal.auth import access
from portal.auth.access import borrower_required
from portal.borrower import bp
from portal.borrower.forms import (
    DeleteForm,
    EvidenceForm,
    StartForm,
    budget_form,
    evidence_error,
    hardship_form,
)
from portal.borrower.journey import acting, editable_application, own_application, step_context, steps_for
from portal.clock import business_date
from portal.domain import hardship
from portal.domain.money import from_fen
from portal.i18n import gettext as _
from portal.i18n import labels
from portal.loans import queries
from portal.loans.services import ServiceError
from portal.web.attachments import send_attachment


@bp.route("/loans/<loan_number>/help")
@borrower_required
def start_page(loan_number: str):
    """Before an application exists: what the borrower will need, how long it takes, what happens next.
    Its button starts (or resumes) the application; opening the page changes nothing."""
    loan = queries.borrower_loan(db.session, access.acting().borrower.id, loan_number)
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
    loan = queries.borrower_loan(db.session, access.acting().borrower.id, loan_number)
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
        draft_file_days=evidence_store.DRAFT_FILE_DAYS,
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
