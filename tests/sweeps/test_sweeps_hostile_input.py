"""Hostile strings in every field of every form of the catalog's pages: no 5xx, no unescaped echo, and nothing
half-written.

The forms are found on the pages themselves (each form's fields, its pre-filled values and its CSRF token), one
per endpoint: sign-in, SMS code, staff sign-in, the language switcher, the password change (borrower and
staff), the borrower's journey steps (start, hardship, money, documents, plan, check), withdraw, answer, appeal, the offer
(accept, code, decline), the staff decisions (claim, approve, reject, information, counter, release) and the
GET filters of the queue and the borrower list.

Speed: rather than one request per field and corpus entry, each request carries corpus entries in up to three
fields at once (the other fields keep the page's own, valid values), rotating so that every entry reaches at
least one field of each kind of form (KIND: the four sign-in forms are one kind, the staff decisions another...)
and every field, hidden ones included, gets at least 50 entries.

One test per form (SWEPT), run in that order on the module's shared site, so a slow or failing form shows by
name; two more check the plan's coverage, and two the stored markup (before the FINAL forms and at the end).

- No 5xx, ever.
- No echo: a corpus entry with a `<` never appears as is in the answer (nor, at the end, on any page).
- Nothing half-written: a refused request (not a redirect) leaves the applications, documents, schedules and
  payments exactly as they were; at the end the audit chain is whole.
"""

from __future__ import annotations

import io
import math
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select, text

from tests.helpers.files import PDF
from tests.helpers.hostile_corpus import CORPUS as HOSTILE_CORPUS
from tests.helpers.pages import ROLES, Login

CORPUS: list[str] = HOSTILE_CORPUS
PER_REQUEST = 3
EXTRA_FIELDS = 10  # a form with no field of its own gets this many undeclared ones (mass assignment)
PER_FIELD = 50
# Forms that end what the others need (a sent draft has no more steps; a decided case no decision forms): last.
FINAL = (
    "borrower.check_step",
    "borrower.withdraw",
    "borrower.accept",
    "borrower.decline",
    "staff.approve",
    "staff.reject",
    "staff.counter",
    "staff.request_information",
    "staff.release",
    "staff.reassign",
    "staff.help_request_done",
    "agents.callback_done",
    "agents.end_session",
)
DECISIONS = ("staff.approve", "staff.reject", "staff.counter", "staff.request_information", "staff.release")
# Kinds of form: the forms of one kind split the corpus between them (every entry reaches each kind).
KIND = {
    "auth.sign_in": "sign-in",
    "auth.request_code": "sign-in",
    "auth.enter_code": "sign-in",
    "auth.staff_sign_in": "sign-in",
    "borrower.answer": "borrower's text",
    "borrower.appeal": "borrower's text",
    "borrower.start_application": "borrower's buttons",
    "borrower.check_step": "borrower's buttons",
    "borrower.withdraw": "borrower's buttons",
    "borrower.decline": "borrower's buttons",
    "borrower.offer_code": "borrower's buttons",
    "staff.claim": "staff buttons",
    "staff.release": "staff buttons",
    "staff.reassign": "staff buttons",
    "staff.approve": "staff decisions",
    "staff.reject": "staff decisions",
    "staff.request_information": "staff decisions",
    "staff.counter": "staff decisions",
    "staff.queue": "staff filters",
    "staff.borrowers": "staff filters",
    "staff.change_variant": "staff decisions",
    "staff.change_borrower_variant": "staff decisions",
    "borrower.help_visit": "borrower's text",
    "borrower.help_callback": "borrower's text",
    "borrower.support_code": "borrower's buttons",
    "agents.find": "staff filters",
    "agents.verify_code": "agent's verification",
    "agents.verify_questions": "agent's verification",
    "agents.add_note": "agent's notes",
    "agents.add_callback": "agent's notes",
    "agents.callback_done": "staff buttons",
    "agents.end_session": "staff buttons",
    "staff.help_request_done": "staff buttons",
    # The current password is only checked (and counted toward the lockout) once the new one is acceptable and
    # repeated alike, so hostile strings meet the form's validation, not the lockout.
    "borrower.change_password": "password change",
    "staff.change_password": "password change",
}
SKIPPED = {
    "auth.sign_out": "ends the session the sweep is using; it has no fields",
    "auth.staff_code": "wrong codes lock the second factor of a person the sweep signs in as; hostile codes are "
    "covered by tests/security/test_security_totp.py",
    "auth.staff_enrol": "the same lockout; the enrolment code is tested in tests/security/test_security_totp.py",
}
# Valid values for fields a page leaves empty (the sweep's baseline).
VALID = {
    "phone": "13912345678",
    "password": "Not-the-password-1",
    "username": "nobody",
    "code": "123456",
    "account": "收入减少了。",
    "answer": "工资单已经交到支行。",
    "reason": "情况有变化。",
    "question": "请补充收入证明。",
    "note": "已核实。",
    "message": "请按新的方案还款。",
    "internal_note": "已电话核实。",
    "q": "王",
    "upfront": "",
    "months": "12",
    "pay_day": "10",
}


