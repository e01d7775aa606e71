"""Finding people: a borrower by the phone they sign in with, a member of staff by user name, the Borrowers list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.people.models import Borrower, Branch, StaffUser


def borrower_by_phone(session: Session, phone: str) -> Borrower | None:
    return session.scalar(select(Borrower).where(Borrower.phone == phone))


def staff_by_username(session: Session, username: str) -> StaffUser | None:
    """User names are stored in lower case; the one typed is matched whatever its case."""
    return session.scalar(select(StaffUser).where(StaffUser.username == username.lower()))


@dataclass(frozen=True)
class BorrowerList:
    """One page of the Borrowers list: rows of (borrower, home branch, number of loans), newest borrower first."""

    rows: list
    total: int
    pages: int


def borrower_list(
    session: Session, *, search: str, branch_code: str, page: int, page_size: int
) -> BorrowerList:
    """Borrowers whose name or phone contains `search` (taken literally: % and _ are no wildcards), of the branch
    coded `branch_code` ("" for every branch), page `page` of `page_size` rows, with the total and page count."""
    # The loan model through the relationship: portal.loans imports this package, so this one cannot import it.
    loan = Borrower.loans.property.mapper.class_
    loan_count = select(func.count(loan.id)).where(loan.borrower_id == Borrower.id).scalar_subquery()
    query = select(Borrower, Branch, loan_count.label("loans")).join(
        Branch, Branch.id == Borrower.home_branch_id
    )
    if search:
        like = "%" + search.replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            or_(Borrower.name.like(like, escape="\\"), Borrower.phone.like(like, escape="\\"))
        )
    if branch_code:
        query = query.where(Branch.code == branch_code)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(
        query.order_by(Borrower.id.desc()).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return BorrowerList(rows=list(rows), total=total, pages=max(1, (total + page_size - 1) // page_size))


def branches_by_code(session: Session) -> list[Branch]:
    """Every branch, in code order (the Borrowers page's branch filter)."""
    return list(session.scalars(select(Branch).order_by(Branch.code)).all())
