"""Staff list of borrowers' requests for a visit or a call back; an agent (or admin) marks one done."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal import db
from portal.applications.decisions import REVIEWERS
from portal.auth.access import staff_required
from portal.i18n import gettext as _
from portal.staff import bp
from portal.support import help as help_service
from portal.support.models import HelpRequest
from portal.web.forms import PortalForm

HANDLERS = ("agent", "admin")


class DoneForm(PortalForm):
    """Mark a request done (CSRF only)."""


@bp.route("/help-requests")
@staff_required(*HANDLERS, *REVIEWERS)
def help_requests():
    """Open requests, oldest first, and the most recently handled; reviewers read, agents and admins act."""
    return render_template(
        "staff/help_requests.html",
        open_rows=help_service.open_requests(db.session),
        done_rows=help_service.recent_done(db.session, limit=20),
        can_act=current_user.role in HANDLERS,
        form=DoneForm(),
    )


@bp.route("/help-requests/<int:request_id>/done", methods=["POST"])
@staff_required(*HANDLERS)
def help_request_done(request_id: int):
    """Mark one request done (audited)."""
    row = db.session.get(HelpRequest, request_id)
    if row is None:
        abort(404)
    if not DoneForm().validate_on_submit():
        abort(400)
    changed = help_service.mark_done(db.session, row, current_user.row, actor=current_user.actor)
    flash(_("Marked done.") if changed else _("That request was already done."), "info")
    return redirect(url_for("staff.help_requests"), code=303)
