"""Helpers for the security tests (imported by the test modules in this folder)."""

from __future__ import annotations

import hashlib
import io
import re
from contextlib import contextmanager
from urllib.parse import urlsplit

from sqlalchemy import func, select

from portal import db
from portal.applications.models import Application, Evidence
from portal.core.models import AuditEvent, Notification, ViewRecord
from portal.loans.models import Loan, Payment
from portal.people.models import Borrower, OneTimeCode, SignInFailure
from tests.helpers.common import fill_draft, sign_in, staff_sign_in  # noqa: F401 - staff_sign_in: the one staff sign-in helper
from tests.helpers.files import PNG

PASSWORD = "Demo-pass-2026"
COOKIE = "portal_session"

# The open-redirect list from SECURITY.md: each must land on the dashboard.
HOSTILE_NEXT = [
    "https://evil.example",
    "//evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "http://portal@evil.example",
]


@contextmanager
def database(app):
    """A database session in an app context of its own (never make a request inside the block)."""
    with app.app_context():
        yield db.session


def location(response) -> tuple[str, str]:
    """(host, path) of a redirect's Location header."""
    parts = urlsplit(response.headers["Location"])
    return parts.netloc, parts.path


def location_path(response) -> str:
    host, path = location(response)
    assert host in ("", "localhost"), response.headers["Location"]
    return path


def loan_number(app, phone: str) -> str:
    with database(app) as session:
        return session.scalars(
            select(Loan.number).join(Borrower).where(Borrower.phone == phone).order_by(Loan.id)
        ).first()


def sms_code(app) -> str:
    """The code in the newest sign-in SMS in the outbox."""
    with database(app) as session:
        body = session.scalars(
            select(Notification.body)
            .where(Notification.kind == "sign_in_code")
            .order_by(Notification.id.desc())
        ).first()
    codes = re.findall(r"(?<!\d)(\d{6})(?!\d)", body)
    assert len(codes) == 1, body
    return codes[0]


def row_counts(app) -> dict[str, int]:
    """How many rows each table that a request could write holds."""
    with database(app) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (
                AuditEvent,
                ViewRecord,
                Notification,
                OneTimeCode,
                Payment,
                SignInFailure,
                Borrower,
                Loan,
                Application,
                Evidence,
            )
        }


# --- staff cases -----------------------------------------------------------------------------------------------

VERSION_RE = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')


def submitted_case(app, phone: str = "13800000001") -> str:
    """A submitted installment-plan application for the borrower's first loan, made with the services the
    borrower's pages call; returns its reference."""
    import secrets

    from portal.applications import drafting, transitions
    from portal.clock import business_date

    with database(app) as session, app.test_request_context():
        loan = session.scalars(
            select(Loan).join(Borrower).where(Borrower.phone == phone).order_by(Loan.id)
        ).first()
        as_of = business_date()
        actor = f"borrower:{loan.borrower_id}"
        application = drafting.start(
            session, loan, actor=actor, create_key=secrets.token_urlsafe(24), as_of=as_of
        )
        fill_draft(session, application, as_of, account="Hours cut at work.")
        transitions.submit(session, application, actor=actor, as_of=as_of)
        session.commit()
        return application.reference


def case_state(app, reference: str) -> tuple[str, int, int | None, int | None]:
    """(status, row_version, decided_by_id, first_approver_id) of an application."""
    with database(app) as session:
        found = session.scalars(select(Application).where(Application.reference == reference)).one()
        return found.status, found.row_version, found.decided_by_id, found.first_approver_id


def case_form(client, reference: str) -> tuple[str, str, str]:
    """Open the case page as a reviewer does: (CSRF token, the version it shows, the page)."""
    from tests.helpers.common import CSRF_RE

    page = client.get(f"/staff/cases/{reference}")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    versions = {a or b for a, b in VERSION_RE.findall(html)}
    assert len(versions) == 1, versions
    return CSRF_RE.search(html).group(1), versions.pop(), html


