"""Staff move a borrower to the other variant (audited, old and new value); applications already started keep
the variant and policy pack they were started under; new borrowers take their variant from their branch."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.applications.models import Application
from portal.loans import services
from portal.people.models import Borrower, Branch
from tests.helpers.variants import (
    RURAL,
    audit_rows,
    borrower,
    borrower_client,
    csrf,
    database,
    footer,
    ids_on,
    loan_number,
    staff_client,
    start,
    submit_with_services,
)


@pytest.fixture
def rural_case(demo):
    """A submitted application of the rural demo borrower: its reference."""
    reference = start(borrower_client(demo, RURAL), loan_number(demo, RURAL), "variant-case-key-00001")
    submit_with_services(demo, reference)
    return reference


@pytest.mark.parametrize("username", ["reviewer1", "senior1", "admin1"])
def test_staff_change_a_borrowers_variant_on_the_case_page_and_it_is_audited(demo, rural_case, username):
    staff = staff_client(demo, username)
    page = staff.get(f"/staff/cases/{rural_case}").get_data(as_text=True)
    assert 'id="variant-form"' in page

    response = staff.post(
        f"/staff/cases/{rural_case}/variant", data={"csrf_token": csrf(page), "variant": "urban"}
    )

    assert response.status_code == 303
    with database(demo) as session:
        moved = borrower(session, RURAL)
        assert moved.variant == "urban"
        application = session.scalars(select(Application).where(Application.reference == rural_case)).one()
        assert application.variant == "rural"  # the open application keeps its variant...
        assert application.policy_pack.variant == "rural"  # ...and its policy pack
    [event] = audit_rows(demo, "borrower.variant_changed")
    assert event.data == {"from": "rural", "to": "urban"}
    assert event.subject == f"borrower:{moved.id}" and event.actor.startswith("staff:")
    # The borrower's own pages now offer urban help.
    html = footer(borrower_client(demo, RURAL).get("/").get_data(as_text=True))
    assert "help-callback" in ids_on(html) and "help-visit" not in ids_on(html)


def test_choosing_the_same_variant_changes_nothing_and_writes_no_audit_row(demo, rural_case):
    staff = staff_client(demo, "reviewer1")
    page = staff.get(f"/staff/cases/{rural_case}").get_data(as_text=True)

    response = staff.post(
        f"/staff/cases/{rural_case}/variant", data={"csrf_token": csrf(page), "variant": "rural"}
    )

    assert response.status_code == 303
    assert audit_rows(demo, "borrower.variant_changed") == []


def test_a_variant_that_does_not_exist_is_refused_at_the_field(demo, rural_case):
    staff = staff_client(demo, "reviewer1")
    page = staff.get(f"/staff/cases/{rural_case}").get_data(as_text=True)

    response = staff.post(
        f"/staff/cases/{rural_case}/variant", data={"csrf_token": csrf(page), "variant": "suburban"}
    )

    assert response.status_code == 200
    assert 'class="error-message"' in response.get_data(as_text=True)
    with database(demo) as session:
        assert borrower(session, RURAL).variant == "rural"


@pytest.mark.parametrize("who", ["agent1", "borrower", "anonymous"])
def test_agents_borrowers_and_visitors_cannot_change_a_variant(demo, rural_case, who):
    if who == "borrower":
        client = borrower_client(demo, RURAL)
        token = csrf(client.get("/").get_data(as_text=True))
    elif who == "anonymous":
        client = demo.test_client()
        token = csrf(client.get("/sign-in").get_data(as_text=True))
    else:
        client = staff_client(demo, who)
        token = csrf(client.get("/staff/borrowers").get_data(as_text=True))

    response = client.post(
        f"/staff/cases/{rural_case}/variant", data={"csrf_token": token, "variant": "urban"}
    )

    assert response.status_code == 404
    with database(demo) as session:
        assert borrower(session, RURAL).variant == "rural"
    assert audit_rows(demo, "borrower.variant_changed") == []


def test_an_open_draft_keeps_its_rural_pages_after_the_borrower_is_moved_to_urban(demo):
    client = borrower_client(demo, RURAL)
    reference = start(client, loan_number(demo, RURAL), "variant-draft-key-00001")
    with database(demo) as session:
        services.change_variant(session, borrower(session, RURAL), "urban", actor="staff:1")
        session.commit()

    money = client.get(f"/applications/{reference}/money").get_data(as_text=True)
    spending = client.get(f"/applications/{reference}/spending")

    assert 'name="spending_food"' not in money  # still the rural split: income first
    assert spending.status_code == 200 and 'name="spending_seed"' in spending.get_data(as_text=True)
    assert "variant-rural" in money
    assert "variant-urban" in client.get("/").get_data(as_text=True)  # the rest follows the new variant


def test_new_borrowers_take_their_variant_from_their_branch(demo):
    with database(demo) as session:
        for code, kind in (("QS01", "rural"), ("CC11", "urban")):
            branch = session.scalars(select(Branch).where(Branch.code == code)).one()
            made = services.register_borrower(
                session,
                phone=f"1370000{code[-2:]}01",
                name="测试",
                id_number="110101199001011234",
                birth_date=date(1990, 1, 1),
                branch=branch,
            )
            assert made.variant == kind
        for person in session.scalars(select(Borrower)):
            assert person.variant == person.home_branch.kind, person.phone
