"""Helpers for the staff-side tests (imported by the test modules in this folder).

Applications are made with the same services the borrower's pages call (start, hardship, budget, choose, submit),
which is quick enough to fill a queue; every staff decision under test goes through HTTP, the way a reviewer's
browser sends it: the case page gives the CSRF token and the `version` the reviewer saw.

Database work happens in short `database(app)` blocks with no request inside: a request made while the test holds
an app context would share the test's session.
"""

from __future__ import annotations

import re
import secrets
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from html import unescape
from urllib.parse import urlsplit

from flask_babel import force_locale
from flask_babel import gettext as _gettext
from markupsafe import escape
from sqlalchemy import func, select

from portal import db, i18n
from portal.applications import calculation, drafting, transitions
from portal.applications.models import Application
from portal.clock import business_date, utcnow
from portal.core.models import AuditEvent, Notification, ViewRecord
from portal.loans.models import Loan
from portal.loans.positions import loan_position
from portal.people.models import Borrower, StaffUser
from tests.helpers.common import CSRF_RE, sign_in, staff_sign_in

PASSWORD = "Demo-pass-2026"
URBAN = "13800000001"  # urban consumer loan, exposure about 44,000: under a reviewer's 50,000 limit
RURAL = "13800000002"  # rural farm loan, over 90 days past due
BUSINESS = "13800000005"  # urban business loan, 200,000: above a reviewer's limit
VERSION_RE = re.compile(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"')

INCOME = {"wages": Decimal("3000"), "business": Decimal("1000.50")}
SPENDING = {"food": Decimal("1200"), "housing": Decimal("800"), "transport": Decimal("266")}
OTHER_DEBT = Decimal("500")

# The decision routes of a case: (path after /staff/cases/<reference>, the form a reviewer would post).
ACTIONS = {
    "claim": "claim",
    "release": "release",
    "approve": "approve",
    "reject": "reject",
    "information": "information",
    "counter": "counter",
}


@contextmanager
def database(app):
    """A database session in an app context of its own (never make a request inside the block)."""
    with app.app_context():
        yield db.session


def text(app, message: str, locale: str = "zh_Hans", **params) -> str:
    """A message as a page in `locale` shows it: translated, with its parameters, HTML-escaped."""
    with app.test_request_context(), force_locale(locale):
        return str(escape(_gettext(message, **params)))


def plain(app, message: str, locale: str = "zh_Hans", **params) -> str:
    """A message translated into `locale`, not escaped (for outbox bodies)."""
    with app.test_request_context(), force_locale(locale):
        return _gettext(message, **params)


def date_long(app, value, locale: str = "zh_Hans") -> str:
    with app.test_request_context(), force_locale(locale):
        return i18n.date_long(value)


def label(app, mapping: dict, code: str, locale: str = "zh_Hans") -> str:
    """A lazy label from portal.i18n.labels in `locale` (not escaped: compare with `notices_on`)."""
    with app.test_request_context(), force_locale(locale):
        return str(mapping[code])


def loan_of(session, phone: str, index: int = 0) -> Loan:
    return session.scalars(
        select(Loan).join(Borrower).where(Borrower.phone == phone).order_by(Loan.id)
    ).all()[index]


def staff_id(app, username: str) -> int:
    with database(app) as session:
        return session.scalars(select(StaffUser.id).where(StaffUser.username == username)).one()


def staff_name(app, username: str) -> str:
    with database(app) as session:
        return session.scalars(select(StaffUser.name).where(StaffUser.username == username)).one()


def add_senior(app, username: str = "senior2", name: str = "冯建国") -> int:
    """A second senior reviewer (same password as the demo staff), made through the model."""
    with database(app) as session:
        template = session.scalars(select(StaffUser).where(StaffUser.username == "senior1")).one()
        row = StaffUser(
            username=username,
            name=name,
            role="senior_reviewer",
            password_hash=template.password_hash,
            totp_secret=template.totp_secret,
            totp_enrolled_at=template.totp_enrolled_at,
            approval_limit_fen=template.approval_limit_fen,
            locale="zh_Hans",
            session_version=1,
            active=True,
            created_at=utcnow(),
        )
        session.add(row)
        session.commit()
        return row.id


def make_application(
    session,
    loan: Loan,
    *,
    kind: str = "installment_plan",
    months: int | None = 12,
    actor: str | None = None,
    submit: bool = True,
) -> Application:
    """A complete application for `loan` through the services (submitted unless `submit=False`); flushes only."""
    as_of = business_date()
    actor = actor or f"borrower:{loan.borrower_id}"
    application = drafting.start(
        session, loan, actor=actor, create_key=secrets.token_urlsafe(24), as_of=as_of
    )
    drafting.save_hardship(
        application, reasons=["income_reduced"], duration="under_6_months", account="Hours cut at work."
    )
    spending = dict(SPENDING)
    drafting.save_budget(application, income=INCOME, spending=spending, other_debt=OTHER_DEBT, dependants=2)
    terms = calculation.calculator(session, application, as_of).default_terms(kind)
    if months is not None and terms.months is not None:
        terms = replace(terms, months=months)
    quote = calculation.calculator(session, application, as_of).quote(kind, terms)
    assert quote.available, (loan.number, kind, quote.reasons)
    drafting.choose(application, quote)
    if submit:
        transitions.submit(session, application, actor=actor, as_of=as_of)
    return application


def submitted(app, phone: str = URBAN, *, index: int = 0, **options) -> str:
    """A submitted application for the borrower's loan; returns its reference."""
    with database(app) as session, app.test_request_context():
        application = make_application(session, loan_of(session, phone, index), **options)
        session.commit()
        return application.reference


def draft(app, phone: str = URBAN) -> str:
    """A complete but unsent draft; returns its reference."""
    return submitted(app, phone, submit=False)


def application(session, reference: str) -> Application:
    return session.scalars(select(Application).where(Application.reference == reference)).one()


def row(app, reference: str) -> Application:
    """The application as stored now (a detached copy to read attributes from)."""
    with database(app) as session:
        found = application(session, reference)
        session.expunge(found)
        return found


def update(app, reference: str, **fields) -> None:
    """Set columns of an application directly (to arrange a situation the pages cannot make quickly)."""
    with database(app) as session:
        found = application(session, reference)
        for name, value in fields.items():
            setattr(found, name, value)
        session.commit()


def audit_rows(app, reference: str, action: str) -> list[AuditEvent]:
    """The case's audit rows of one action (viewings come from their own record, off the chain)."""
    model = ViewRecord if action.endswith(".viewed") else AuditEvent
    with database(app) as session:
        subject = f"application:{application(session, reference).id}"
        rows = session.scalars(
            select(model).where(model.subject == subject, model.action == action).order_by(model.id)
        ).all()
        session.expunge_all()
        return list(rows)


def notifications(app, phone: str, kind: str | None = None) -> list[Notification]:
    with database(app) as session:
        query = (
            select(Notification)
            .join(Borrower, Borrower.id == Notification.borrower_id)
            .where(Borrower.phone == phone)
            .order_by(Notification.id)
        )
        if kind:
            query = query.where(Notification.kind == kind)
        rows = session.scalars(query).all()
        session.expunge_all()
        return list(rows)


def count(app, model, *where) -> int:
    with database(app) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


# --- clients -------------------------------------------------------------------------------------------------


def staff_client(app, username: str):
    """A client signed in as a member of staff through the real sign-in form."""
    client = app.test_client()
    response = staff_sign_in(client, username)
    assert response.status_code in (302, 303), (username, response.status_code)
    return client


def borrower_client(app, phone: str):
    client = app.test_client()
    response = sign_in(client, phone)
    assert response.status_code in (302, 303), (phone, response.status_code)
    return client


def case_url(reference: str, action: str | None = None) -> str:
    return f"/staff/cases/{reference}" + (f"/{action}" if action else "")


def form_values(html: str) -> tuple[str, int | None]:
    """The CSRF token and the application `version` a case page carries."""
    token = CSRF_RE.search(html)
    assert token, "no CSRF token on the page"
    versions = {int(a or b) for a, b in VERSION_RE.findall(html)}
    assert len(versions) <= 1, versions
    return token.group(1), (versions.pop() if versions else None)


def seen(client, reference: str) -> tuple[str, int | None]:
    """Open the case page as a reviewer does; (CSRF token, version shown)."""
    page = client.get(case_url(reference))
    assert page.status_code == 200, page.status_code
    return form_values(page.get_data(as_text=True))


def decide(client, reference: str, action: str, data: dict | None = None, *, version: int | None = None):
    """POST one decision form of the case page with the version the page showed (or `version`)."""
    token, shown = seen(client, reference)
    version = version if version is not None else shown
    assert version is not None, "the page offers no decision form: pass the version the reviewer saw"
    form = {"csrf_token": token, "version": str(version)}
    form.update(data or {})
    return client.post(case_url(reference, ACTIONS[action]), data=form)


def claim(client, reference: str):
    response = decide(client, reference, "claim")
    assert response.status_code == 303, response.status_code
    return response


def path_of(response) -> str:
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def notices_on(html: str) -> list[str]:
    """The flashed messages shown at the top of a page (unescaped)."""
    return [
        unescape(re.sub(r"\s+", " ", m).strip())
        for m in re.findall(r'<div class="notice notice-[a-z]+" role="status">(.*?)</div>', html, re.S)
    ]


def follow(client, response) -> str:
    """The page a 303 leads to."""
    assert response.status_code == 303, response.status_code
    return client.get(path_of(response)).get_data(as_text=True)


def table_rows(html: str, caption: str) -> list[list[str]]:
    """The cells of each body row of the table with this caption (tags stripped)."""
    match = re.search(r"<caption>" + re.escape(caption) + r"</caption>(.*?)</table>", html, re.S)
    assert match, f"no table captioned {caption!r}"
    body = match.group(1).split("<tbody>", 1)[1]
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        ]
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def money(app, amount, locale: str = "zh_Hans") -> str:
    with app.test_request_context(), force_locale(locale):
        return i18n.money(amount)


