"""Borrower pages: the dashboard of loans and each loan's arrears, schedule and payments."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from portal import db
from portal.auth.access import borrower_required
from portal.loans import services
from portal.loans.clock import business_date

bp = Blueprint("borrower", __name__)


@bp.route("/")
@borrower_required
def dashboard():
    """Every loan with its status, next installment and, when overdue, what it takes to bring it current."""
    as_of = business_date()
    positions = [
        services.loan_position(db.session, loan, as_of)
        for loan in services.borrower_loans(db.session, current_user.row.id)
    ]
    return render_template("borrower/dashboard.html", positions=positions, as_of=as_of)


@bp.route("/loans/<loan_number>")
@borrower_required
def loan(loan_number: str):
    """One loan: arrears with every part, overdue installments, the whole schedule, payments and how to pay."""
    row = services.borrower_loan(db.session, current_user.row.id, loan_number)
    if row is None:
        abort(404)
    as_of = business_date()
    position = services.loan_position(db.session, row, as_of)
    return render_template("borrower/loan.html", p=position, as_of=as_of)
