"""Staff pages: the branch's borrowers, searchable, as the starting point for casework."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, or_, select

from portal import db
from portal.auth.access import staff_required
from portal.loans.models import Borrower, Branch, Loan

bp = Blueprint("staff", __name__, url_prefix="/staff")

PAGE_SIZE = 25


@bp.route("/")
@staff_required()
def home():
    """Borrowers of every branch, searchable by name or phone and filterable by branch, newest first."""
    query_text = (request.args.get("q") or "").strip()[:64]
    branch_code = (request.args.get("branch") or "")[:16]
    try:
        page = max(1, min(10_000, int(request.args.get("page", "1"))))
    except ValueError:
        page = 1
    loan_count = select(func.count(Loan.id)).where(Loan.borrower_id == Borrower.id).scalar_subquery()
    query = select(Borrower, Branch, loan_count.label("loans")).join(
        Branch, Branch.id == Borrower.home_branch_id
    )
    if query_text:
        like = "%" + query_text.replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            or_(Borrower.name.like(like, escape="\\"), Borrower.phone.like(like, escape="\\"))
        )
    if branch_code:
        query = query.where(Branch.code == branch_code)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.order_by(Borrower.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    branches = db.session.scalars(select(Branch).order_by(Branch.code)).all()
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    return render_template(
        "staff/home.html",
        rows=rows,
        branches=branches,
        q=query_text,
        branch_code=branch_code,
        page=page,
        pages=pages,
        total=total,
    )