def post_decision(client, reference: str, action: str, data: dict | None = None):
    """POST one decision form of the case page, with the token and version the page showed."""
    token, version, _html = case_form(client, reference)
    return client.post(
        f"/staff/cases/{reference}/{action}", data={"csrf_token": token, "version": version, **(data or {})}
    )


def audit_actions(app) -> list[tuple[str, str]]:
    """(actor, action) of every audit row, oldest first."""
    with database(app) as session:
        return [
            (row.actor, row.action) for row in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


# --- one person of each role, and real values for every URL variable -------------------------------------------

ROLES = {
    "anonymous": None,
    "borrower": "13800000001",
    "agent": "agent1",
    "reviewer": "reviewer1",
    "senior_reviewer": "senior1",
    "admin": "admin1",
}


def role_client(app, role: str):
    """A client signed in as the demo person of `role` (through the real forms)."""
    client = app.test_client()
    who = ROLES[role]
    if role == "borrower":
        assert sign_in(client, who).status_code == 302
    elif who:
        assert location_path(staff_sign_in(client, who)) == "/staff/"
    return client


def arrange_ids(app) -> dict:
    """Real values for every URL variable: the borrower's draft (with a file), another borrower's case (with a file)."""
    owner = role_client(app, "borrower")
    with database(app) as session:
        number = session.scalars(
            select(Loan.number).join(Borrower).where(Borrower.phone == ROLES["borrower"]).order_by(Loan.id)
        ).first()
    case = submitted_case(app, "13800000002")
    with database(app) as session:
        case_row = session.scalars(select(Application).where(Application.reference == case)).one()
        case_row.evidence.append(
            Evidence(
                token="role-test-token-0001",
                filename="payslip.png",
                content_type="image/png",
                size=len(PNG),
                sha256=hashlib.sha256(PNG).hexdigest(),
                data=PNG,
                uploaded_at=case_row.created_at,
            )
        )
        session.commit()
    draft = owner.submit(f"/loans/{number}/help", {"key": "roles-test-key-000001"}, page="/")
    assert draft.status_code == 303, draft.status_code
    draft_reference = location_path(draft).split("/")[2]
    uploaded = owner.submit(
        f"/applications/{draft_reference}/evidence",
        {"file": (io.BytesIO(PNG), "payslip.png")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 303
    with database(app) as session:
        draft_token = session.scalars(
            select(Evidence.token).join(Application).where(Application.reference == draft_reference)
        ).one()
    return {
        "borrower": {
            "loan_number": number,
            "version": 1,
            "reference": draft_reference,
            "token": draft_token,
            "kind": "extension",
            "filename": "portal.css",
        },
        "staff": {
            "reference": case,
            "token": "role-test-token-0001",
            "which": "requested",  # a case's schedule page
            "filename": "portal.css",
            "request_id": 999999,
            "borrower_id": case_row.borrower_id,
        },
        # Agents: a real caller to find and verify; callbacks and sessions of nobody (their owners' own tests are in
        # tests/agents/test_agents_access.py).
        "agents": {
            "borrower_id": case_row.borrower_id,
            "callback_id": 999999,
            "session_id": 999999,
            "request_id": 999999,
        },
    }


def url_for_rule(app, rule, ids: dict) -> str:
    """The rule's URL with the arranged ids (staff routes name the case, borrower routes the draft, agents' routes
    the caller)."""
    from flask import url_for

    values = ids.get(rule.endpoint.split(".")[0], ids["borrower"])
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def table_snapshot(app, *, skip: tuple[str, ...] = ()) -> dict[str, list[dict]]:
    """Every row of every table (but `skip`), in primary-key order."""
    from portal.db import Base

    with database(app) as session:
        return {
            table.name: [
                dict(row._mapping)
                for row in session.execute(select(table).order_by(*table.primary_key.columns)).all()
            ]
            for table in Base.metadata.sorted_tables
            if table.name not in skip
        }
