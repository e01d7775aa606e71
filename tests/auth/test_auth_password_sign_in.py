"""Borrower sign-in with phone number and password."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.people.models import SignInFailure
from tests.helpers.auth import (
    PASSWORD,
    WRONG_PASSWORD,
    database,
    field_errors,
    html_lang,
    is_signed_in,
    loan_numbers,
    location_path,
    translated,
)
from tests.helpers.common import sign_in

NOT_RIGHT = "The phone number or password is not right. Check them and try again."
BAD_PHONE = "Enter an 11-digit mobile phone number."


def test_right_password_redirects_to_the_dashboard_which_shows_the_borrowers_loan(demo, client):
    own = loan_numbers(demo, "13800000001")
    other = loan_numbers(demo, "13800000002")

    response = sign_in(client, "13800000001", PASSWORD)

    assert response.status_code == 302
    assert location_path(response) == "/"
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert own == ["DKCC11000001"]
    assert own[0] in html
    assert other[0] not in html


def test_phone_typed_with_spaces_and_dashes_signs_in(demo, client):
    response = sign_in(client, "138 0000-0001", PASSWORD)

    assert response.status_code == 302
    assert location_path(response) == "/"
    assert is_signed_in(client)


def test_wrong_password_shows_the_translated_field_error_and_does_not_sign_in(demo, client):
    response = sign_in(client, "13800000001", WRONG_PASSWORD)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html_lang(response) == "zh-Hans"
    assert field_errors(html, "password") == [translated(demo, NOT_RIGHT, "zh_Hans")]
    assert WRONG_PASSWORD not in html  # the password is never echoed back into the form
    assert not is_signed_in(client)


def test_wrong_password_on_an_english_page_shows_the_english_message(demo, client):
    response = client.submit(
        "/sign-in", {"phone": "13800000001", "password": WRONG_PASSWORD}, headers={"Accept-Language": "en"}
    )

    assert response.status_code == 200
    assert html_lang(response) == "en"
    assert field_errors(response.get_data(as_text=True), "password") == [NOT_RIGHT]


def test_unknown_phone_gets_the_same_message_as_a_wrong_password(demo, client, app):
    known = sign_in(client, "13800000001", WRONG_PASSWORD)
    unknown = sign_in(app.test_client(), "13899990001", PASSWORD)

    assert unknown.status_code == known.status_code == 200
    known_errors = field_errors(known.get_data(as_text=True), "password")
    unknown_errors = field_errors(unknown.get_data(as_text=True), "password")
    assert unknown_errors == known_errors == [translated(demo, NOT_RIGHT)]
    assert field_errors(unknown.get_data(as_text=True), "phone") == []


def test_badly_formed_phone_gets_a_field_error_and_is_not_counted(demo, client):
    for phone in ("12345", "23800000001", "1380000000a", "138000000011"):
        response = sign_in(client, phone, PASSWORD)

        assert response.status_code == 200, phone
        html = response.get_data(as_text=True)
        assert field_errors(html, "phone") == [translated(demo, BAD_PHONE)], phone
        assert field_errors(html, "password") == [], phone
    assert not is_signed_in(client)
    with database(demo) as session:
        assert session.scalar(select(func.count()).select_from(SignInFailure)) == 0


def test_empty_form_gets_an_error_on_each_field(demo, client):
    response = client.submit("/sign-in", {"phone": "", "password": ""})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_errors(html, "phone") == [translated(demo, "Enter your mobile phone number.")]
    assert field_errors(html, "password") == [translated(demo, "Enter your password.")]