class Forms(HTMLParser):
    """Every <form> of a page: action, method, and its fields as (name, kind, default value, options)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.form: dict | None = None
        self.select: dict | None = None
        self.textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "fields": {},
            }
            self.forms.append(self.form)
            return
        if self.form is None or not a.get("name"):
            return
        fields, name = self.form["fields"], a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                field = fields.setdefault(name, {"kind": kind, "value": [], "options": []})
                field["options"].append(a.get("value", "on"))
                if "checked" in a:
                    field["value"].append(a.get("value", "on"))
            elif kind in ("submit", "button"):
                fields.setdefault(name, {"kind": "button", "value": a.get("value", ""), "options": []})
            else:
                fields[name] = {"kind": kind, "value": a.get("value", ""), "options": []}
        elif tag == "button" and a.get("value") is not None:
            fields.setdefault(name, {"kind": "button", "value": a.get("value", ""), "options": []})
        elif tag == "select":
            self.select = fields[name] = {"kind": "select", "value": None, "options": []}
        elif tag == "option" and self.select is not None:
            self.select["options"].append(a.get("value", ""))
            if "selected" in a or self.select["value"] is None:
                self.select["value"] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = fields[name] = {"kind": "textarea", "value": "", "options": []}

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def forms_on(html: str, page_url: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    for form in parser.forms:
        form["action"] = form["action"] or page_url.split("?")[0]
    return parser.forms


def baseline(form: dict) -> dict:
    """The form as the page fills it, with valid values where the page leaves a field empty."""
    data = {}
    for name, field in form["fields"].items():
        if field["kind"] in ("checkbox", "radio"):
            data[name] = field["value"] or field["options"][:1]
        elif field["kind"] == "file":
            continue
        elif not field["value"] and name in VALID:
            data[name] = VALID[name]
        elif not field["value"] and name.startswith(("income_", "spending_")):
            data[name] = "100"
        else:
            data[name] = field["value"] or ""
    return data


def typed_fields(form: dict) -> list[str]:
    """The fields a person fills in or chooses (not the hidden ones the page fills in itself)."""
    return [
        n for n, f in form["fields"].items() if f["kind"] not in ("hidden", "button") and n != "csrf_token"
    ]


def rotation(form: dict, share: int, offset: int) -> list[list[tuple[str, str]]]:
    """The (field, entry) pairs of each request for one form, carrying `share` corpus entries from `offset` on
    (the forms of one kind split the corpus between them). The fields a person fills in take them PER_REQUEST
    at a time, at least PER_FIELD entries each. The hidden fields (a decision's version, an idempotency key, the
    switcher's `next`) each get PER_FIELD entries too, one request at a time, on top (a wrong version refuses
    the request, so the other fields must get their turns with a valid one). A form with no field of its own (a
    button) gets EXTRA_FIELDS undeclared fields (see with_undeclared), all filled at once."""
    typed = typed_fields(form)
    hidden = [n for n, f in form["fields"].items() if n not in typed and n != "csrf_token"]
    size = len(CORPUS)
    if not typed:
        count = max(math.ceil(share / len(hidden)), PER_FIELD)
        return [
            [(name, CORPUS[(offset + i * len(hidden) + j) % size]) for j, name in enumerate(hidden)]
            for i in range(count)
        ]
    per = min(PER_REQUEST, len(typed))
    count = max(math.ceil(share / per), math.ceil(PER_FIELD * len(typed) / per))
    plan = []
    for i in range(count):
        slots = [i * per + j for j in range(per)]
        plan.append([(typed[slot % len(typed)], CORPUS[(offset + slot) % size]) for slot in slots])
    for h, name in enumerate(hidden):
        for k in range(PER_FIELD):
            plan.append([(name, CORPUS[(offset + k * 11 + h) % size])])
    return plan


def plans(forms: list) -> list[list[list[tuple[str, str]]]]:
    """Each form's requests: the forms of one kind share the corpus, each entry reaching at least one of them."""
    kinds: dict[str, list[int]] = {}
    for index, (endpoint, *_rest) in enumerate(forms):
        kinds.setdefault(KIND.get(endpoint, endpoint), []).append(index)
    out: list = [None] * len(forms)
    for members in kinds.values():
        share = math.ceil(len(CORPUS) / len(members))
        for n, index in enumerate(members):
            out[index] = rotation(forms[index][3], share, n * share)
    return out


