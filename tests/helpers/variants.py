"""Helpers for the variant tests (rural and urban wording, help offered, staff changing a borrower's variant).

Database work happens in short `database(app)` blocks with no request inside.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from decimal import Decimal
from urllib.parse import urlsplit

from flask_babel import force_locale
from flask_babel import gettext as _gettext
from markupsafe import escape
from sqlalchemy import select

from portal import db
from portal.applications import calculation, drafting, transitions
from portal.applications.models import Application
from portal.core.models import AuditEvent
from portal.i18n import vgettext
from portal.loans.models import Loan
from portal.people.models import Borrower
from tests.helpers.common import BUSINESS_DATE, sign_in, staff_sign_in

PASSWORD = "Demo-pass-2026"
URBAN = "13800000001"
RURAL = "13800000002"
RURAL_EN = "13800000006"


@contextmanager
def database(app):
    """A database session in an app context of its own (never make a request inside the block)."""
    with app.app_context():
        yield db.session


def text(app, message: str, locale: str = "zh_Hans", variant: str | None = None, **params) -> str:
    """A message as a page shows it: translated (in the variant's wording when given), HTML-escaped."""
    with app.test_request_context(), force_locale(locale):
        if variant:
            return str(escape(vgettext(message, variant, **params)))
        return str(escape(_gettext(message, **params)))


def borrower_client(app, phone: str):
    client = app.test_client()
    response = sign_in(client, phone)
    assert response.status_code in (302, 303), response.status_code
    return client


def staff_client(app, username: str):
    client = app.test_client()
    response = staff_sign_in(client, username)
    assert response.status_code in (302, 303), response.status_code
    return client


def path_of(response) -> str:
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def loan_number(app, phone: str) -> str:
    with database(app) as session:
        return session.scalars(
            select(Loan.number).join(Borrower).where(Borrower.phone == phone).order_by(Loan.id)
        ).first()


def borrower(session, phone: str) -> Borrower:
    return session.scalars(select(Borrower).where(Borrower.phone == phone)).one()


def start(client, number: str, key: str) -> str:
    """Start an application through the dashboard's button; its reference."""
    response = client.submit(f"/loans/{number}/help", {"key": key}, page="/")
    assert response.status_code == 303, response.status_code
    return path_of(response).split("/")[2]


def submit_with_services(app, reference: str) -> None:
    """Complete and submit a draft with the services the borrower's pages call."""
    with database(app) as session:
        application = session.scalars(select(Application).where(Application.reference == reference)).one()
        reason = "crop_failure" if application.variant == "rural" else "income_reduced"
        drafting.save_hardship(application, reasons=[reason], duration="under_6_months", account="Floods.")
        drafting.save_budget(
            application,
            income={"farming" if application.variant == "rural" else "wages": Decimal("4000")},
            spending={"food": Decimal("1200")},
            other_debt=Decimal("0"),
            dependants=1,
        )
        terms = calculation.calculator(session, application, BUSINESS_DATE).default_terms("installment_plan")
        drafting.choose(
            application,
            calculation.calculator(session, application, BUSINESS_DATE).quote("installment_plan", terms),
        )
        transitions.submit(
            session, application, actor=f"borrower:{application.borrower_id}", as_of=BUSINESS_DATE
        )
        session.commit()


def audit_rows(app, action: str) -> list[AuditEvent]:
    with database(app) as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        return [
            AuditEvent(
                actor=r.actor, on_behalf_of=r.on_behalf_of, subject=r.subject, data=r.data, channel=r.channel
            )
            for r in rows
        ]


def ids_on(html: str) -> set[str]:
    """Every element id on a page."""
    return set(re.findall(r'\sid="([^"]+)"', html))


def footer(html: str) -> str:
    start = html.index('<footer class="site-footer">')
    return html[start : html.index("</footer>", start)]


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', html).group(1)
