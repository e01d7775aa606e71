"""A reviewer's decisions on a case: claim, release, approve, reject, ask, counter-offer, change variant."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from portal import db
from portal.applications import casefile, decisions
from portal.applications.decisions import REVIEWERS
from portal.applications.models import Application
from portal.auth import credentials, totp
from portal.auth.access import staff_required
from portal.clock import business_date
from portal.domain import lifecycle
from portal.domain.options import Terms
from portal.i18n import gettext as _
from portal.i18n import labels
from portal.loans.services import ServiceError
from portal.staff import bp, refusals
from portal.staff.borrowers import move_to_variant
from portal.staff.case_page import load_case, reassign_choices, render_case
from portal.staff.forms import (
    ApproveForm,
    ClaimForm,
    CounterForm,
    InfoForm,
    ReassignForm,
    RejectForm,
    VariantForm,
)

# Decision forms with typed text: a refused one comes back as posted, never losing the message or the note.
KEPT_FORMS = ("approve", "reject", "info", "counter")


def _decide(reference: str, form_name: str, form, action, *, money: bool = False, **page):
    """Shared path of every decision: validate, apply, flush (the request commits); a conflict or a refused rule
    re-renders the case.

    A decision that gives money away (`money`) also needs the second factor confirmed in the last 5 minutes;
    otherwise the same form comes back, everything as it was posted, asking for the code.
    """
    application = load_case(reference)
    if not form.validate_on_submit():
        return render_case(
            application, forms={form_name: form}, status=400 if form.errors.get("csrf_token") else 200, **page
        )
    if money:
        refused = _reconfirm(application, form_name, form, **page)
        if refused is not None:
            return refused
    try:
        # Flushed at once: a stale version shows here (as a Conflict), not at the request's commit.
        message = casefile.decide(db.session, application, action)
    except decisions.Conflict:
        db.session.rollback()
        return _conflict(reference, form_name, form, **page)
    except (ServiceError, lifecycle.IllegalTransition) as error:
        db.session.rollback()
        code = getattr(error, "code", "not_decidable")
        flash(refusals.staff_message(code), "error")
        if form_name in KEPT_FORMS:
            # Everything typed comes back as posted (the version is still the one shown: nothing changed).
            db.session.expire_all()
            return render_case(load_case(reference), forms={form_name: form}, **page)
        return redirect(url_for("staff.case", reference=reference), code=303)
    if message:
        flash(message, "info")
    return redirect(url_for("staff.case", reference=reference), code=303)


def _reconfirm(application: Application, form_name: str, form, **page):
    """None when the second factor is fresh (or the posted code renews it); else the form again, asking for it."""
    if totp.recently_confirmed():
        return None
    staff = current_user.row
    code = form.totp_code.data or ""
    if not code:
        form.totp_code.errors.append(
            _("For your safety, enter the 6-digit code from your authenticator app to confirm this decision.")
        )
        return render_case(application, forms={form_name: form}, **page)
    checked = credentials.check_code(totp.throttle_key(staff), lambda own: totp.check(own, staff, code))
    if checked.locked:
        form.totp_code.errors.append(credentials.locked_message(checked.retry_after))
        body, _status = render_case(application, forms={form_name: form}, **page)
        return credentials.locked_response(body, checked.retry_after)
    if checked.ok:
        totp.mark_confirmed()
        return None
    form.totp_code.errors.append(
        _("That code is not right. Enter the 6-digit code your authenticator app shows now.")
    )
    return render_case(application, forms={form_name: form}, **page)


def _conflict(reference: str, form_name: str, form, **page):
    """Someone changed the case first: the latest version, with what was typed kept (to check and send again)."""
    db.session.expire_all()
    application = load_case(reference)
    flash(str(labels.ERRORS["conflict"]), "error")
    kept = {}
    if form_name in KEPT_FORMS:
        form.version.data = application.row_version
        kept[form_name] = form
    page.pop("counter_preview", None)  # worked out on the old figures
    return render_case(application, forms=kept, status=409)


def _hold_or_let_go(reference: str, service, message: str):
    """Claim or release: the same form (the version seen), the reviewer as the actor."""
    form = ClaimForm()

    def act(application):
        service(db.session, application, current_user.row, seen_version=form.version.data)
        return message

    return _decide(reference, "claim", form, act)


@bp.route("/cases/<reference>/claim", methods=["POST"])
@staff_required(*REVIEWERS)
def claim(reference: str):
    """Take the case."""
    return _hold_or_let_go(reference, decisions.claim, _("You hold this case now."))


@bp.route("/cases/<reference>/release", methods=["POST"])
@staff_required(*REVIEWERS)
def release(reference: str):
    """Put the case back in the queue."""
    return _hold_or_let_go(reference, decisions.release, _("The case is back in the queue."))


@bp.route("/cases/<reference>/reassign", methods=["POST"])
@staff_required("senior_reviewer")
def reassign(reference: str):
    """A senior reviewer puts the case back in the queue or gives it to another reviewer, whoever holds it."""
    form = ReassignForm()
    form.to.choices = reassign_choices(load_case(reference))

    def act(application):
        to = decisions.staff_member(db.session, int(form.to.data)) if form.to.data else None
        decisions.reassign(db.session, application, current_user.row, seen_version=form.version.data, to=to)
        if to is None:
            return _("The case is back in the queue.")
        return _("The case now belongs to %(name)s.", name=to.name)

    return _decide(reference, "reassign", form, act)


@bp.route("/cases/<reference>/approve", methods=["POST"])
@staff_required(*REVIEWERS)
def approve(reference: str):
    """Approve (or give the second approval)."""
    form = ApproveForm()

    def act(application):
        status = decisions.approve(
            db.session,
            application,
            current_user.row,
            as_of=business_date(),
            seen_version=form.version.data,
            waivers=_waivers(form),
            **_staff_texts(form),
        )
        if status == "awaiting_second_approval":
            return _("Above your limit: the case now waits for a senior reviewer's second approval.")
        return _("Approved. The borrower has been told.")

    return _decide(reference, "approve", form, act, money=True)


@bp.route("/cases/<reference>/reject", methods=["POST"])
@staff_required(*REVIEWERS)
def reject(reference: str):
    """Refuse with a reason."""
    form = RejectForm()

    def act(application):
        decisions.reject(
            db.session,
            application,
            current_user.row,
            as_of=business_date(),
            seen_version=form.version.data,
            reason=form.reason.data,
            **_staff_texts(form),
        )
        return _("Rejected. The borrower has been told.")

    return _decide(reference, "reject", form, act)


@bp.route("/cases/<reference>/information", methods=["POST"])
@staff_required(*REVIEWERS)
def request_information(reference: str):
    """Ask the borrower for more information."""
    form = InfoForm()

    def act(application):
        decisions.request_information(
            db.session,
            application,
            current_user.row,
            seen_version=form.version.data,
            question=form.question.data.strip(),
            internal_note=_text(form.internal_note),
        )
        return _("Sent. The case waits for the borrower's answer.")

    return _decide(reference, "info", form, act)


def _text(field) -> str | None:
    return (field.data or "").strip() or None


def _staff_texts(form) -> dict[str, str | None]:
    """The decision's two kinds of text: the message the borrower reads and the note only staff read."""
    return {"message": _text(form.message), "internal_note": _text(form.internal_note)}


