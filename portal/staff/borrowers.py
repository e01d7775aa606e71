"""The Borrowers page: every branch's borrowers, searched and paged, and moving one to the other variant."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal import db
from portal.applications.decisions import REVIEWERS
from portal.applications.queue import PAGE_SIZE
from portal.auth.access import staff_required
from portal.i18n import gettext as _
from portal.loans import services
from portal.people import directory
from portal.people.models import Borrower
from portal.staff import bp
from portal.staff.forms import VariantForm
from portal.web.forms import strip_controls


def move_to_variant(borrower: Borrower, variant: str) -> None:
    """Change a borrower's variant (audited by the service) and say what happened."""
    changed = services.change_variant(db.session, borrower, variant, actor=current_user.actor)
    flash(
        _("The borrower's variant is changed. Applications already started keep theirs.")
        if changed
        else _("The borrower already has that variant."),
        "info",
    )


@bp.route("/borrowers")
@staff_required(*REVIEWERS, "admin")
def borrowers():
    """Borrowers of every branch, searchable by name or phone and filterable by branch, newest first. Not for phone
    agents: they find one caller at a time by an exact match, and see nothing more until the caller is verified."""
    return _borrowers_page()


def _borrowers_list_args() -> dict:
    """The Borrowers page's own query (search, branch, page), cleaned: what its links and forms carry on."""
    # Control characters never belong in a search (and PostgreSQL refuses a NUL in a string).
    query_text = strip_controls(request.args.get("q") or "").strip()[:64]
    branch_code = strip_controls(request.args.get("branch") or "")[:16]
    try:
        page = max(1, min(10_000, int(request.args.get("page", "1"))))
    except ValueError:
        page = 1
    return {"q": query_text or None, "branch": branch_code or None, "page": page if page > 1 else None}


@bp.route("/borrowers/<int:borrower_id>/variant", methods=["POST"])
@staff_required(*REVIEWERS, "admin")
def change_borrower_variant(borrower_id: int):
    """Move a borrower to the other variant from the Borrowers page (no application needed); back to the same view."""
    borrower = db.session.get(Borrower, borrower_id)
    if borrower is None:
        abort(404)
    form = VariantForm()
    if not form.validate_on_submit():
        errors = list(form.variant.errors) or [_("Choose a variant.")]
        return _borrowers_page(variant_error=(borrower.id, errors))
    move_to_variant(borrower, form.variant.data)
    # Rebuilt from the page's own cleaned query, so only ever this site's Borrowers page.
    return redirect(url_for("staff.borrowers", **_borrowers_list_args()), code=303)


def _borrowers_page(*, variant_error: tuple[int, list[str]] | None = None):
    """The Borrowers page; `variant_error` is (borrower id, messages) after a refused change of variant."""
    list_args = _borrowers_list_args()
    query_text, branch_code, page = list_args["q"] or "", list_args["branch"] or "", list_args["page"] or 1
    found = directory.borrower_list(
        db.session, search=query_text, branch_code=branch_code, page=page, page_size=PAGE_SIZE
    )
    return render_template(
        "staff/borrowers.html",
        rows=found.rows,
        branches=directory.branches_by_code(db.session),
        q=query_text,
        branch_code=branch_code,
        page=page,
        pages=found.pages,
        total=found.total,
        may_change_variant=current_user.role in (*REVIEWERS, "admin"),
        list_args=list_args,
        variant_error=variant_error,
    )