def with_undeclared(form: dict) -> dict:
    """A form with no field a person fills in (a button) gets EXTRA_FIELDS undeclared fields (mass assignment)."""
    if not typed_fields(form):
        for n in range(EXTRA_FIELDS):
            form["fields"][f"unexpected{n}"] = {"kind": "hidden", "value": "", "options": []}
    return form


def submitted_references(app) -> list[str]:
    from portal import db
    from portal.applications.models import Application

    with app.app_context():
        return list(
            db.session.scalars(
                select(Application.reference)
                .where(Application.status == "submitted", Application.amount_fen <= 50_000_00)
                .order_by(Application.id)
            )
        )


def endpoint_of(app, url: str, method: str) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.match(urlsplit(url).path, method=method.upper())[0]


STATE = text(
    "SELECT (SELECT count(*) FROM applications), (SELECT coalesce(sum(row_version), 0) FROM applications),"
    " (SELECT count(*) FROM evidence), (SELECT count(*) FROM payments), (SELECT count(*) FROM schedule_versions)"
)


def state(app) -> tuple:
    """What a refused request must not change: every change to an application moves its row_version on."""
    with app.extensions["db_engine"].connect() as conn:
        return tuple(conn.execute(STATE).one())


def echoed(body: str, values: list[str]) -> list[str]:
    """Corpus entries with a `<` that the answer shows as is (as sent, or with control characters dropped)."""
    from portal.web.forms import strip_controls

    found = []
    for value in values:
        if "<" in value and (value in body or strip_controls(value) in body):
            found.append(value[:60])
    return found


def collect_forms(site) -> list[tuple[str, Login, str, dict]]:
    """One of each kind of form on the catalog's pages: (endpoint, login, page url, form)."""
    reviewer = ROLES["reviewer"]
    client = site.client(reviewer)
    token = client.csrf_token("/staff/queue")
    cases = {}  # each decision form gets a case of its own, held by the reviewer, so one decision ends no other
    for endpoint, reference in zip(DECISIONS, submitted_references(site.app), strict=False):
        url = f"/staff/cases/{reference}"
        version = re.search(
            r'name="version"[^>]*value="(\d+)"', client.get(url).get_data(as_text=True)
        ).group(1)
        claimed = client.post(f"{url}/claim", data={"csrf_token": token, "version": version})
        assert claimed.status_code == 303, claimed.status_code
        cases[endpoint] = url
    assert len(cases) == len(DECISIONS), "the demo has too few sent applications"

    found: dict[str, tuple[str, Login, str, dict]] = {}
    for visit in site.visits:
        html = site.client(visit.login).get(visit.url).get_data(as_text=True)
        for form in forms_on(html, visit.url):
            endpoint = endpoint_of(site.app, form["action"], form["method"])
            if endpoint in SKIPPED or endpoint in found:
                continue
            found[endpoint] = (endpoint, visit.login, visit.url, with_undeclared(form))
    for endpoint, url in cases.items():
        html = client.get(url).get_data(as_text=True)
        form = next(f for f in forms_on(html, url) if endpoint_of(site.app, f["action"], "post") == endpoint)
        found[endpoint] = (endpoint, reviewer, url, with_undeclared(form))
    return sorted(found.values(), key=lambda item: (item[0] in FINAL, item[0]))