def crowd(app, count: int, *, extra_borrowers: int | None = None) -> list[str]:
    """The demo (named borrowers, staff and `extra_borrowers` more) with `count` submitted applications, one per
    loan that can have one: an installment plan where the loan is in arrears, else a term extension."""
    from portal.demo.world import build_demo
    from portal.loans.services import ServiceError

    references = []
    with database(app) as session, app.test_request_context():
        build_demo(session, extra_borrowers=count + 20 if extra_borrowers is None else extra_borrowers)
        session.flush()
        for loan in session.scalars(select(Loan).order_by(Loan.id)).all():
            if len(references) == count:
                break
            behind = loan_position(session, loan, business_date()).report.days_past_due > 0
            try:
                with session.begin_nested():
                    kind = "installment_plan" if behind else "extension"
                    made = make_application(session, loan, kind=kind, months=None)
            except (ServiceError, AssertionError):
                continue  # a matured or closed loan: no plan on offer
            references.append(made.reference)
        session.commit()
    assert len(references) == count, f"only {len(references)} loans could have an application"
    return references


def queue_pages(client, query: str = "") -> list[list[str]]:
    """Every page of the queue for these filters, following the 'Next page' links: the references on each."""
    pages = []
    url = "/staff/queue" + (f"?{query}" if query else "")
    seen_urls = set()
    while url:
        assert url not in seen_urls, f"the pager loops back to {url}"
        seen_urls.add(url)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.get_data(as_text=True)
        pages.append(re.findall(r'<td><a href="/staff/cases/([^"]+)">', html))
        pager = re.search(r'<nav class="pager".*?</nav>', html, re.S)
        links = re.findall(r'<a href="([^"]+)">([^<]*)</a>', pager.group(0)) if pager else []
        # "Next page" carries the cursor; "First page" (from page two on) does not.
        url = next((unescape(href) for href, _label in links if "after=" in href), None)
    return pages


def queue_total(client, query: str = "") -> int:
    """The count the queue page states above its table."""
    html = client.get("/staff/queue" + (f"?{query}" if query else "")).get_data(as_text=True)
    match = re.search(r"</form>\s*<p>[^<\d]*(\d+)", html)
    assert match, "no total above the queue"
    return int(match.group(1))
