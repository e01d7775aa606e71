"""axe-core on every page of the page catalog (tests/helpers/pages.py), for each role, for urban and rural
borrowers: no violations.

Each page is checked once, in one of the three languages, taken in turn down the catalog, so every language is
checked on a third of the pages and every page in one language. What axe checks (names, roles, contrast,
structure) comes from the templates, which are the same in every language; what a language could change on its
own, a missing translation or the `lang` attribute, is checked on every page in every language by the wording
sweeps (tests/sweeps) and here by `expect_lang`. The journeys' own axe checks (test_e2e_apply_accessibility,
test_e2e_accessibility) run in all three languages.

One browser; one context per person and language, signed in once through the shared sign-in helpers. Folded
parts (<details>) are opened before the check, so the tables in them are checked too. The portal is one of its
own (the catalog's demo: applications in every status), on a database of its own.

Staff case pages: a case in every status for the reviewer; for the senior reviewer and the admin, the case pages
are the same template and data, so one case each (their queue, borrower list and outcomes are all checked).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import groupby

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from tests.helpers.common import settings
from tests.helpers.e2e import (
    DESKTOP,
    PHONE,
    LivePortal,
    expect_lang,
    new_page,
    own_live_portal,
    set_staff_locale,
    sign_in,
    staff_sign_in,
)
from tests.helpers.pages import PASSWORD, Login, Visit, arrange_catalog_demo, catalog

pytestmark = pytest.mark.page_sweep

AXE = Axe()
LANGS = ("zh_Hans", "zh_Hant", "en")
BROWSER_LOCALE = {"zh_Hans": "zh-CN", "zh_Hant": "zh-TW", "en": "en-GB"}
LANDING = {
    "reviewer1": "/staff/queue",
    "senior1": "/staff/queue",
    "admin1": "/staff/outcomes",
    "agent1": "/agent/",
}


@pytest.fixture(scope="module")
def catalog_portal(tmp_path_factory) -> Iterator[tuple[LivePortal, list[Visit]]]:
    workdir = tmp_path_factory.mktemp("axe-sweep")
    with own_live_portal(
        settings, workdir, pg_name="test_sweeps_axe", arrange=arrange_catalog_demo
    ) as portal:
        from portal import db

        with portal.app.app_context():
            visits = catalog(db.session)
        yield portal, visits


def checked(visits: list[Visit]) -> list[Visit]:
    seen_case: set[str] = set()
    out = []
    for visit in visits:
        if visit.endpoint == "staff.case" and visit.role != "reviewer":
            if visit.role in seen_case:
                continue
            seen_case.add(visit.role)
        out.append(visit)
    return out


def open_as(browser: Browser, portal: LivePortal, login: Login, lang: str):
    staff = login.kind in ("staff", "staff_password")
    page = new_page(browser, viewport=DESKTOP if staff else PHONE, locale=BROWSER_LOCALE[lang])
    if login.kind == "borrower":
        portal.set_borrower_locale(login.who, lang)
        page.goto(f"{portal.url}/sign-in")
        sign_in(page, portal, lang, phone=login.who)
        expect(page).to_have_url(f"{portal.url}/")
    elif login.kind == "staff":
        set_staff_locale(portal, login.who, lang)
        staff_sign_in(page, portal, login.who, lang, lands_on=LANDING[login.who])
    elif login.kind == "staff_password":  # at the second factor's step (the code, or enrolment)
        set_staff_locale(portal, login.who, lang)
        page.goto(f"{portal.url}/staff/sign-in")
        page.get_by_label(portal.ui_text("User name", lang), exact=True).fill(login.who)
        page.get_by_label(portal.ui_text("Password", lang), exact=True).fill(PASSWORD)
        page.get_by_role("button", name=portal.ui_text("Sign in", lang), exact=True).click()
        expect(page).to_have_url(re.compile(re.escape(portal.url) + r"/staff/sign-in/(code|enrol)$"))
    elif login.kind == "code_requested":
        page.goto(f"{portal.url}/sign-in/code")
        page.get_by_label(portal.ui_text("Mobile phone number", lang), exact=True).fill(login.who)
        page.get_by_role("main").get_by_role("button").click()
        expect(page).to_have_url(f"{portal.url}/sign-in/code/enter")
    return page


def violations_on(page, visit: Visit, lang: str) -> list[str]:
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    results = AXE.run(page)
    return [
        f"{visit.name} ({lang}) {visit.url}: {rule['id']} ({rule['impact']}) at {node['target']}: {rule['help']}"
        for rule in results.response["violations"]
        for node in rule["nodes"]
    ]


def languages(visits: list[Visit]) -> dict[str, str]:
    """The language each page is checked in: the three in turn, down the catalog."""
    return {visit.name: LANGS[i % len(LANGS)] for i, visit in enumerate(visits)}


def sittings(login: Login, group: list[Visit], language: dict[str, str]) -> list[list[Visit]]:
    """The visits of one login in as few browser contexts as will do: someone signed in changes their saved
    language between pages (no second sign-in), one not signed in takes a context per language."""
    ordered = sorted(group, key=lambda v: LANGS.index(language[v.name]))
    if login.kind in ("borrower", "staff"):
        return [ordered]
    return [list(same) for _lang, same in groupby(ordered, key=lambda v: language[v.name])]


def save_language(portal: LivePortal, login: Login, lang: str) -> None:
    if login.kind == "borrower":
        portal.set_borrower_locale(login.who, lang)
    else:
        set_staff_locale(portal, login.who, lang)


def test_every_page_of_the_catalog_is_checked_once_and_each_language_on_a_third(catalog_portal):
    _portal, visits = catalog_portal
    language = languages(checked(visits))
    assert sorted(language) == sorted(v.name for v in checked(visits))
    counts = [list(language.values()).count(lang) for lang in LANGS]
    assert min(counts) >= 30 and max(counts) - min(counts) <= 1, counts


def test_no_axe_violations_on_any_page_of_the_catalog(browser: Browser, catalog_portal):
    portal, visits = catalog_portal
    language = languages(checked(visits))
    found: list[str] = []
    audited = {lang: 0 for lang in LANGS}
    by_login = sorted(checked(visits), key=lambda v: (v.login.kind, v.login.who))
    for login, group in groupby(by_login, key=lambda v: v.login):
        for sitting in sittings(login, list(group), language):
            current = language[sitting[0].name]
            page = open_as(browser, portal, login, current)
            try:
                for visit in sitting:
                    lang = language[visit.name]
                    if lang != current:
                        save_language(portal, login, lang)
                        current = lang
                    response = page.goto(f"{portal.url}{visit.url}")
                    assert response.status == visit.status, (visit.name, response.status)
                    expect_lang(page, lang)
                    found += violations_on(page, visit, lang)
                    audited[lang] += 1
            finally:
                page.context.close()
    assert min(audited.values()) >= 30, audited
    assert not found, f"{len(found)} axe violations on {sum(audited.values())} pages:\n" + "\n".join(found)