# Every form the sweep finds on the catalog's pages (collect_forms), one test each, sent in this order: the forms
# that end drafts and cases (FINAL) last. A form found that is not here, or one here no longer found, fails
# test_the_forms_found_are_the_forms_swept: add it, so that no form is ever left out.
SWEPT = (
    "agents.add_callback",
    "agents.add_note",
    "agents.find",
    "agents.verify_code",
    "agents.verify_questions",
    "auth.enter_code",
    "auth.request_code",
    "auth.set_language",
    "auth.sign_in",
    "auth.staff_sign_in",
    "borrower.answer",
    "borrower.change_password",
    "borrower.evidence_step",
    "borrower.hardship_step",
    "borrower.help_callback",
    "borrower.help_visit",
    "borrower.money_step",
    "borrower.offer_code",
    "borrower.plan_step",
    "borrower.propose_step",
    "borrower.spending_step",
    "borrower.start_application",
    "borrower.support_code",
    "staff.borrowers",
    "staff.change_borrower_variant",
    "staff.change_password",
    "staff.change_variant",
    "staff.claim",
    "staff.queue",
    "agents.end_session",
    "borrower.accept",
    "borrower.check_step",
    "borrower.decline",
    "borrower.withdraw",
    "staff.approve",
    "staff.counter",
    "staff.reassign",
    "staff.reject",
    "staff.release",
    "staff.request_information",
)
FIRST = [endpoint for endpoint in SWEPT if endpoint not in FINAL]
LAST = [endpoint for endpoint in SWEPT if endpoint in FINAL]


class Sweep:
    """The module's sweep, shared by its tests in order: the forms found, each one's requests, and the markup
    stored so far (checked to show escaped before the FINAL forms and again at the end)."""

    def __init__(self, site):
        self.site = site
        found = collect_forms(site)
        self.order = [endpoint for endpoint, *_rest in found]
        self.forms = {item[0]: item for item in found}
        self.plans = dict(zip(self.order, plans(found), strict=True))
        self.stored: list[str] = []


@pytest.fixture(scope="module")
def sweep(site) -> Sweep:
    return Sweep(site)


def test_the_forms_found_are_the_forms_swept(sweep):
    assert sweep.order == list(SWEPT), (
        f"found but not in SWEPT: {sorted(set(sweep.order) - set(SWEPT))}; "
        f"in SWEPT but not found: {sorted(set(SWEPT) - set(sweep.order))}"
    )


def test_every_field_gets_its_share_and_every_kind_the_whole_corpus(sweep):
    kinds = set(sweep.order)
    for expected in (
        "auth.sign_in",
        "borrower.hardship_step",
        "borrower.money_step",
        "staff.approve",
        "staff.queue",
        "borrower.change_password",
        "staff.change_password",
    ):
        assert expected in kinds, f"no {expected} form found on the catalog's pages: {sorted(kinds)}"
    coverage = {}
    for endpoint, plan in sweep.plans.items():
        kind = KIND.get(endpoint, endpoint)
        coverage.setdefault(kind, set()).update(value for request in plan for _name, value in request)
        per_field: dict[str, int] = {}
        for request in plan:
            for name, _value in request:
                per_field[name] = per_field.get(name, 0) + 1
        assert min(per_field.values()) >= PER_FIELD, (endpoint, per_field)
    assert all(len(entries) == len(CORPUS) for entries in coverage.values()), {
        kind: len(entries) for kind, entries in coverage.items()
    }


