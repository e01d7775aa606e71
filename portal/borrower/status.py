"""An application's pages once sent: the list, its status page, withdrawing, answering and appealing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from portal import db
from portal.applications import decisions, queries, transitions
from portal.auth import access
from portal.auth.access import borrower_required
from portal.borrower import bp
from portal.borrower.forms import AnswerForm, AppealForm, DeleteForm
from portal.borrower.journey import acting, own_application
from portal.clock import business_date
from portal.domain import paynow
from portal.domain.lifecycle import AWAITING_OUTCOME, IN_FORCE, WITHDRAWABLE, IllegalTransition
from portal.i18n import gettext as _
from portal.loans import positions


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
    if application.status not in AWAITING_OUTCOME + IN_FORCE:
        return {"now": None, "deciding": False, "keep_paying": True}
    report = positions.loan_position(db.session, application.loan, as_of).report
    deciding = queries.keep_paying(application)
    return {"now": paynow.pay_now(report), "deciding": deciding is not None, "keep_paying": bool(deciding)}


@bp.route("/applications/<reference>/withdraw")
@borrower_required
def confirm_withdraw(reference: str):
    """Ask before withdrawing: one tap should not undo an application."""
    application = own_application(reference)
    if application.status not in WITHDRAWABLE:
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
