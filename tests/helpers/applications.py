"""Helpers for the application-journey tests (imported by the test modules in this folder).

Database work happens in short `database(app)` blocks with no request inside: a request made while the test holds
an app context would share the test's session.
"""

from __future__ import annotations

import re
import secrets
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from flask_babel import force_locale
from flask_babel import gettext as _gettext
from markupsafe import escape
from sqlalchemy import func, select

from portal import db, i18n
from portal.applications import transitions
from portal.applications.models import Application
from portal.core.models import AuditEvent
from portal.loans.models import Loan
from portal.people.models import Borrower
from tests.helpers.common import BUSINESS_DATE, sign_in

PASSWORD = "Demo-pass-2026"
URBAN = "13800000001"  # urban, loan in arrears
RURAL = "13800000002"  # rural farmer, over 90 days past due
UP_TO_DATE = "13800000003"
DECISION_DUE = BUSINESS_DATE + timedelta(days=10)

# A budget that leaves 1,234.50 a month in both variants.
INCOME = {"wages": "3000", "business": "1000.50"}
SPENDING = {"food": "1200", "housing": "800", "transport": "266"}
OTHER_DEBT = "500"
DISPOSABLE = Decimal("3000") + Decimal("1000.50") - Decimal("1200") - Decimal("800") - Decimal("266") - 500

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "A" * 3000,
    "\u202egnp.exe\u202c right-to-left",
    "还不上了 😀🌾🏠",
]
NUL = "before\x00after"
RAW_MARKUP = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


@contextmanager
def database(app):
    """A database session in an app context of its own (never make a request inside the block)."""
    with app.app_context():
        yield db.session


def text(app, message: str, locale: str = "zh_Hans", variant: str | None = None, **params) -> str:
    """A message as a page in `locale` shows it: translated (in `variant`'s wording when given), with its
    parameters, HTML-escaped."""
    from portal.i18n import vgettext

    with app.test_request_context(), force_locale(locale):
        if variant:
            return str(escape(vgettext(message, variant, **params)))
        return str(escape(_gettext(message, **params)))


def plain(app, message: str, locale: str = "zh_Hans", **params) -> str:
    """A message translated into `locale`, not escaped (for outbox bodies)."""
    with app.test_request_context(), force_locale(locale):
        return _gettext(message, **params)


def money(app, amount, locale: str = "zh_Hans") -> str:
    with app.test_request_context(), force_locale(locale):
        return i18n.money(amount)


def date_long(app, value, locale: str = "zh_Hans") -> str:
    with app.test_request_context(), force_locale(locale):
        return i18n.date_long(value)


def loan_of(session, phone: str, index: int = 0) -> Loan:
    return session.scalars(
        select(Loan).join(Borrower).where(Borrower.phone == phone).order_by(Loan.id)
    ).all()[index]


def loan_number(app, phone: str, index: int = 0) -> str:
    with database(app) as session:
        return loan_of(session, phone, index).number


def application(session, reference: str) -> Application:
    return session.scalars(select(Application).where(Application.reference == reference)).one()


def snapshot(app, reference: str) -> dict:
    """The application's row as plain data, to compare before and after."""
    with database(app) as session:
        row = application(session, reference)
        return {
            "status": row.status,
            "loan_id": row.loan_id,
            "borrower_id": row.borrower_id,
            "option": row.option,
            "terms": dict(row.terms or {}),
            "reasons": list(row.reasons or []),
            "duration": row.duration,
            "account": row.account,
            "budget": dict(row.budget or {}),
            "policy_pack_id": row.policy_pack_id,
            "variant": row.variant,
            "info_response": row.info_response,
            "agreement_hash": row.agreement_hash,
            "evidence": len(row.evidence),
        }


def audit_count(app, action: str, reference: str | None = None) -> int:
    with database(app) as session:
        query = select(func.count(AuditEvent.id)).where(AuditEvent.action == action)
        if reference is not None:
            query = query.where(AuditEvent.subject == f"application:{application(session, reference).id}")
        return session.scalar(query)


def application_count(app, **where) -> int:
    with database(app) as session:
        query = select(func.count(Application.id))
        for name, value in where.items():
            query = query.where(getattr(Application, name) == value)
        return session.scalar(query)


def path_of(response) -> str:
    """The Location of a redirect as path?query, checking it stays on this site."""
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def new_key() -> str:
    return secrets.token_urlsafe(24)


def start(client, number: str, key: str | None = None, **extra):
    """POST 'get help with this loan' as the loan page's button does."""
    return client.submit(f"/loans/{number}/help", {"key": key or new_key(), **extra}, page=f"/loans/{number}")


def reference_of(response) -> str:
    match = re.match(r"^/applications/([^/?]+)", path_of(response))
    assert match, response.headers["Location"]
    return match.group(1)


