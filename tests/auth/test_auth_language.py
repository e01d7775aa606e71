"""Language: the switcher (a POST), a signed-in borrower's saved preference, Accept-Language, the default."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.people.models import Borrower
from tests.helpers.auth import (
    code_from,
    database,
    enter_code,
    html_lang,
    location_path,
    request_code,
    sms_bodies,
)
from tests.helpers.common import sign_in

PHONE = "13800000001"


def _locale(app, phone: str) -> str:
    with database(app) as session:
        return session.scalar(select(Borrower.locale).where(Borrower.phone == phone))


def test_default_language_is_simplified_chinese(client):
    assert html_lang(client.get("/sign-in")) == "zh-Hans"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-TW", "zh-Hant"),
        ("zh-HK,zh;q=0.8", "zh-Hant"),
        ("zh-Hant", "zh-Hant"),
        ("zh-CN", "zh-Hans"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR", "zh-Hans"),
    ],
)
def test_accept_language_chooses_the_page_language(client, header, lang):
    assert html_lang(client.get("/sign-in", headers={"Accept-Language": header})) == lang


def test_switching_to_english_makes_the_page_english(client):
    response = client.submit("/language", {"lang": "en", "next": "/sign-in"}, page="/sign-in")

    assert response.status_code == 303
    assert location_path(response) == "/sign-in"
    page = client.get("/sign-in")
    assert html_lang(page) == "en"
    assert "Sign in to see your loans" in page.get_data(as_text=True)


def test_the_switch_beats_accept_language(client):
    client.submit("/language", {"lang": "zh_Hant", "next": "/sign-in"}, page="/sign-in")

    assert html_lang(client.get("/sign-in", headers={"Accept-Language": "en"})) == "zh-Hant"


def test_an_unknown_language_changes_nothing(client):
    response = client.submit("/language", {"lang": "xx", "next": "/sign-in"}, page="/sign-in")

    assert response.status_code == 303
    assert html_lang(client.get("/sign-in")) == "zh-Hans"


def test_language_switch_never_redirects_off_site(client):
    response = client.submit("/language", {"lang": "en", "next": "//evil.example"}, page="/sign-in")

    assert response.status_code == 303
    assert location_path(response) == "/"


def test_a_signed_in_borrowers_choice_is_saved_and_follows_them_to_a_new_sign_in(demo, client, app):
    sign_in(client)
    assert html_lang(client.get("/")) == "zh-Hans"

    response = client.submit("/language", {"lang": "en", "next": "/"}, page="/")

    assert response.status_code == 303
    assert html_lang(client.get("/")) == "en"
    assert _locale(demo, PHONE) == "en"
    elsewhere = app.test_client()
    sign_in(elsewhere)
    assert html_lang(elsewhere.get("/")) == "en"
    assert _locale(demo, "13800000002") == "zh_Hans"


def test_the_saved_preference_beats_the_browser_language(demo, client):
    with database(demo) as session:
        session.scalars(select(Borrower).where(Borrower.phone == PHONE)).one().locale = "zh_Hant"
        session.commit()
    sign_in(client)

    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "zh-Hant"


def test_the_language_is_kept_after_sign_out(demo, client):
    client.submit("/language", {"lang": "en", "next": "/sign-in"}, page="/sign-in")
    sign_in(client)
    client.submit("/sign-out", page="/")

    assert html_lang(client.get("/sign-in")) == "en"


@pytest.mark.parametrize("lang", ["en", "zh_Hant"])
def test_a_language_chosen_on_the_sign_in_page_is_kept_after_signing_in_and_saved(demo, client, lang):
    assert _locale(demo, PHONE) == "zh_Hans"
    client.submit("/language", {"lang": lang, "next": "/sign-in"}, page="/sign-in")

    sign_in(client)

    assert html_lang(client.get("/")) == lang.replace("_", "-")
    assert _locale(demo, PHONE) == lang


def test_a_language_chosen_before_signing_in_with_a_text_message_code_is_kept(demo, client):
    client.submit("/language", {"lang": "en", "next": "/sign-in"}, page="/sign-in")
    request_code(client, PHONE)
    enter_code(client, code_from(sms_bodies(demo, PHONE)[-1]))

    assert html_lang(client.get("/")) == "en"
    assert _locale(demo, PHONE) == "en"
