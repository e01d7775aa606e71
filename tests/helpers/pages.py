"""The page catalog: every GET page of the app, per role, with the URL to open it built from the demo data.

Import with `from tests.helpers.pages import ...` (like tests/helpers/common.py). The "every page"
sweeps (tests/sweeps/, and the browser sweeps in tests/e2e/) walk this catalog, and
`uncatalogued_get_endpoints(app)` makes a new GET route without a catalog entry (or a justified exclusion)
fail the suite.

How it fits together:
- `arrange_catalog_demo(session)` builds the demo (named borrowers, staff, 40 extra borrowers), the demo
  applications in every status (portal/demo/cases.py), and a complete draft for each of the two named demo
  borrowers whose journeys the catalog shows (13800000001 urban, 13800000002 rural).
- `catalog(session)` returns `Visit`s: a name, the endpoint, the role, who signs in (a `Login`), the URL, the
  variant (for borrower pages) and the status the page should answer with.
- To add pages (for example the agent's pages): add the role to ROLES (with its login), then add a builder to
  BUILDERS (a function `(Demo) -> list[Visit]`). Exclude a route only in EXCLUDED, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from sqlalchemy import select

PASSWORD = "Demo-pass-2026"


# --- who signs in ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    """How a client gets to see a page: `kind` is "anonymous", "borrower" (by phone), "staff" (by user name),
    "code_requested" (anonymous, having asked for an SMS sign-in code for `who`) or "staff_password" (a member of
    staff `who` who has given the password and is at the second factor's step: the code, or enrolment)."""

    kind: str
    who: str = ""

    @property
    def signed_in(self) -> bool:
        return self.kind in ("borrower", "staff")


ANONYMOUS = Login("anonymous")
URBAN_PHONE, RURAL_PHONE = "13800000001", "13800000002"
OFFERED_PHONE = "13800000004"  # rural: the catalog arranges an approved offer for their overdue loan
# role -> the login the catalog uses for it. Borrowers of the other demo applications sign in as themselves.
ROLES: dict[str, Login] = {
    "anonymous": ANONYMOUS,
    "borrower_urban": Login("borrower", URBAN_PHONE),
    "borrower_rural": Login("borrower", RURAL_PHONE),
    "reviewer": Login("staff", "reviewer1"),
    "senior_reviewer": Login("staff", "senior1"),
    "admin": Login("staff", "admin1"),
    # agent1, with a live assisted session for the rural borrower (arranged by `arrange_catalog_demo`): the agent's
    # own pages, the caller's record, and the borrower's pages under the banner.
    "agent": Login("staff", "agent1"),
}
AGENT = "agent1"
# Staff at the second factor's step: senior1 (enrolled) is asked for the code; reviewer2 (not enrolled in the
# catalog's demo) is shown the enrolment page.
AT_CODE_STEP = Login("staff_password", "senior1")
AT_ENROLMENT = Login("staff_password", "reviewer2")
STAFF_ROLES = ("reviewer", "senior_reviewer", "admin")


def sign_in_as(client, login: Login):
    """Sign `client` in as `login`, through the shared helpers (the borrower form in tests/helpers/common.py, and
    staff sign-in, with whatever second factor it needs, in tests/helpers/security.py)."""
    from tests.helpers.common import sign_in
    from tests.helpers.security import staff_sign_in as security_staff_sign_in

    if login.kind == "borrower":
        response = sign_in(client, login.who, PASSWORD)
        assert response.status_code in (302, 303), f"{login.who} could not sign in: {response.status_code}"
    elif login.kind == "staff":
        response = security_staff_sign_in(client, login.who)
        assert response.status_code in (302, 303), f"{login.who} could not sign in: {response.status_code}"
    elif login.kind == "code_requested":
        response = client.submit("/sign-in/code", {"phone": login.who})
        assert response.status_code in (302, 303), response.status_code
    elif login.kind == "staff_password":
        response = client.submit("/staff/sign-in", {"username": login.who, "password": PASSWORD})
        assert response.status_code in (302, 303), response.status_code
    return client


# --- the catalog ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One page to open: `name` is unique in the catalog."""

    name: str
    endpoint: str | None  # None for a page that is no route (the 404 page)
    role: str
    login: Login
    url: str
    variant: str | None = None  # "urban" / "rural" on borrower pages
    status: int = 200

    @property
    def signed_in(self) -> bool:
        return self.login.signed_in


@dataclass
class Demo:
    """What the catalog's URLs are built from, read from the database once."""

    loans: dict[str, list[str]]  # phone -> loan numbers
    drafts: dict[str, str]  # phone -> reference of the named borrower's complete draft
    options: dict[str, list[str]]  # phone -> option kinds on offer to that draft
    # status -> [(reference, owner phone, variant, loan number)], one urban and one rural where the demo has both
    by_status: dict[str, list[tuple[str, str, str, str]]]
    restructured: list[tuple[str, str, str, int]]  # (owner phone, variant, loan number, newest version)
    statuses: list[str] = field(default_factory=list)
    borrower_ids: dict[str, int] = field(default_factory=dict)  # phone -> id, of the two named borrowers


# GET routes that are not pages of their own, and why.
EXCLUDED: dict[str, str] = {
    "static": "files (CSS), not pages; served with the same headers by the same after_request hook",
    "borrower.download_evidence": "a file download (attachment), not a page; covered by the object-access "
    "tests and tests/applications/test_applications_evidence.py",
    "staff.case_evidence": "a file download (attachment), not a page; covered by the object-access tests",
    "staff.home": "only redirects to the role's first page (queue, outcomes or borrowers), all catalogued",
}

OFFER_STATUSES = ("approved", "countered")
AGREEMENT_STATUSES = ("active", "completed", "broken")
WITHDRAWABLE = ("submitted", "in_review", "info_requested")


def _borrower_role(variant: str) -> str:
    return f"borrower_{variant}"


def anonymous_pages(demo: Demo) -> list[Visit]:
    return [
        Visit("sign-in", "auth.sign_in", "anonymous", ANONYMOUS, "/sign-in"),
        Visit("sign-in by code", "auth.request_code", "anonymous", ANONYMOUS, "/sign-in/code"),
        Visit(
            "enter the code",
            "auth.enter_code",
            "anonymous",
            Login("code_requested", URBAN_PHONE),
            "/sign-in/code/enter",
        ),
        Visit("staff sign-in", "auth.staff_sign_in", "anonymous", ANONYMOUS, "/staff/sign-in"),
        Visit("staff code step", "auth.staff_code", "anonymous", AT_CODE_STEP, "/staff/sign-in/code"),
        Visit("staff enrolment", "auth.staff_enrol", "anonymous", AT_ENROLMENT, "/staff/sign-in/enrol"),
        Visit("not found", None, "anonymous", ANONYMOUS, "/no-such-page", status=404),
    ]


def named_borrower_pages(demo: Demo) -> list[Visit]:
    """The two named borrowers' own pages, and every step of their journey (a complete draft)."""
    visits = []
    for phone, variant in ((URBAN_PHONE, "urban"), (RURAL_PHONE, "rural")):
        role = _borrower_role(variant)
        login = ROLES[role]
        loan = demo.loans[phone][0]
        ref = demo.drafts[phone]
        app = f"/applications/{ref}"

        def add(name, endpoint, url, status=200, *, _v=variant, _r=role, _l=login):
            visits.append(Visit(f"{name} ({_v})", endpoint, _r, _l, url, _v, status))

        add("dashboard", "borrower.dashboard", "/")
        add("loan", "borrower.loan", f"/loans/{loan}")
        add("start", "borrower.start_page", f"/loans/{loan}/help")
        add("schedule version", "borrower.schedule_version", f"/loans/{loan}/schedules/1")
        add("applications", "borrower.applications", "/applications")
        add("draft application", "borrower.application", app)
        add("hardship", "borrower.hardship_step", f"{app}/hardship")
        add("money", "borrower.money_step", f"{app}/money")
        if variant == "rural":  # rural applications ask spending on a page of its own
            add("spending", "borrower.spending_step", f"{app}/spending")
        add("evidence", "borrower.evidence_step", f"{app}/evidence")
        add("options", "borrower.options_step", f"{app}/options")
        for kind in demo.options[phone]:
            add(f"schedule of {kind}", "borrower.option_schedule", f"{app}/options/{kind}")
            add(f"plan {kind}", "borrower.plan_step", f"{app}/plan/{kind}")
        add("propose", "borrower.propose_step", f"{app}/propose")
        add("check", "borrower.check_step", f"{app}/check")
        add("withdraw draft", "borrower.confirm_withdraw", f"{app}/withdraw")
        add("help", "borrower.help_page", "/help")
        add("change password", "borrower.change_password", "/account/password")
        if variant == "rural":
            add("visit request", "borrower.help_visit", "/help/visit")
        else:
            add("call-back request", "borrower.help_callback", "/help/callback")
            add("call-back request from the plans", "borrower.help_callback", f"/help/callback?from={ref}")
        add("not found signed in", None, "/no-such-page", 404)
    return visits


def application_pages(demo: Demo) -> list[Visit]:
    """The application page in every status (the demo's other borrowers), and the pages each status opens."""
    visits = []
    for status in demo.statuses:
        for reference, phone, variant, _loan in demo.by_status.get(status, []):
            login, role = Login("borrower", phone), _borrower_role(variant)
            app = f"/applications/{reference}"
            visits.append(
                Visit(f"application {status} ({variant})", "borrower.application", role, login, app, variant)
            )
            if status in OFFER_STATUSES:
                visits.append(
                    Visit(
                        f"offer {status} ({variant})", "borrower.offer", role, login, f"{app}/offer", variant
                    )
                )
            if status == "active":  # where accepting lands: what to pay now, the agreement one tap away
                visits.append(
                    Visit(
                        f"accepted {status} ({variant})",
                        "borrower.application",
                        role,
                        login,
                        f"{app}?accepted=1",
                        variant,
                    )
                )
            if status in AGREEMENT_STATUSES:
                visits.append(
                    Visit(
                        f"agreement {status} ({variant})",
                        "borrower.agreement",
                        role,
                        login,
                        f"{app}/agreement",
                        variant,
                    )
                )
            if status in WITHDRAWABLE:
                visits.append(
                    Visit(
                        f"withdraw {status} ({variant})",
                        "borrower.confirm_withdraw",
                        role,
                        login,
                        f"{app}/withdraw",
                        variant,
                    )
                )
    for phone, variant, loan, version in demo.restructured:
        login, role = Login("borrower", phone), _borrower_role(variant)
        visits.append(
            Visit(f"restructured loan ({variant})", "borrower.loan", role, login, f"/loans/{loan}", variant)
        )
        visits.append(
            Visit(
                f"new schedule version ({variant})",
                "borrower.schedule_version",
                role,
                login,
                f"/loans/{loan}/schedules/{version}",
                variant,
            )
        )
    return visits


def staff_pages(demo: Demo) -> list[Visit]:
    """The queue (plain and filtered), the borrower list (plain and searched), the outcomes, and a case in every
    status, for each staff role."""
    visits = []
    for role in STAFF_ROLES:
        login = ROLES[role]

        def add(name, endpoint, url, *, _r=role, _l=login):
            visits.append(Visit(f"{name} [{_r}]", endpoint, _r, _l, url))

        add("queue", "staff.queue", "/staff/queue")
        add(
            "queue filtered",
            "staff.queue",
            "/staff/queue?status=submitted&variant=rural&holder=unassigned&late=1&sort=risk",
        )
        add("borrowers", "staff.borrowers", "/staff/borrowers")
        add("borrowers searched", "staff.borrowers", "/staff/borrowers?q=%E7%8E%8B&branch=QS01&page=1")
        add("outcomes", "staff.outcomes", "/staff/outcomes")
        add("requests for help", "staff.help_requests", "/staff/help-requests")
        add("change password", "staff.change_password", "/staff/account/password")
        for status in demo.statuses:
            if status == "draft":
                continue  # a borrower's unsent draft is not a case (404; the object-access tests prove it)
            for reference, _phone, _variant, _loan in demo.by_status.get(status, [])[:1]:
                add(f"case {status}", "staff.case", f"/staff/cases/{reference}")
                if status == "submitted":
                    for which in ("requested", "current"):
                        add(
                            f"case {which} schedule",
                            "staff.case_schedule",
                            f"/staff/cases/{reference}/schedules/{which}",
                        )
    return visits


def agent_pages(demo: Demo) -> list[Visit]:
    """The agent's own pages, a caller to verify, the record of the caller on the line (the rural borrower, whose
    assisted session `arrange_catalog_demo` opened) and that borrower's pages under the banner."""
    login = ROLES["agent"]
    visits = []

    def add(name, endpoint, url):
        visits.append(Visit(f"{name} [agent]", endpoint, "agent", login, url))

    add("my calls", "agents.home", "/agent/")
    add("find", "agents.find", "/agent/find")
    add("find by phone", "agents.find", f"/agent/find?phone={URBAN_PHONE}")
    add("verify", "agents.verify", f"/agent/borrowers/{demo.borrower_ids[URBAN_PHONE]}/verify")
    add("caller's record", "agents.borrower", f"/agent/borrowers/{demo.borrower_ids[RURAL_PHONE]}")
    add("requests for help", "staff.help_requests", "/staff/help-requests")
    add("change password", "staff.change_password", "/staff/account/password")
    add("borrower's dashboard", "borrower.dashboard", "/")
    add("borrower's loan", "borrower.loan", f"/loans/{demo.loans[RURAL_PHONE][0]}")
    add(
        "borrower's hardship",
        "borrower.hardship_step",
        f"/applications/{demo.drafts[RURAL_PHONE]}/hardship",
    )
    add("borrower's check", "borrower.check_step", f"/applications/{demo.drafts[RURAL_PHONE]}/check")
    return visits


# Each builder adds the pages of one part of the app.
BUILDERS: list[Callable[[Demo], list[Visit]]] = [
    anonymous_pages,
    named_borrower_pages,
    application_pages,
    staff_pages,
    agent_pages,
]


def catalog(session) -> list[Visit]:
    """Every page of the catalog, its URL built from what the database holds (after `arrange_catalog_demo`)."""
    demo = read_demo(session)
    visits = [visit for build in BUILDERS for visit in build(demo)]
    names = [v.name for v in visits]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"catalog names must be unique: {duplicates}"
    return visits


def uncatalogued_get_endpoints(app, visits: list[Visit]) -> dict[str, str]:
    """GET endpoints of the app's URL map that neither a catalog entry nor EXCLUDED covers: {endpoint: rule}."""
    covered = {v.endpoint for v in visits} | set(EXCLUDED)
    return {
        rule.endpoint: rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in covered
    }


# --- the demo the catalog reads ---------------------------------------------------------------------------------


def arrange_catalog_demo(session, extra_borrowers: int = 40) -> None:
    """The demo with applications in every status, a complete draft (every step answered, the first plan on
    offer chosen) for each of the two named borrowers, and an approved offer for 13800000004 (rural). Commits."""
    from decimal import Decimal

    from portal.applications import decisions, drafting, transitions
    from portal.clock import business_date
    from portal.demo.cases import build_cases
    from portal.demo.world import build_demo
    from portal.loans.queries import borrower_loans
    from portal.people.models import Borrower, StaffUser
    from tests.helpers.common import fill_draft

    build_demo(session, extra_borrowers=extra_borrowers)
    session.flush()
    build_cases(session)
    as_of = business_date()
    for phone in (URBAN_PHONE, RURAL_PHONE, OFFERED_PHONE):
        borrower = session.scalar(select(Borrower).where(Borrower.phone == phone))
        loan = borrower_loans(session, borrower.id)[-1]
        who = {"actor": f"borrower:{borrower.id}", "channel": "web"}
        application = drafting.start(
            session, loan, create_key=f"catalog-{phone}-draft-key", as_of=as_of, **who
        )
        rural = borrower.variant == "rural"
        fill_draft(
            session,
            application,
            as_of,
            reason="crop_failure" if rural else "income_reduced",
            account="家里今年收入减少了。",
            income_source="farming" if rural else "wages",
            income=Decimal("6000"),
            dependants=2,
            kind=None,  # the first plan on offer
        )
        if phone == OFFERED_PHONE:  # a rural offer (the demo's extra borrowers may have only urban ones)
            transitions.submit(session, application, as_of=as_of, **who)
            senior = session.scalar(select(StaffUser).where(StaffUser.username == "senior1"))
            decisions.claim(session, application, senior, seen_version=application.row_version)
            # With the penalty waived, so the offer's waiver box is swept too.
            decisions.approve(
                session,
                application,
                senior,
                as_of=as_of,
                seen_version=application.row_version,
                waivers={"penalty": True},
            )
    # agent1 on a call with the rural borrower (verified), and reviewer2 not enrolled in the second factor yet.
    from portal.support import sessions as support_sessions

    agent = session.scalar(select(StaffUser).where(StaffUser.username == AGENT))
    rural = session.scalar(select(Borrower).where(Borrower.phone == RURAL_PHONE))
    support_sessions.start_session(session, agent, rural, verified_by="questions")
    session.scalar(select(StaffUser).where(StaffUser.username == AT_ENROLMENT.who)).totp_enrolled_at = None
    session.commit()


def read_demo(session) -> Demo:
    from portal.applications import calculation
    from portal.applications.models import Application
    from portal.clock import business_date
    from portal.loans.models import Loan, ScheduleVersion
    from portal.loans.queries import borrower_loans
    from portal.people.models import Borrower

    as_of = business_date()
    loans: dict[str, list[str]] = {}
    drafts: dict[str, str] = {}
    offered: dict[str, list[str]] = {}
    borrower_ids: dict[str, int] = {}
    for phone in (URBAN_PHONE, RURAL_PHONE):
        borrower = session.scalar(select(Borrower).where(Borrower.phone == phone))
        borrower_ids[phone] = borrower.id
        loans[phone] = [loan.number for loan in borrower_loans(session, borrower.id)]
        draft = session.scalar(
            select(Application).where(Application.borrower_id == borrower.id, Application.status == "draft")
        )
        assert draft is not None, f"no draft for {phone}: run arrange_catalog_demo first"
        drafts[phone] = draft.reference
        offered[phone] = [
            q.kind for q in calculation.calculator(session, draft, as_of).quote_all() if q.available
        ]

    rows = session.execute(
        select(Application.reference, Application.status, Borrower.phone, Borrower.variant, Loan.number)
        .join(Borrower, Borrower.id == Application.borrower_id)
        .join(Loan, Loan.id == Application.loan_id)
        .where(Borrower.phone.not_in((URBAN_PHONE, RURAL_PHONE)))
        .order_by(Application.id)
    ).all()
    by_status: dict[str, list[tuple[str, str, str, str]]] = {}
    for reference, status, phone, variant, number in rows:
        found = by_status.setdefault(status, [])
        if variant not in {v for _r, _p, v, _n in found}:
            found.append((reference, phone, variant, number))
    restructured = []
    for variant in ("urban", "rural"):
        row = session.execute(
            select(Borrower.phone, Borrower.variant, Loan.number, ScheduleVersion.version)
            .join(Loan, Loan.id == ScheduleVersion.loan_id)
            .join(Borrower, Borrower.id == Loan.borrower_id)
            .where(ScheduleVersion.version > 1, Borrower.variant == variant)
            .order_by(ScheduleVersion.id)
        ).first()
        if row is not None:
            restructured.append(tuple(row))
    return Demo(
        loans=loans,
        drafts=drafts,
        options=offered,
        by_status=by_status,
        restructured=restructured,
        statuses=sorted(by_status),
        borrower_ids=borrower_ids,
    )


# --- what a page says: visible text, and English left on a Chinese page ---------------------------------------------

SHOWN_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder", "aria-description")
BUTTON_TYPES = ("submit", "button", "reset")
SKIPPED_TAGS = ("script", "style", "template", "noscript")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Text(HTMLParser):
    """Text a person can see or hear: text nodes (outside script/style, and outside parts marked as another
    language, such as the language switcher's "English"), plus the attributes that are read out or shown."""

    def __init__(self, page_lang: str):
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.parts: list[str] = []

    def _skipped(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        skipped = (
            self._skipped()
            or tag in SKIPPED_TAGS
            or (lang is not None and tag != "html" and not lang.lower().startswith(self.page_lang))
        )
        if not skipped:
            for name in SHOWN_ATTRIBUTES:
                if attrs.get(name):
                    self.parts.append(attrs[name])
            if tag == "input" and (attrs.get("type") or "").lower() in BUTTON_TYPES and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if not self._skipped() and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str, page_lang: str = "zh") -> list[str]:
    """The pieces of text a person sees or hears on the page (see `_Text`)."""
    parser = _Text(page_lang.split("_")[0].split("-")[0])
    parser.feed(html)
    parser.close()
    return parser.parts


# Latin words a Chinese page may show: abbreviations people use in Chinese too, and codes.
ALLOWED_WORDS = {"CNY", "PDF", "JPG", "JPEG", "PNG", "SMS", "MB", "KB", "ID", "OK", "SLA", "RA"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’_-]*")
RAW_ID = re.compile(r"%\(\w+\)[sd]|\{\{|\}\}|\b[a-z]+(?:_[a-z0-9]+)+\b")


def english_words(text: str) -> list[str]:
    """The English words in `text` (the rule every "no English on a Chinese page" check uses): Latin words with
    two letters or more, except codes with digits (loan numbers, references, user names such as
    reviewer1, ID numbers) and the abbreviations in ALLOWED_WORDS."""
    text = text.replace("CN¥", "¥")  # how Traditional Chinese (zh_Hant_HK) writes the renminbi sign
    return [
        word
        for word in WORD.findall(text)
        if len(word) >= 2 and not any(ch.isdigit() for ch in word) and word not in ALLOWED_WORDS
    ]


def raw_message_ids(text: str) -> list[str]:
    """Things that look like a message id or code shown as is: %(name)s placeholders, {{ }}, snake_case codes."""
    return RAW_ID.findall(text)
