"""Changing one's own password: a borrower in person (never a phone agent for them), and any member of staff.

The current password is checked under the same lockout as sign-in (one database counter per account), so this
page cannot be used to guess it: five wrong passwords in 15 minutes, here or at sign-in, and both refuse even the
right one until the window has passed. The current password is only checked once the new one is acceptable, so
every counted attempt is one that would otherwise have changed it.

A change stores the new argon2id hash and raises the session version: every other session of the person, on every
device and worker, ends; this browser carries on, on a fresh session. It is audited, and a borrower is told by
text message (and on their dashboard), so a change they did not make does not go unnoticed.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template
from flask_login import current_user

from portal import db
from portal.auth import credentials, passwords, throttle
from portal.auth.forms import PasswordChangeForm
from portal.auth.sessions import end_other_sessions, renew_session
from portal.auth.views import _too_many
from portal.core import audit, notices, outbox
from portal.i18n import gettext as _

TEMPLATE = "auth/change_password.html"


def borrower_page(done: str):
    """The page for the signed-in borrower (the view is `borrower_self_required`: never an agent for them)."""
    borrower = current_user.row
    return _page(
        key=throttle.borrower_key(borrower.phone),
        user_inputs=(borrower.phone, borrower.name, borrower.birth_date.strftime("%Y%m%d")),
        channel="web",
        done=done,
    )


def staff_page(done: str):
    """The page for the signed-in member of staff (reviewer, senior reviewer, administrator or phone agent)."""
    staff = current_user.row
    return _page(
        key=throttle.staff_key(staff.username),
        user_inputs=(staff.username, staff.name),
        channel="branch",
        done=done,
    )


def _page(*, key: str, user_inputs: tuple[str, ...], channel: str, done: str):
    """The form for the signed-in person; `key` is their sign-in lockout counter; `done` where to go after."""
    staff = current_user.kind == "staff"
    form = PasswordChangeForm(user_inputs=user_inputs)
    page = {"staff_page": staff, "form": form}
    if form.validate_on_submit():
        row = current_user.row
        checked = credentials.check_password(
            key,
            row,
            form.current_password.data,
            refused={"actor": current_user.actor, "action": "password.change_locked", "channel": channel},
        )
        if checked.locked:
            return _too_many(checked.retry_after, TEMPLATE, **page)
        if not checked.ok:
            form.current_password.errors.append(_("Your current password is not right."))
            return render_template(TEMPLATE, **page)
        row.password_hash = passwords.hash_password(form.new_password.data)
        end_other_sessions(current_user)
        audit.record(
            db.session,
            actor=current_user.actor,
            action="password.changed",
            subject=current_user.actor,
            channel=channel,
        )
        if not staff:
            notices.password_changed(db.session, row, current_app.config["INSTITUTION_PHONE"])
            outbox.deliver_urgent_once_committed()
        renew_session(current_user)
        flash(_("Your password has been changed. You have been signed out on every other device."), "info")
        return redirect(done, code=303)
    return render_template(TEMPLATE, **page)
