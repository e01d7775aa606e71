"""Borrower pages: the dashboard of loans and each loan's arrears, schedule and payments."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal import db
from portal.applications import queries
from portal.auth import password_change
from portal.auth.access import acting, borrower_required, borrower_self_required
from portal.borrower import bp
from portal.borrower.forms import SupportCodeForm
from portal.clock import business_date
from portal.core import outbox
from portal.i18n import current_language, page_variant
from portal.i18n import gettext as _
from portal.loans import queries as loan_queries
from portal.loans.positions import loan_position, loan_summaries
from portal.support import codes as support_codes
from portal.web import page_cache

SCHEDULE_PAGE = 60  # installments on one page of a schedule version
PAYMENTS_LISTED = 12  # the latest payments on a loan's page; every one is on its schedule version's page


@bp.route("/")
@borrower_required
def dashboard():
    """Every loan with its status, next installment and, when overdue, what it takes to bring it current."""
    as_of = business_date()
    who = acting()
    support_code = None
    if not who.by_agent and "support_code_id" in session:
        # The cookie names the code's row only; the digits are read from the server, sealed (portal.support.codes).
        support_code = support_codes.shown_code(db.session, who.borrower.id, session["support_code_id"])
        if support_code is None:
            session.pop("support_code_id")  # used, replaced or expired: nothing left to show
    key = _kept_key(who, as_of) if support_code is None else None
    if key is not None and (page := page_cache.kept(key)) is not None:
        return page
    loans = loan_queries.borrower_loans(db.session, who.borrower.id)
    open_apps = queries.open_by_loan(db.session, who.borrower.id)
    page = render_template(
        "borrower/dashboard.html",
        positions=loan_summaries(db.session, loans, as_of),
        as_of=as_of,
        open_apps=open_apps,
        keep_paying={
            loan_id: keep
            for loan_id, row in open_apps.items()
            if (keep := queries.keep_paying(row)) is not None
        },
        messages=outbox.portal_messages(db.session, who.borrower.id),
        support_code=support_code,
        support_form=SupportCodeForm() if not who.by_agent else None,
        in_person=not who.by_agent,  # account settings are the borrower's own: never shown to an agent for them
    )
    return page_cache.keep(key, page) if key is not None else page


def _kept_key(who, as_of) -> tuple | None:
    """What a borrower's page of their own loans shows depends on, for the page cache (the dashboard and each
    loan page: everything on them is the borrower's loans, schedules, payments, applications and messages, which
    raise `view_version`); None when this view must not be kept or reused: an agent's (their banner, their audit
    rows), one with a message flashed for this response only."""
    if who.by_agent or "_flashes" in session:
        return None
    borrower = who.borrower
    return (
        request.endpoint,
        borrower.id,
        borrower.view_version,
        borrower.home_branch_id,
        as_of,
        current_language(),
        page_variant(),
        request.full_path,
    )


@bp.route("/support-code", methods=["POST"])
@borrower_self_required
def support_code():
    """A 6-digit code to read to our phone staff (10 minutes, once); shown on the dashboard, kept only hashed."""
    if not SupportCodeForm().validate_on_submit():
        abort(400)
    row, _code = support_codes.issue_support_code(db.session, current_user.row)
    # The signed cookie is readable by whoever holds it: it names the code's row, never the code itself.
    session["support_code_id"] = row.id
    flash(_("Here is your support code. Read it to our staff only while you are on a call with us."), "info")
    return redirect(url_for("borrower.dashboard") + "#support-code", code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@borrower_self_required
def change_password():
    """Change one's own password (the borrower in person: an agent acting for them gets 404)."""
    return password_change.borrower_page(done=url_for("borrower.dashboard"))


@bp.route("/loans/<loan_number>")
@borrower_required
def loan(loan_number: str):
    """One loan: arrears with every part, overdue installments, the whole schedule, payments and how to pay.

    Kept like the dashboard (a borrower goes back and forth between the two): a kept page is only ever one this
    borrower was shown for this address, so a loan that is not theirs is refused before anything is kept."""
    who, as_of = acting(), business_date()
    key = _kept_key(who, as_of)
    if key is not None and (page := page_cache.kept(key)) is not None:
        return page
    row = loan_queries.borrower_loan(db.session, who.borrower.id, loan_number)
    if row is None:
        abort(404)
    position = loan_position(db.session, row, as_of)
    open_app, reminders_paused = queries.in_play(db.session, row)
    # The latest payments, newest first, each with what it paid (grouped once, not searched for each row); the
    # older ones are on the pages of the schedules they were received under, as the installments are.
    newest_first = position.all_payments[::-1]
    paid_to: dict[str, list] = {}
    for allocation in position.report.allocations:
        paid_to.setdefault(allocation.reference, []).append(allocation)
    older = newest_first[PAYMENTS_LISTED:]
    page = render_template(
        "borrower/loan.html",
        p=position,
        as_of=as_of,
        payments=newest_first[:PAYMENTS_LISTED],
        paid_to=paid_to,
        older_payments={
            "count": len(older),
            "amount": sum((payment.amount for payment in older), Decimal(0)),
            "versions": [v for v in position.versions if any(x.schedule_version_id == v.id for x in older)],
        },
        versions=list(position.versions),
        open_app=open_app,
        reminders_paused=reminders_paused,
        plan=queries.plan_of_version(db.session, position.version),
    )
    return page_cache.keep(key, page) if key is not None else page


@bp.route("/loans/<loan_number>/schedules/<int:version>")
@borrower_required
def schedule_version(loan_number: str, version: int):
    """An earlier (or the current) version of a loan's schedule, kept readable after a restructuring."""
    row = loan_queries.borrower_loan(db.session, acting().borrower.id, loan_number)
    if row is None:
        abort(404)
    found = loan_queries.schedule_version(db.session, row, version)
    if found is None:
        abort(404)
    # A 30-year loan has 360 lines: shown a page of five years at a time.
    lines = found.lines
    pages = max(1, -(-len(lines) // SCHEDULE_PAGE))
    page = request.args.get("page", 1, type=int)
    page = min(max(1, page), pages)
    return render_template(
        "borrower/schedule_version.html",
        loan=row,
        v=found,
        payments=loan_queries.version_payments(db.session, found),
        versions=loan_queries.schedule_versions(db.session, row),
        lines=lines[(page - 1) * SCHEDULE_PAGE : page * SCHEDULE_PAGE],
        page=page,
        pages=pages,
        per_page=SCHEDULE_PAGE,
        total=len(lines),
    )
