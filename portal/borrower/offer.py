"""The offer on a decided application: seeing it, the confirmation code, accepting, declining, the agreement."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal import db
from portal.applications import calculation, notices, offers, serialisation, transitions
from portal.auth import codes, credentials, limits, throttle
from portal.auth.access import (
    borrower_required,
    borrower_self_required,
    client_address,
    live_assisted_session,
)
from portal.borrower import bp
from portal.borrower.forms import AcceptForm, AgentAcceptForm, DeleteForm
from portal.borrower.journey import acting, by_agent, own_application
from portal.clock import business_date
from portal.domain.lifecycle import IllegalTransition
from portal.i18n import date_long
from portal.i18n import gettext as _
from portal.loans.services import ServiceError
from portal.support import consent as support_consent


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
        refusal = limits.sms_code(current_user.row.phone, client_address())
        if refusal is not None:
            form = AcceptForm()
            form.code.errors = [credentials.too_many_codes_message(refusal.retry_after)]
            return credentials.locked_response(_offer_page(application, form), refusal.retry_after)
        notices.confirmation_code(
            db.session, current_user.row, codes.issue(db.session, current_user.row, "accept")
        )
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
            # Counted under the borrower's code lockout, as at sign-in by code; a spent try stays spent (the
            # credential service spends it in a transaction of its own).
            checked = credentials.check_code(
                throttle.borrower_code_key(current_user.row.phone),
                lambda own: codes.check(own, current_user.row, "accept", form.code.data),
                refused={
                    "action": "application.accept_locked",
                    "subject": f"application:{application.id}",
                    **acting(),
                },
            )
            if checked.locked:
                return _offer_locked(application, form, checked.retry_after, field="code")
            confirmed = checked.ok
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


def _offer_locked(application, form, retry_after: int, field: str = "password"):
    """The offer page, refused with 429 and Retry-After while the borrower's password (or code) is locked; the
    message sits at the field that was used."""
    getattr(form, field).errors.append(credentials.locked_message(retry_after))
    return credentials.locked_response(_offer_page(application, form), retry_after)


def _accept_for_borrower(application, as_of):
    """An agent accepts on the call: no password or code (those stay the borrower's own), but the reference of
    the borrower's recorded spoken consent, kept in the agreement and on the audit row."""
    form = AgentAcceptForm()
    if not form.validate_on_submit():
        return _offer_page(application, form)
    consent = support_consent.issue(
        db.session,
        current_user.row,
        live_assisted_session(),
        action="accept",
        subject=f"application:{application.id}",
    )
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
    flash(
        _("Consent reference %(reference)s is on the record: read it to the borrower.", reference=consent),
        "info",
    )
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
