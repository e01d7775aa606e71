"""The help a borrower can ask for from any page's footer: a loan officer's visit (rural) or a call back (urban),
and the help page that gathers every way to get help in the borrower's variant."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal import db
from portal.applications import queries
from portal.auth.access import acting, borrower_required
from portal.borrower import bp
from portal.i18n import gettext as _
from portal.i18n import labels
from portal.i18n import lazy_gettext as _l
from portal.loans.services import ServiceError
from portal.people import branches
from portal.support import help as help_service
from portal.web.forms import PortalForm


def help_form(kind: str, **kwargs) -> PortalForm:
    """The request form for a visit or a call back, with the time windows that kind offers."""

    class HelpForm(PortalForm):
        key = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
        window = RadioField(
            _l("When would suit you?") if kind == "visit" else _l("When should we call you?"),
            choices=[
                SelectChoice(code, labels.HELP_WINDOW_CHOICES[code]) for code in help_service.WINDOWS[kind]
            ],
            validators=[InputRequired(message=_l("Choose a time."))],
        )
        note = TextAreaField(
            _l("How do we find your home? (optional)")
            if kind == "visit"
            else _l("What would you like to talk about? (optional)"),
            description=_l(
                "For example: the house east of the village shop, with the red gate. At most 500 characters."
            )
            if kind == "visit"
            else _l("For example: I want to ask about a repayment plan. At most 500 characters."),
            validators=[
                Optional(),
                Length(max=help_service.MAX_NOTE_CHARS, message=_l("Write at most 500 characters.")),
            ],
            render_kw={"rows": 3, "maxlength": help_service.MAX_NOTE_CHARS},
        )

    return HelpForm(**kwargs)


def _new_key() -> str:
    return secrets.token_urlsafe(24)


@bp.route("/help")
@borrower_required
def help_page():
    """Every way to get help, in the borrower's variant, and the requests they have made."""
    borrower = acting().borrower
    return render_template(
        "borrower/help.html",
        branch=branches.card(db.session, borrower.home_branch_id),
        requests=help_service.borrower_requests(db.session, borrower.id),
    )


def _return_path(borrower_id: int) -> str | None:
    """The plans page the borrower came from (``?from=<reference>`` of their own draft), to go back to; only
    a reference is taken from the address, never a URL, so nothing can send the borrower elsewhere."""
    reference = request.args.get("from", "")
    if not reference or len(reference) > 32:
        return None
    application = queries.borrower_application(db.session, borrower_id, reference)
    if application is None or application.status != "draft":
        return None
    return url_for("borrower.options_step", reference=application.reference)


def _request_view(kind: str):
    who = acting()  # the borrower, or a phone agent asking on the borrower's behalf during a call
    borrower = who.borrower
    if kind not in help_service.offered(borrower.variant):
        abort(404)
    back = _return_path(borrower.id)
    form = help_form(kind)
    if not form.is_submitted():
        form.key.data = _new_key()
    elif form.validate():
        try:
            _row, created = help_service.request_help(
                db.session,
                borrower,
                kind=kind,
                window=form.window.data,
                note=(form.note.data or "").strip(),
                create_key=form.key.data,
                **who.fields,
            )
        except ServiceError:
            db.session.rollback()
            abort(400)
        if created:
            flash(
                _("Thank you. Your branch will call you within 2 working days to agree a day.")
                if kind == "visit"
                else _("Thank you. We will call you back within 2 working days."),
                "info",
            )
        else:
            flash(_("We already have your request. We will be in touch soon."), "info")
        return redirect(back or url_for("borrower.help_page"), code=303)
    branch = branches.card(db.session, borrower.home_branch_id)
    return render_template(f"borrower/help_{kind}.html", form=form, branch=branch, back=back)


@bp.route("/help/visit", methods=["GET", "POST"])
@borrower_required
def help_visit():
    """Ask for a loan officer's visit (上门拜访): rural borrowers."""
    return _request_view("visit")


@bp.route("/help/callback", methods=["GET", "POST"])
@borrower_required
def help_callback():
    """Ask for a call back at a chosen time: urban borrowers."""
    return _request_view("callback")
