"""Phone agents' pages: their day (callbacks, calls, open sessions), find a caller, verify them, the borrower's
record with call notes and callbacks. Agents only: everyone else gets 404.

A verified caller opens a 30-minute assisted session; while it lasts the agent uses the borrower's own pages
(portal/borrower), under the banner, as the borrower's helper: see `portal.auth.access.acting`.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal import db
from portal.agents.forms import ActionForm, CallbackForm, CodeForm, FindForm, NoteForm, QuestionsForm
from portal.applications import queries
from portal.auth import credentials
from portal.auth.access import live_assisted_session, staff_required
from portal.clock import business_date, local_time, stored_moment
from portal.core import audit
from portal.i18n import gettext as _
from portal.loans import positions
from portal.loans.queries import borrower_loans
from portal.people.models import Borrower
from portal.support import calls as support_calls
from portal.support import help as help_requests
from portal.support import notes as support_notes
from portal.support import search as support_search
from portal.support import sessions as support_sessions
from portal.support.models import HelpRequest

# Borrowers' own call-back requests shown on the agent's page; the rest are on the requests page.
AGENT_PAGE_REQUESTS = 10

bp = Blueprint("agents", __name__, url_prefix="/agent")

agent_required = staff_required("agent")


@bp.app_context_processor
def _assisting():
    """The banner's session on every page an agent sees while it lasts."""
    return {"assisting": live_assisted_session(), "end_form": ActionForm}


@bp.app_template_filter("clock")
def clock(moment) -> str:
    """A stored UTC moment as the institution's local time of day, e.g. 14:32."""
    return f"{local_time(moment):%H:%M}" if moment else ""


def _home_page(revealed: dict | None = None, dial: tuple | None = None):
    agent = current_user.row
    today = business_date()
    return render_template(
        "agents/home.html",
        today=today,
        callbacks=support_notes.todays_callbacks(db.session, agent.id, today),
        calls=support_notes.recent_calls(db.session, agent.id),
        sessions=support_sessions.open_sessions(db.session, agent.id),
        asked=help_requests.open_requests(db.session, kind="callback", limit=AGENT_PAGE_REQUESTS + 1),
        asked_limit=AGENT_PAGE_REQUESTS,
        form=ActionForm(),
        local_time=local_time,
        revealed=revealed or {},
        dial=dial,
    )


@bp.route("/")
@agent_required
def home():
    """Today's callbacks, recent calls with their notes, open assisted sessions; numbers masked."""
    return _home_page()


@bp.route("/callbacks/<int:callback_id>/number", methods=["POST"])
@agent_required
def reveal_callback_number(callback_id: int):
    """The whole number to dial for one of the agent's own callbacks, shown on this response only, and audited."""
    callback = support_notes.own_callback(db.session, current_user.row.id, callback_id)
    if callback is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    phone = support_notes.reveal_number(
        db.session, current_user.row, callback.borrower, f"callback:{callback.id}"
    )
    return _home_page(revealed={f"callback:{callback.id}": phone})


@bp.route("/help-requests/<int:request_id>/number", methods=["POST"])
@agent_required
def reveal_request_number(request_id: int):
    """The whole number of a borrower who asked for help (open requests only), audited; from the agent's page or
    the requests page, it comes back on the agent's page."""
    row = db.session.get(HelpRequest, request_id)
    if row is None or row.status != "open":
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    phone = support_notes.reveal_number(db.session, current_user.row, row.borrower, f"help:{row.id}")
    return _home_page(revealed={f"help:{row.id}": phone}, dial=(row.borrower.name, phone))