def hardship_data(
    reasons=("income_reduced",), duration="under_6_months", account="Hours cut at work."
) -> dict:
    return {"reasons": list(reasons), "duration": duration, "account": account}


def budget_data(variant: str = "urban", **override) -> dict:
    """Every line of the money page filled in (the page refuses a blank line: none is entered as 0)."""
    from portal.domain import hardship

    data = {f"income_{k}": "0" for k in hardship.income_sources_for(variant)}
    data.update({f"spending_{k}": "0" for k in hardship.spending_for(variant)})
    data.update({f"income_{k}": v for k, v in INCOME.items()})
    data.update({f"spending_{k}": v for k, v in SPENDING.items()})
    data.update(other_debt=OTHER_DEBT, dependants="2")
    data.update(override)
    return data


def submit_budget(client, base: str, variant: str = "urban", **override):
    """The money step(s): one page for urban; income then spending for rural. Returns the last response."""
    response = client.submit(f"{base}/money", budget_data(variant, **override))
    assert response.status_code == 303, response.status_code
    if variant == "rural":
        assert path_of(response) == f"{base}/spending"
        response = client.submit(f"{base}/spending", budget_data(variant, **override))
        assert response.status_code == 303, response.status_code
    return response


def plan_data(months: int = 12, pay_day: int = 10, action: str = "choose") -> dict:
    return {"months": str(months), "pay_day": str(pay_day), "upfront": "", "action": action}


def fill_draft(client, reference: str, variant: str = "urban", months: int = 12) -> None:
    """Hardship, money and an installment plan, through the forms."""
    base = f"/applications/{reference}"
    response = client.submit(f"{base}/hardship", hardship_data())
    assert response.status_code == 303, response.status_code
    submit_budget(client, base, variant)
    response = client.submit(f"{base}/plan/installment_plan", plan_data(months))
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    assert path_of(response) == f"{base}/check"


def signed_in(app, phone: str):
    client = app.test_client()
    response = sign_in(client, phone)
    assert response.status_code in (302, 303), response.status_code
    return client


def draft(app, phone: str = URBAN, variant: str = "urban", months: int = 12):
    """A signed-in client and a complete draft: (client, loan number, reference)."""
    client = signed_in(app, phone)
    number = loan_number(app, phone)
    response = start(client, number)
    assert response.status_code == 303
    reference = reference_of(response)
    fill_draft(client, reference, variant, months)
    return client, number, reference


def submitted(app, phone: str = URBAN, variant: str = "urban", months: int = 12):
    """A signed-in client and a submitted application: (client, loan number, reference)."""
    client, number, reference = draft(app, phone, variant, months)
    response = client.submit(f"/applications/{reference}/check")
    assert response.status_code == 303
    assert path_of(response) == f"/applications/{reference}?sent=1"
    return client, number, reference


def move(
    app, reference: str, *targets: str, role: str = "reviewer", actor: str = "staff:1", **fields
) -> None:
    """Move an application through the lifecycle with the services, setting `fields` first; commits."""
    with database(app) as session:
        row = application(session, reference)
        for name, value in fields.items():
            setattr(row, name, value)
        for target in targets:
            transitions.move(session, row, target, role=role, actor=actor)
        session.commit()


def approved(app, phone: str = URBAN, variant: str = "urban", months: int = 12):
    """A signed-in client and an approved application: (client, loan number, reference)."""
    client, number, reference = submitted(app, phone, variant, months)
    move(app, reference, "in_review", "approved")
    return client, number, reference


def field_errors(html: str) -> list[str]:
    """The texts of the field error messages on a page."""
    return [
        re.sub(r"\s+", " ", m).strip()
        for m in re.findall(
            r'<p class="error-message" id="[^"]*-error"><span class="visually-hidden">[^<]*</span>(.*?)</p>',
            html,
            re.S,
        )
    ]


def summary_errors(html: str) -> list[tuple[str, str]]:
    """(field id, message) of each entry in the error summary at the top of a page."""
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    if summary is None:
        return []
    return [
        (field, re.sub(r"\s+", " ", message).strip())
        for field, message in re.findall(r'<li><a href="#([^"]*)">(.*?)</a></li>', summary.group(0), re.S)
    ]


def error_ids(html: str) -> list[str]:
    """The ids of the fields that carry an error message."""
    return re.findall(r'<p class="error-message" id="([^"]*)-error">', html)


def notices(html: str) -> list[str]:
    """The flashed messages shown at the top of a page."""
    return [
        re.sub(r"\s+", " ", m).strip()
        for m in re.findall(r'<div class="notice notice-[a-z]+" role="status">(.*?)</div>', html, re.S)
    ]
