"""Sign-in, sign-out and the language switcher."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_login import current_user

from portal import db
from portal.auth import codes, credentials, limits, sign_ins, throttle, totp
from portal.auth.access import client_address
from portal.auth.forms import (
    CodeRequestForm,
    CodeSignInForm,
    PasswordSignInForm,
    StaffCodeForm,
    StaffSignInForm,
)
from portal.auth.sessions import BorrowerUser, StaffPrincipal, end_all_sessions, safe_next, start_session
from portal.clock import real_timestamp, utcnow
from portal.core import outbox
from portal.i18n import LANGUAGES
from portal.i18n import gettext as _
from portal.people import directory
from portal.people.models import Borrower, StaffUser, mask_phone
from portal.web.forms import LanguageForm

bp = Blueprint("auth", __name__)


def _too_many(retry_after: int, template: str, form, **context):
    body = render_template(template, form=form, locked=credentials.locked_message(retry_after), **context)
    return credentials.locked_response(body, retry_after)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Borrower sign-in with phone number and password."""
    if current_user.is_authenticated and current_user.kind == "borrower":
        return redirect(url_for("borrower.dashboard"))
    form = PasswordSignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        key = throttle.borrower_key(form.phone.data)
        borrower = directory.borrower_by_phone(db.session, form.phone.data)
        checked = credentials.check_password(
            key,
            borrower,
            form.password.data,
            refused={"actor": key, "action": "sign_in.locked", "subject": key},
            client=client_address(),
        )
        if checked.locked:
            return _too_many(checked.retry_after, "auth/sign_in.html", form)
        if checked.ok:
            _keep_chosen_language(borrower)
            sign_ins.borrower_signed_in(db.session, borrower, "password")
            start_session(BorrowerUser(borrower))
            return redirect(safe_next(form.next.data, url_for("borrower.dashboard")))
        form.password.errors.append(_("The phone number or password is not right. Check them and try again."))
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-in/code", methods=["GET", "POST"])
def request_code():
    """Step 1 of signing in by SMS: ask for a code."""
    form = CodeRequestForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        # Counted whether or not the number is ours, so a refusal tells nothing about who is a customer.
        refusal = limits.sms_code(form.phone.data, client_address())
        if refusal is not None:
            form.phone.errors.append(credentials.too_many_codes_message(refusal.retry_after))
            body = render_template("auth/request_code.html", form=form)
            return credentials.locked_response(body, refusal.retry_after)
        borrower = directory.borrower_by_phone(db.session, form.phone.data)
        if borrower is not None:
            code = codes.issue(db.session, borrower, "sign_in")
            with force_locale(borrower.locale):
                body = _(
                    "Your sign-in code is %(code)s. It is valid for 5 minutes. Never tell anyone this code.",
                    code=code,
                )
            outbox.queue(db.session, borrower, kind="sign_in_code", body=body, urgent=True)
            outbox.deliver_urgent_once_committed()
        # The same answer whether or not the number is ours: the page must not reveal who is a customer.
        session["otp_phone"] = form.phone.data
        return redirect(url_for("auth.enter_code", next=form.next.data or None))
    return render_template("auth/request_code.html", form=form)


@bp.route("/sign-in/code/enter", methods=["GET", "POST"])
def enter_code():
    """Step 2 of signing in by SMS: enter the code."""
    phone = session.get("otp_phone")
    if not phone:
        return redirect(url_for("auth.request_code"))
    form = CodeSignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        # The code route has its own lockout: a password guessed wrong elsewhere never closes it.
        key = throttle.borrower_code_key(phone)
        borrower = directory.borrower_by_phone(db.session, phone)
        checked = credentials.check_code(
            key, lambda own: codes.check(own, borrower, "sign_in", form.code.data) if borrower else None
        )
        if checked.locked:
            return _too_many(checked.retry_after, "auth/enter_code.html", form)
        if checked.ok:
            _keep_chosen_language(borrower)
            sign_ins.borrower_signed_in(db.session, borrower, "sms_code")
            session.pop("otp_phone", None)
            start_session(BorrowerUser(borrower))
            return redirect(safe_next(form.next.data, url_for("borrower.dashboard")))
        form.code.errors.append(_("That code is not right or has expired. Check it, or ask for a new code."))
    return render_template("auth/enter_code.html", form=form, masked_phone=mask_phone(phone))


@bp.route("/staff/sign-in", methods=["GET", "POST"])
def staff_sign_in():
    """Staff sign-in."""
    if current_user.is_authenticated and current_user.kind == "staff":
        return redirect(url_for("staff.home"))
    form = StaffSignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        key = throttle.staff_key(form.username.data)
        staff = directory.staff_by_username(db.session, form.username.data)
        checked = credentials.check_password(
            key,
            staff if staff is not None and staff.active else None,
            form.password.data,
            client=client_address(),
        )
        if checked.locked:
            return _too_many(checked.retry_after, "auth/staff_sign_in.html", form)
        if checked.ok:
            if totp.required(staff):
                # The password alone does not sign in: the second step asks for the authenticator code, or, for
                # someone without one yet, shows a new secret to enrol (made here, on a POST: no GET writes).
                if not totp.enrolled(staff):
                    staff.totp_secret = totp.new_secret()
                _start_pending(staff, form.next.data)
                target = "auth.staff_code" if totp.enrolled(staff) else "auth.staff_enrol"
                return redirect(url_for(target))
            sign_ins.staff_signed_in(db.session, staff)
            start_session(StaffPrincipal(staff))
            return redirect(safe_next(form.next.data, url_for("staff.home")))
        form.password.errors.append(_("The user name or password is not right."))
    return render_template("auth/staff_sign_in.html", form=form)