@bp.route("/find", methods=["GET", "POST"])
@agent_required
def find():
    """Find a caller by phone, loan number, or name and birth date; before verification: name and masked phone.
    Searches are posted: each is counted (a few per 10 minutes per agent) and audited (portal.support.search)."""
    form = FindForm() if request.method == "POST" else FindForm(formdata=None)
    results, status = None, 200
    if request.method == "POST" and form.validate_on_submit() and form.has_query():
        outcome = support_search.search(
            db.session,
            current_user.row,
            phone=form.phone.data or "",
            loan_number=(form.loan.data or "").strip().upper(),
            name=(form.name.data or "").strip(),
            birth_date=form.birth_date.data,
        )
        if outcome.refused_for:
            minutes = (outcome.refused_for + 59) // 60
            form.phone.errors.append(
                _(
                    "You have searched many times in a few minutes. Try again in %(minutes)d minutes.",
                    minutes=minutes,
                )
            )
            body = render_template("agents/find.html", form=form, results=None)
            return credentials.locked_response(body, outcome.refused_for)
        results = outcome.found
    elif request.method == "POST" and not form.errors and not form.has_query():
        form.phone.errors.append(
            _("Enter the phone number, the loan number, or the name with the birth date.")
        )
    return render_template("agents/find.html", form=form, results=results), status


def _borrower_or_404(borrower_id: int) -> Borrower:
    borrower = db.session.get(Borrower, borrower_id)
    if borrower is None:
        abort(404)
    return borrower


def _verify_page(
    borrower: Borrower, code_form=None, questions_form=None, status: int = 200, message=None, method: str = ""
):
    """The verify page; each route shows its own lock (this agent's, for this borrower)."""
    locked = support_calls.locks(db.session, current_user.row.id, borrower.id)
    body = render_template(
        "agents/verify.html",
        b=borrower,
        code_form=code_form or CodeForm(formdata=None),
        questions_form=questions_form or QuestionsForm(formdata=None),
        code_locked=(locked["support_code"] + 59) // 60,
        questions_locked=(locked["questions"] + 59) // 60,
        message=message,
    )
    if method and locked.get(method) and status == 429:
        # The one refusal of a locked check (sign-in's too): the page, 429 and Retry-After.
        return credentials.locked_response(body, locked[method])
    return current_app.make_response((body, status))


@bp.route("/borrowers/<int:borrower_id>/verify")
@agent_required
def verify(borrower_id: int):
    """Verify the caller: with the support code from their portal, or with the knowledge questions."""
    return _verify_page(_borrower_or_404(borrower_id))


def _after_attempt(borrower: Borrower, result, method: str, code_form=None, questions_form=None):
    if result.verified:
        flash(
            _(
                "Verified. You can help %(name)s until %(time)s.",
                name=borrower.name,
                time=clock(result.assisted.expires_at),
            ),
            "info",
        )
        return redirect(url_for("agents.borrower", borrower_id=borrower.id), code=303)
    if result.locked_for:
        return _verify_page(borrower, code_form, questions_form, status=429, method=method)
    message = _(
        "That did not match. %(left)d more tries before this way of checking is locked for you for 30 minutes.",
        left=result.tries_left,
    )
    return _verify_page(borrower, code_form, questions_form, status=200, message=message)


@bp.route("/borrowers/<int:borrower_id>/verify/code", methods=["POST"])
@agent_required
def verify_code(borrower_id: int):
    """Check the support code the caller reads out."""
    borrower = _borrower_or_404(borrower_id)
    form = CodeForm()
    if not form.validate_on_submit():
        return _verify_page(borrower, code_form=form)
    result = support_calls.verify_with_code(
        db.session,
        current_user.row,
        borrower,
        form.code.data,
        help_phone=current_app.config["INSTITUTION_PHONE"],
    )
    return _after_attempt(borrower, result, "support_code", code_form=form)


@bp.route("/borrowers/<int:borrower_id>/verify/questions", methods=["POST"])
@agent_required
def verify_questions(borrower_id: int):
    """Check the caller's answers to the knowledge questions (all three must be right)."""
    borrower = _borrower_or_404(borrower_id)
    form = QuestionsForm()
    if not form.validate_on_submit():
        return _verify_page(borrower, questions_form=form)
    result = support_calls.verify_with_answers(
        db.session,
        current_user.row,
        borrower,
        id_last4=form.id_last4.data,
        birth_date=form.birth_date.data,
        last_payment=form.last_payment.amount,
        help_phone=current_app.config["INSTITUTION_PHONE"],
    )
    return _after_attempt(borrower, result, "questions", questions_form=form)