def _waivers(form) -> dict[str, bool]:
    return {"penalty": form.waive_penalty.data, "compound": form.waive_compound.data}


def _counter_terms(form: CounterForm) -> Terms:
    return Terms(
        months=form.months.data,
        upfront=form.upfront.amount or 0,
        pay_day=form.pay_day.data,
        income_months=tuple(sorted(int(m) for m in form.income_months.data or ())),
        spread_charges=form.spread_charges.data or 1,
    )


def _preview(application: Application, form: CounterForm):
    return decisions.counter_quote(
        db.session, application, form.kind.data, _counter_terms(form), business_date(), _waivers(form)
    )


@bp.route("/cases/<reference>/counter", methods=["POST"])
@staff_required(*REVIEWERS)
def counter(reference: str):
    """Preview a counter-offer, then send it."""
    form = CounterForm()
    application = load_case(reference)
    if request.form.get("action") != "send":
        if not form.validate_on_submit():
            return render_case(application, forms={"counter": form})
        return render_case(application, forms={"counter": form}, counter_preview=_preview(application, form))

    def act(application):
        status = decisions.counter(
            db.session,
            application,
            current_user.row,
            as_of=business_date(),
            seen_version=form.version.data,
            kind=form.kind.data,
            terms=_counter_terms(form),
            waivers=_waivers(form),
            **_staff_texts(form),
        )
        if status == "awaiting_second_approval":
            return _("Above your limit: the counter-offer waits for a senior reviewer's second approval.")
        return _("Counter-offer sent. The borrower has been told.")

    preview = None
    if form.validate_on_submit() and not totp.recently_confirmed():
        # Should the code be asked for, the page comes back with the preview and its send button, as posted.
        preview = _preview(application, form)
    return _decide(reference, "counter", form, act, money=True, counter_preview=preview)


@bp.route("/cases/<reference>/variant", methods=["POST"])
@staff_required(*REVIEWERS, "admin")
def change_variant(reference: str):
    """Move the case's borrower to the other variant; the application keeps the one it was started under."""
    application = load_case(reference)
    form = VariantForm()
    if not form.validate_on_submit():
        return render_case(application, forms={"variant": form})
    move_to_variant(application.borrower, form.variant.data)
    return redirect(url_for("staff.case", reference=reference), code=303)
