"""Where staff start: each role's first page, one's own password, and the approval queue."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from portal import db
from portal.applications import claims
from portal.applications import queue as queue_query
from portal.applications.decisions import REVIEWERS
from portal.auth import password_change
from portal.auth.access import staff_required
from portal.clock import business_date
from portal.domain.options import OPTION_KINDS
from portal.domain.proposal import PROPOSAL
from portal.staff import bp


@bp.route("/")
@staff_required()
def home():
    """Each role's starting page."""
    if current_user.role in REVIEWERS:
        return redirect(url_for("staff.queue"))
    if current_user.role == "admin":
        return redirect(url_for("staff.outcomes"))
    if current_user.role == "agent":
        return redirect(url_for("agents.home"))
    return redirect(url_for("staff.borrowers"))


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required()
def change_password():
    """Change one's own password, whatever one's role."""
    return password_change.staff_page(done=url_for("staff.home"))


@bp.route("/queue")
@staff_required(*REVIEWERS, "admin")
def queue():
    """Open applications, filtered and sorted; the filters are a GET form, so a view is a shareable URL."""
    filters = queue_query.Filters.from_args(request.args)
    today = business_date()
    result = queue_query.page(db.session, filters, staff_id=current_user.row.id, today=today)
    branches = queue_query.branch_choices(db.session)
    return render_template(
        "staff/queue.html",
        page=result,
        f=filters,
        branches=branches,
        today=today,
        statuses=queue_query.QUEUE_STATUSES,
        buckets=queue_query.BUCKETS,
        bands=queue_query.AMOUNT_BANDS,
        kinds=(*OPTION_KINDS, PROPOSAL),  # a borrower's own offer can be found like any plan
        # Every row links to its case: the path is built once for the page, not by the router 25 times.
        case_path=url_for("staff.case", reference="-")[:-1],
        taken=claims.taken_from(db.session, current_user.row),
        taken_days=claims.TAKEN_NOTICE_DAYS,
    )