def _assisted_for(borrower_id: int):
    """The agent's live session for this borrower, or 404 (no verified session, no record)."""
    assisted = live_assisted_session()
    if assisted is None or assisted.borrower_id != borrower_id:
        abort(404)
    return assisted


def _record_page(assisted, note_form=None, callback_form=None, status: int = 200):
    borrower = assisted.borrower
    as_of = business_date()
    loans = borrower_loans(db.session, borrower.id)
    return render_template(
        "agents/borrower.html",
        b=borrower,
        assisted=assisted,
        positions=[positions.loan_position(db.session, loan, as_of) for loan in loans],
        applications=queries.borrower_applications(db.session, borrower.id),
        notes=support_notes.borrower_notes(db.session, borrower.id),
        callbacks=support_notes.borrower_callbacks(db.session, borrower.id),
        note_form=note_form or NoteForm(formdata=None),
        callback_form=callback_form or CallbackForm(formdata=None),
        as_of=as_of,
        local_time=local_time,
    ), status


@bp.route("/borrowers/<int:borrower_id>")
@agent_required
def borrower(borrower_id: int):
    """The borrower's record on the call: loans, applications, notes, callbacks (viewing it is on the record)."""
    assisted = _assisted_for(borrower_id)
    audit.record_in_own_transaction(
        actor=current_user.actor,
        on_behalf_of=f"borrower:{borrower_id}",
        channel="phone",
        action="borrower.viewed",
        subject=f"borrower:{borrower_id}",
        data={"page": "agents.borrower"},
    )
    return _record_page(assisted)


@bp.route("/borrowers/<int:borrower_id>/notes", methods=["POST"])
@agent_required
def add_note(borrower_id: int):
    """Write a note on the call."""
    assisted = _assisted_for(borrower_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _record_page(assisted, note_form=form)
    support_notes.add_note(db.session, current_user.row, assisted, form.body.data.strip())
    flash(_("Note saved."), "info")
    return redirect(url_for("agents.borrower", borrower_id=borrower_id) + "#notes", code=303)


@bp.route("/borrowers/<int:borrower_id>/callbacks", methods=["POST"])
@agent_required
def add_callback(borrower_id: int):
    """Promise a callback at a date and time (institution time)."""
    assisted = _assisted_for(borrower_id)
    form = CallbackForm()
    if not form.validate_on_submit():
        return _record_page(assisted, callback_form=form)
    due_at = stored_moment(form.due_on.data, form.due_time.data)
    support_notes.add_callback(
        db.session, current_user.row, assisted, due_at=due_at, note=(form.note.data or "").strip()
    )
    flash(_("Callback saved."), "info")
    return redirect(url_for("agents.borrower", borrower_id=borrower_id) + "#callbacks", code=303)


@bp.route("/callbacks/<int:callback_id>/done", methods=["POST"])
@agent_required
def callback_done(callback_id: int):
    """Mark one of the agent's own callbacks as made."""
    callback = support_notes.own_callback(db.session, current_user.row.id, callback_id)
    if callback is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    support_notes.complete_callback(db.session, current_user.row, callback)
    flash(_("Callback marked as made."), "info")
    return redirect(url_for("agents.home"), code=303)


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
@agent_required
def end_session(session_id: int):
    """End one of the agent's own assisted sessions now."""
    assisted = support_sessions.own_session(db.session, current_user.row.id, session_id)
    if assisted is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    support_sessions.end_session(db.session, current_user.row, assisted)
    flash(_("The assisted session has ended."), "info")
    return redirect(url_for("agents.home"), code=303)
