"""Staff move a borrower to the other variant from the Borrowers page, application or not: reviewers, senior
reviewers and admins only; audited; applications already started keep their variant; back to the same view."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.applications.models import Application
from portal.people.models import Borrower
from tests.helpers.variants import (
    RURAL,
    URBAN,
    audit_rows,
    borrower,
    borrower_client,
    csrf,
    database,
    footer,
    ids_on,
    loan_number,
    path_of,
    staff_client,
    start,
    text,
)


def _list(client, phone: str) -> str:
    return client.get(f"/staff/borrowers?q={phone}").get_data(as_text=True)


def _form_action(html: str, borrower_id: int) -> str:
    match = re.search(
        rf'<form method="post" action="([^"]*/staff/borrowers/{borrower_id}/variant[^"]*)"', html
    )
    assert match, "no variant form for the borrower"
    return match.group(1).replace("&amp;", "&")


def _id(app, phone: str) -> int:
    with database(app) as session:
        return borrower(session, phone).id


@pytest.mark.parametrize("username", ["reviewer1", "senior1", "admin1"])
def test_staff_move_a_borrower_with_no_application_from_urban_to_rural_on_the_borrowers_page(demo, username):
    with database(demo) as session:
        moved = borrower(session, URBAN)
        assert moved.variant == "urban"
        assert (
            session.scalar(select(func.count(Application.id)).where(Application.borrower_id == moved.id)) == 0
        )
        moved_id = moved.id
    staff = staff_client(demo, username)
    page = _list(staff, URBAN)
    action = _form_action(page, moved_id)
    assert "q=" + URBAN in action  # the form carries the page's own query on

    response = staff.post(action, data={"csrf_token": csrf(page), "variant": "rural"})

    assert response.status_code == 303
    assert path_of(response) == f"/staff/borrowers?q={URBAN}"  # back to the same view
    back = staff.get(path_of(response)).get_data(as_text=True)
    assert text(demo, "The borrower's variant is changed. Applications already started keep theirs.") in back
    with database(demo) as session:
        assert borrower(session, URBAN).variant == "rural"
    [event] = audit_rows(demo, "borrower.variant_changed")
    assert event.data == {"from": "urban", "to": "rural"}
    assert event.subject == f"borrower:{moved_id}" and event.actor.startswith("staff:")
    # The borrower's next page is in the rural variant, with its rural help.
    home = borrower_client(demo, URBAN).get("/").get_data(as_text=True)
    assert "variant-rural" in home
    assert "help-visit" in ids_on(footer(home)) and "help-callback" not in ids_on(footer(home))


def test_each_row_has_its_own_form_whose_button_names_the_borrower(demo):
    page = staff_client(demo, "reviewer1").get("/staff/borrowers").get_data(as_text=True)
    with database(demo) as session:
        names = {b.id: b.name for b in session.scalars(select(Borrower))}

    forms = re.findall(r'action="[^"]*/staff/borrowers/(\d+)/variant".*?</form>', page, re.S)
    assert forms, "no variant form on the Borrowers page"
    for borrower_id in forms:
        block = re.search(rf'/staff/borrowers/{borrower_id}/variant".*?</form>', page, re.S).group(0)
        button = re.search(r"<button.*?</button>", block, re.S).group(0)
        assert names[int(borrower_id)] in button  # screen readers tell the rows apart
        assert 'name="csrf_token"' in block


def test_an_open_application_keeps_its_variant_when_the_borrower_is_moved_from_the_borrowers_page(demo):
    reference = start(borrower_client(demo, RURAL), loan_number(demo, RURAL), "variant-list-key-000001")
    staff = staff_client(demo, "reviewer1")
    page = _list(staff, RURAL)

    response = staff.post(
        _form_action(page, _id(demo, RURAL)), data={"csrf_token": csrf(page), "variant": "urban"}
    )

    assert response.status_code == 303
    with database(demo) as session:
        assert borrower(session, RURAL).variant == "urban"
        application = session.scalars(select(Application).where(Application.reference == reference)).one()
        assert application.variant == "rural" and application.policy_pack.variant == "rural"


def test_the_same_variant_changes_nothing_and_writes_no_audit_row(demo):
    staff = staff_client(demo, "reviewer1")
    page = _list(staff, URBAN)

    response = staff.post(
        _form_action(page, _id(demo, URBAN)), data={"csrf_token": csrf(page), "variant": "urban"}
    )

    assert response.status_code == 303
    assert text(demo, "The borrower already has that variant.") in staff.get(path_of(response)).get_data(
        as_text=True
    )
    assert audit_rows(demo, "borrower.variant_changed") == []


@pytest.mark.parametrize("value", ["suburban", "", "<b>rural</b>", "RURAL"])
def test_a_bad_variant_value_changes_nothing(demo, value):
    staff = staff_client(demo, "reviewer1")
    page = _list(staff, URBAN)

    response = staff.post(
        _form_action(page, _id(demo, URBAN)), data={"csrf_token": csrf(page), "variant": value}
    )

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'class="error-message"' in body and "<b>rural</b>" not in body
    with database(demo) as session:
        assert borrower(session, URBAN).variant == "urban"
    assert audit_rows(demo, "borrower.variant_changed") == []


def test_an_unknown_borrower_id_is_404(demo):
    staff = staff_client(demo, "reviewer1")
    token = csrf(staff.get("/staff/borrowers").get_data(as_text=True))
    with database(demo) as session:
        missing = session.scalar(select(func.max(Borrower.id))) + 1

    response = staff.post(
        f"/staff/borrowers/{missing}/variant", data={"csrf_token": token, "variant": "rural"}
    )

    assert response.status_code == 404
    assert audit_rows(demo, "borrower.variant_changed") == []


@pytest.mark.parametrize("who", ["agent1", "borrower", "anonymous"])
def test_agents_borrowers_and_visitors_cannot_move_a_borrower_from_the_list(demo, who):
    if who == "borrower":
        client = borrower_client(demo, URBAN)
        token = csrf(client.get("/").get_data(as_text=True))
    elif who == "anonymous":
        client = demo.test_client()
        token = csrf(client.get("/sign-in").get_data(as_text=True))
    else:
        client = staff_client(demo, who)
        page = client.get("/staff/borrowers").get_data(as_text=True)
        assert "/variant" not in page  # an agent sees no variant form at all
        token = csrf(page)

    response = client.post(
        f"/staff/borrowers/{_id(demo, URBAN)}/variant", data={"csrf_token": token, "variant": "rural"}
    )

    assert response.status_code == 404
    with database(demo) as session:
        assert borrower(session, URBAN).variant == "urban"
    assert audit_rows(demo, "borrower.variant_changed") == []