def hostile_strings_into(sweep: Sweep, endpoint: str) -> None:
    """One form's requests: no 5xx, no echo, nothing half-written; then markup stored through its text fields."""
    assert endpoint in sweep.forms, f"no {endpoint} form found on the catalog's pages"
    site, (endpoint, login, page_url, form), plan = sweep.site, sweep.forms[endpoint], sweep.plans[endpoint]
    problems: list[str] = []
    client = site.client(login)
    token = client.csrf_token(page_url) if form["method"] == "post" else None
    data = baseline(form)
    versioned = "version" in form["fields"]
    before, refresh = state(site.app), False
    for i in range(len(plan)):
        if refresh and versioned:  # after a change, the page's own version again (a decision moves it on)
            html = client.get(page_url).get_data(as_text=True)
            fresh = [f for f in forms_on(html, page_url) if f["action"] == form["action"]]
            data = baseline(fresh[0] if fresh else form)
        refresh = False
        sent, files, values = dict(data), {}, []
        for name, value in plan[i]:
            values.append(value)
            if form["fields"][name]["kind"] == "file":
                files[name] = (io.BytesIO(PDF), value.replace("\x00", "") or "x.pdf")
            else:
                sent[name] = value
        if form["method"] == "get":
            response = client.get(form["action"] + "?" + urlencode(sent, doseq=True))
        else:
            response = client.post(
                form["action"],
                data={**sent, **files, "csrf_token": token},
                content_type="multipart/form-data" if files else None,
            )
        body = response.get_data(as_text=True)
        where = f"{form['method'].upper()} {endpoint} #{i}"
        if response.status_code >= 500:
            problems.append(f"{where}: {response.status_code} with {[v[:40] for v in values]}")
        problems += [f"{where}: echoes {v!r}" for v in echoed(body, values)]
        if form["method"] == "post":
            after = state(site.app)
            if response.status_code in (301, 302, 303):
                refresh = after != before
            elif after != before:
                problems.append(f"{where}: refused ({response.status_code}) but changed the database")
            before = after
        if len(problems) > 20:
            break
    # Last, markup in every text field with the other fields valid, so it is stored and must show escaped
    # on every page that shows it (checked by everything_still_escaped).
    last = {**data, "csrf_token": token}
    texts = [n for n, f in form["fields"].items() if f["kind"] in ("text", "textarea", "search")]
    for name in texts:
        last[name] = f'<i class="stored">{endpoint} {name}</i>'
        sweep.stored.append(last[name])
    if form["method"] == "post" and texts:
        response = client.post(form["action"], data=last)
        if response.status_code >= 500:
            problems.append(f"POST {endpoint} (stored markup): {response.status_code}")
    assert problems == [], f"{len(problems)} problems in {len(plan)} requests:\n" + "\n".join(problems)


@pytest.mark.parametrize("endpoint", FIRST)
def test_hostile_strings_in_every_field_of(sweep, endpoint):
    hostile_strings_into(sweep, endpoint)


def test_stored_markup_shows_escaped_on_every_page_before_the_final_forms(sweep):
    """Before the forms that end a draft or a case: whatever the others stored shows escaped everywhere."""
    problems = everything_still_escaped(sweep.site, sweep.stored)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("endpoint", LAST)
def test_hostile_strings_in_every_field_of_final(sweep, endpoint):
    hostile_strings_into(sweep, endpoint)


def test_stored_markup_shows_escaped_on_every_page_at_the_end(sweep):
    problems = everything_still_escaped(sweep.site, sweep.stored)
    assert problems == [], "\n".join(problems)


def everything_still_escaped(site, stored: list[str]) -> list[str]:
    """After the sweep: every page of the catalog opens without a 5xx and shows no stored entry unescaped, and
    the audit chain is whole."""
    from portal import db
    from portal.core import audit_verify

    markup = [v for v in CORPUS if "<" in v] + stored
    problems = []
    for visit in site.visits:
        response = site.client(visit.login).get(visit.url)
        if response.status_code >= 500:
            problems.append(f"{visit.name}: {response.status_code} after the sweep")
        problems += [f"{visit.name}: shows {v!r}" for v in echoed(response.get_data(as_text=True), markup)]
    with site.app.app_context():
        breaks = audit_verify.verify(db.session, site.app.config)
    if breaks:
        problems.append(f"audit chain broken: {breaks[:3]}")
    return problems
