"""Helpers for the phone-agent tests (imported by the test modules in this folder)."""

from __future__ import annotations

import re
import secrets
from contextlib import contextmanager
from urllib.parse import urlsplit

from sqlalchemy import func, select

from portal import db
from portal.applications.models import Application
from portal.core.models import AuditEvent, Notification, ViewRecord
from portal.loans.models import Loan
from portal.people.models import Borrower, StaffUser
from portal.support import calls as support_calls
from portal.support.models import AssistedSession, ConsentReference, VerificationAttempt
from tests.helpers.common import sign_in, staff_sign_in

PASSWORD = "Demo-pass-2026"
URBAN = "13800000001"
RURAL = "13800000002"
OTHER = "13800000003"
CODE_ON_PAGE = re.compile(r'data-testid="support-code">(\d{6})<')


@contextmanager
def database(app):
    """A session in an app context of its own (never make a request inside the block)."""
    with app.app_context():
        yield db.session


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


def borrower_id(app, phone: str) -> int:
    with database(app) as session:
        return session.scalar(select(Borrower.id).where(Borrower.phone == phone))


def loan_number(app, phone: str) -> str:
    with database(app) as session:
        return session.scalars(
            select(Loan.number).join(Borrower).where(Borrower.phone == phone).order_by(Loan.id)
        ).first()


def staff_client(app, username: str = "agent1"):
    client = app.test_client()
    response = staff_sign_in(client, username)
    assert response.status_code == 302, response.status_code
    return client


def borrower_client(app, phone: str):
    client = app.test_client()
    response = sign_in(client, phone)
    assert response.status_code == 302, response.status_code
    return client


def add_agent(app, username: str = "agent2", name: str = "马丽") -> int:
    """A second phone agent (the demo has one)."""
    with database(app) as session:
        template = session.scalar(select(StaffUser).where(StaffUser.username == "agent1"))
        row = StaffUser(
            username=username,
            name=name,
            role="agent",
            password_hash=template.password_hash,
            approval_limit_fen=0,
            locale="zh_Hans",
            session_version=1,
            active=True,
            created_at=template.created_at,
        )
        session.add(row)
        session.commit()
        return row.id


def support_code(client) -> str:
    """Press "Get a support code" on the dashboard as the borrower and read the code the page shows."""
    response = client.submit("/support-code", {}, page="/")
    assert response.status_code == 303, response.status_code
    html = client.get("/").get_data(as_text=True)
    match = CODE_ON_PAGE.search(html)
    assert match, "no support code on the dashboard"
    return match.group(1)


def answers(app, phone: str) -> dict:
    """The right answers to the knowledge questions, from the database."""
    with database(app) as session:
        borrower = session.scalar(select(Borrower).where(Borrower.phone == phone))
        return {
            "id_last4": borrower.id_number[-4:],
            "birth_date": borrower.birth_date.isoformat(),
            "last_payment": str(support_calls.last_payment_amount(session, borrower) or "0"),
        }


def find(agent, **fields):
    """Search for a caller as the agent (a posted search: counted and audited)."""
    data = {"phone": "", "loan": "", "name": "", "birth_date": "", **fields}
    return agent.submit("/agent/find", data, page="/agent/find")


def verify_by_code(agent, borrower: int, code: str):
    return agent.submit(
        f"/agent/borrowers/{borrower}/verify/code", {"code": code}, page=f"/agent/borrowers/{borrower}/verify"
    )


def verify_by_questions(agent, borrower: int, data: dict):
    return agent.submit(
        f"/agent/borrowers/{borrower}/verify/questions", data, page=f"/agent/borrowers/{borrower}/verify"
    )


def assisting(app, phone: str, username: str = "agent1"):
    """An agent signed in with a live assisted session for `phone` (verified by the questions)."""
    agent = staff_client(app, username)
    response = verify_by_questions(agent, borrower_id(app, phone), answers(app, phone))
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    return agent


def new_key() -> str:
    return secrets.token_urlsafe(24)


def audit_rows(app, *, action: str | None = None, subject: str | None = None) -> list[AuditEvent]:
    """Audit rows, oldest first (viewings come from their own record, off the chain)."""
    model = ViewRecord if action and action.endswith(".viewed") else AuditEvent
    with database(app) as session:
        query = select(model).order_by(model.id)
        if action:
            query = query.where(model.action == action)
        if subject:
            query = query.where(model.subject == subject)
        return list(session.scalars(query))


def messages(app, phone: str, channel: str = "sms") -> list[Notification]:
    with database(app) as session:
        return list(
            session.scalars(
                select(Notification)
                .join(Borrower, Borrower.id == Notification.borrower_id)
                .where(Borrower.phone == phone, Notification.channel == channel)
                .order_by(Notification.id)
            )
        )


def application(app, reference: str) -> Application:
    with database(app) as session:
        return session.scalar(select(Application).where(Application.reference == reference))


def count(app, model) -> int:
    with database(app) as session:
        return session.scalar(select(func.count()).select_from(model))


def open_sessions(app) -> list[AssistedSession]:
    with database(app) as session:
        return list(session.scalars(select(AssistedSession).where(AssistedSession.ended_at.is_(None))))


def attempts(app) -> list[VerificationAttempt]:
    with database(app) as session:
        return list(session.scalars(select(VerificationAttempt).order_by(VerificationAttempt.id)))


def consent_rows(app) -> list[ConsentReference]:
    with database(app) as session:
        return list(session.scalars(select(ConsentReference).order_by(ConsentReference.id)))