# --- The staff second factor ----------------------------------------------------------------------------------

PENDING_SECONDS = 5 * 60  # the password step is good for 5 minutes of finding the phone


def _start_pending(staff: StaffUser, next_url: str | None) -> None:
    """Password accepted, code still to come: a fresh session that signs nobody in yet."""
    keep_lang = session.get("lang")
    session.clear()
    if keep_lang:
        session["lang"] = keep_lang
    session.update(
        pending_staff=staff.id,
        pending_sv=staff.session_version,
        pending_at=int(real_timestamp()),
        pending_next=(next_url or "")[:2000],
    )


def _pending_staff() -> StaffUser | None:
    """The member of staff whose password this browser gave in the last 5 minutes, if any."""
    staff_id, started = session.get("pending_staff"), session.get("pending_at")
    if not isinstance(staff_id, int) or not isinstance(started, int):
        return None
    if not 0 <= real_timestamp() - started <= PENDING_SECONDS:
        return None
    staff = db.session.get(StaffUser, staff_id)
    if staff is None or not staff.active or staff.session_version != session.get("pending_sv"):
        return None
    if not totp.required(staff):
        return None
    return staff


def _finish_staff_sign_in(staff: StaffUser, method: str):
    next_url = session.get("pending_next")
    sign_ins.staff_signed_in(db.session, staff, method)
    start_session(StaffPrincipal(staff))
    totp.mark_confirmed()
    return redirect(safe_next(next_url, url_for("staff.home")))


def _no_store(response):
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _code_attempt(staff: StaffUser, form, template: str, totp_secret: str | None = None, **context):
    """Check the posted code with the lockout counted in the database. Returns (ok, refusal response)."""
    checked = credentials.check_code(
        totp.throttle_key(staff), lambda own: totp.check(own, staff, form.code.data, secret=totp_secret)
    )
    if checked.locked:
        return False, _no_store(_too_many(checked.retry_after, template, form, **context))
    if checked.ok:
        return True, None
    form.code.errors.append(
        _("That code is not right. Enter the 6-digit code your authenticator app shows now.")
    )
    return False, None


@bp.route("/staff/sign-in/code", methods=["GET", "POST"])
def staff_code():
    """Staff sign-in, second step: the 6-digit code from the authenticator app."""
    staff = _pending_staff()
    if staff is None:
        return redirect(url_for("auth.staff_sign_in"))
    if not totp.enrolled(staff):
        return redirect(url_for("auth.staff_enrol"))
    form = StaffCodeForm()
    if form.validate_on_submit():
        ok, refused = _code_attempt(staff, form, "auth/staff_code.html")
        if refused is not None:
            return refused
        if ok:
            return _finish_staff_sign_in(staff, "password+totp")
    return _no_store(render_template("auth/staff_code.html", form=form))


@bp.route("/staff/sign-in/enrol", methods=["GET", "POST"])
def staff_enrol():
    """Staff sign-in for someone without an authenticator yet: scan the code (or type the secret), confirm once."""
    staff = _pending_staff()
    if staff is None or not staff.totp_secret:
        return redirect(url_for("auth.staff_sign_in"))
    if totp.enrolled(staff):
        return redirect(url_for("auth.staff_code"))
    secret = staff.totp_secret
    context = {"qr": totp.qr_svg(staff, secret), "secret": totp.grouped(secret), "username": staff.username}
    form = StaffCodeForm()
    if form.validate_on_submit():
        ok, refused = _code_attempt(staff, form, "auth/staff_enrol.html", totp_secret=secret, **context)
        if refused is not None:
            return refused
        if ok:
            staff.totp_enrolled_at = utcnow()
            sign_ins.staff_enrolled(db.session, staff)
            return _finish_staff_sign_in(staff, "password+totp")
    return _no_store(render_template("auth/staff_enrol.html", form=form, **context))


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    """Sign out everywhere: every session of this user ends, on every device."""
    was_staff = current_user.is_authenticated and current_user.kind == "staff"
    if current_user.is_authenticated:
        sign_ins.signed_out(db.session, current_user.actor)
        end_all_sessions(current_user)
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.staff_sign_in" if was_staff else "auth.sign_in"))


def _keep_chosen_language(borrower: Borrower) -> None:
    """A language chosen on the sign-in pages (kept in the session) becomes the borrower's saved preference, so
    the pages after signing in stay in it rather than switching back to the one saved earlier."""
    chosen = session.get("lang")
    if chosen in LANGUAGES and borrower.locale != chosen:
        borrower.locale = chosen


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch language; a signed-in person's choice is saved as their preference."""
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.row.locale = form.lang.data
    return redirect(safe_next(form.next.data, url_for("borrower.dashboard")), code=303)
