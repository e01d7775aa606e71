"""A case's documents, opened by the staff working it."""

from __future__ import annotations

from flask import abort

from portal import db
from portal.applications import evidence as evidence_store
from portal.applications.decisions import REVIEWERS
from portal.auth.access import staff_required
from portal.staff import bp
from portal.staff.case_page import load_case, record_viewing
from portal.web.attachments import send_attachment


@bp.route("/cases/<reference>/evidence/<token>")
@staff_required(*REVIEWERS, "admin")
def case_evidence(reference: str, token: str):
    """A document of the case, for the staff working it (the viewing is on the record)."""
    application = load_case(reference)
    if not any(item.token == token and item.data is not None for item in application.evidence):
        abort(404)
    record_viewing(application.id, application.borrower_id, "evidence.viewed")
    return send_attachment(evidence_store.stored_file(db.session, application, token))
