"""Forms take only their declared fields (no mass assignment), and hostile text is stored or refused, never a 500,
and always shown escaped."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from portal import policies
from portal.applications.models import Application
from portal.people.models import Borrower
from tests.helpers.applications import (
    HOSTILE,
    NUL,
    PASSWORD,
    RAW_MARKUP,
    RURAL,
    URBAN,
    application,
    approved,
    budget_data,
    database,
    draft,
    hardship_data,
    loan_of,
    move,
    new_key,
    path_of,
    plan_data,
    reference_of,
    signed_in,
    snapshot,
    start,
    submitted,
)
from tests.helpers.files import PDF

OTHER = "13800000004"  # a rural borrower with two loans


def _extras(app) -> dict:
    """Fields no journey form declares, pointing at another borrower's loan and a decided state."""
    with database(app) as session:
        loan = loan_of(session, OTHER, 1)
        rural_pack = policies.current(session, "rural")[0]
        return {
            "status": "approved",
            "loan_id": str(loan.id),
            "borrower_id": str(loan.borrower_id),
            "option": "extension",
            "kind": "extension",
            "reference": "RA-HACKED",
            "variant": "rural",
            "policy_pack_id": str(rural_pack.id),
            "amount_fen": "1",
            "decision_due": "2020-01-01",
            "agreement_hash": "0" * 64,
            "info_response": "injected",
            "counter_terms": '{"months": 36}',
            "spending_seed": "900",  # a rural category, not on an urban form
            "income_bribe": "5",
        }


def _own(app, phone: str = URBAN) -> tuple[int, int]:
    with database(app) as session:
        loan = loan_of(session, phone)
        return loan.id, loan.borrower_id


def test_start_form_takes_only_its_key(demo):
    client = signed_in(demo, URBAN)
    extras = _extras(demo)
    with database(demo) as session:
        number = loan_of(session, URBAN).number

    response = client.submit(f"/loans/{number}/help", {"key": new_key(), **extras}, page=f"/loans/{number}")

    assert response.status_code == 303
    reference = reference_of(response)
    assert reference != "RA-HACKED"
    loan_id, borrower_id = _own(demo)
    row = snapshot(demo, reference)
    assert (row["status"], row["loan_id"], row["borrower_id"], row["option"], row["variant"]) == (
        "draft",
        loan_id,
        borrower_id,
        None,
        "urban",
    )
    with database(demo) as session:
        assert application(session, reference).policy_pack.variant == "urban"
        assert (
            session.scalars(select(Application).where(Application.loan_id == int(extras["loan_id"]))).all()
            == []
        )


def test_another_borrowers_loan_cannot_be_started(demo):
    client = signed_in(demo, URBAN)
    with database(demo) as session:
        theirs = loan_of(session, OTHER, 1).number

    response = client.submit(f"/loans/{theirs}/help", {"key": new_key()}, page="/")

    assert response.status_code == 404
    with database(demo) as session:
        assert session.scalars(select(Application)).all() == []


def test_journey_forms_take_only_their_declared_fields(demo):
    client = signed_in(demo, URBAN)
    extras = _extras(demo)
    with database(demo) as session:
        number = loan_of(session, URBAN).number
    reference = reference_of(start(client, number))
    base = f"/applications/{reference}"
    start_state = snapshot(demo, reference)

    assert client.submit(f"{base}/hardship", {**hardship_data(), **extras}).status_code == 303
    after_hardship = snapshot(demo, reference)
    assert after_hardship == {
        **start_state,
        "reasons": ["income_reduced"],
        "duration": "under_6_months",
        "account": "Hours cut at work.",
    }

    assert client.submit(f"{base}/money", {**budget_data(), **extras}).status_code == 303
    after_money = snapshot(demo, reference)
    assert set(after_money["budget"]["spending"]) == {
        "food",
        "housing",
        "utilities",
        "education",
        "medical",
        "transport",
    }
    assert "bribe" not in after_money["budget"]["income"]
    assert {k: v for k, v in after_money.items() if k != "budget"} == {
        k: v for k, v in after_hardship.items() if k != "budget"
    }

    token = client.csrf_token(f"{base}/evidence")
    upload = client.post(
        f"{base}/evidence",
        data={"csrf_token": token, "file": (io.BytesIO(PDF), "a.pdf"), **extras},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 303
    after_evidence = snapshot(demo, reference)
    assert after_evidence == {**after_money, "evidence": 1}

    chosen = client.submit(f"{base}/plan/installment_plan", {**plan_data(), **extras})
    assert path_of(chosen) == f"{base}/check"
    after_plan = snapshot(demo, reference)
    assert after_plan["option"] == "installment_plan"
    assert after_plan["terms"]["months"] == 12
    assert {k: v for k, v in after_plan.items() if k not in ("option", "terms")} == {
        k: v for k, v in after_evidence.items() if k not in ("option", "terms")
    }

    sent = client.submit(f"{base}/check", extras)
    assert path_of(sent) == f"{base}?sent=1"
    after_check = snapshot(demo, reference)
    assert after_check == {**after_plan, "status": "submitted"}
    with database(demo) as session:
        row = application(session, reference)
        assert row.reference == reference and row.amount_fen > 1
        assert row.decision_due.isoformat() == "2026-12-09"
        assert row.counter_terms is None


def test_answer_form_takes_only_the_answer(demo):
    client, _number, reference = submitted(demo)
    move(demo, reference, "in_review", "info_requested", info_request="Which month did the pay cut start?")
    extras = _extras(demo)
    before = snapshot(demo, reference)

    response = client.submit(
        f"/applications/{reference}/answer", {"answer": "March", **extras}, page=f"/applications/{reference}"
    )

    assert response.status_code == 303
    assert snapshot(demo, reference) == {**before, "status": "submitted", "info_response": "March"}


def test_accept_form_takes_only_the_confirmation(demo):
    client, number, reference = approved(demo)
    extras = _extras(demo)
    before = snapshot(demo, reference)

    response = client.submit(
        f"/applications/{reference}/accept",
        {"password": PASSWORD, "code": "", "confirmation": "branch", "consent_reference": "X", **extras},
        page=f"/applications/{reference}/offer",
    )

    assert response.status_code == 303
    with database(demo) as session:
        row = application(session, reference)
        assert row.status == "active"
        assert row.agreement["confirmation"] == "password"
        assert "consent_reference" not in row.agreement
        assert row.agreement["loan"] == number
        assert row.agreement_hash != "0" * 64
        assert (row.loan_id, row.borrower_id, row.option) == (
            before["loan_id"],
            before["borrower_id"],
            "installment_plan",
        )
        other = loan_of(session, OTHER, 1)
        assert len(session.scalars(select(Application).where(Application.loan_id == other.id)).all()) == 0


def test_withdraw_form_takes_nothing_but_the_token(demo):
    client, _number, reference = draft(demo)
    before = snapshot(demo, reference)

    client.submit(f"/applications/{reference}/withdraw", _extras(demo), page=f"/applications/{reference}")

    assert snapshot(demo, reference) == {**before, "status": "withdrawn"}


# --- hostile strings -------------------------------------------------------------------------------------


def _no_raw_markup(html: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in html


@pytest.mark.parametrize("phone", [URBAN, RURAL])
def test_hostile_strings_in_the_hardship_account(demo, phone):
    client = signed_in(demo, phone)
    with database(demo) as session:
        number = loan_of(session, phone).number
    reference = reference_of(start(client, number))
    base = f"/applications/{reference}"

    for value in HOSTILE:
        response = client.submit(f"{base}/hardship", hardship_data(account=value))
        assert response.status_code in (200, 303), repr(value[:40])
        html = response.get_data(as_text=True)
        _no_raw_markup(html)
        if len(value) > 2000:
            assert response.status_code == 200  # refused with a field error, shown back escaped
            continue
        assert response.status_code == 303, repr(value[:40])
        saved = snapshot(demo, reference)["account"]
        assert saved == value.strip()
        for page in (f"{base}/hardship", f"{base}/check", base):
            shown = client.get(page)
            assert shown.status_code == 200
            _no_raw_markup(shown.get_data(as_text=True))
    check = client.get(f"{base}/check").get_data(as_text=True)
    assert "&lt;script&gt;" not in check  # the last value stored is the emoji one
    assert "还不上了 😀🌾🏠" in check


def test_the_script_tag_is_shown_escaped_on_the_check_page(demo):
    client = signed_in(demo, URBAN)
    with database(demo) as session:
        number = loan_of(session, URBAN).number
    reference = reference_of(start(client, number))

    client.submit(f"/applications/{reference}/hardship", hardship_data(account=HOSTILE[0]))

    html = client.get(f"/applications/{reference}/check").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    _no_raw_markup(html)


def test_hostile_strings_in_the_answer(demo):
    client, _number, reference = submitted(demo)
    base = f"/applications/{reference}"

    for value in HOSTILE:
        move(demo, reference, "in_review", "info_requested", info_request=f"Tell us more: {HOSTILE[1]}")
        page = client.get(base).get_data(as_text=True)
        _no_raw_markup(page)
        response = client.submit(f"{base}/answer", {"answer": value}, page=base)
        assert response.status_code in (200, 303), repr(value[:40])
        _no_raw_markup(response.get_data(as_text=True))
        if len(value) > 2000:
            assert response.status_code == 200
            assert snapshot(demo, reference)["status"] == "info_requested"
            with database(demo) as session:
                row = application(session, reference)
                row.status = "submitted"  # put it back to take the next string through the lifecycle
                session.commit()
            continue
        assert response.status_code == 303, repr(value[:40])
        assert snapshot(demo, reference)["info_response"] == value.strip()
        shown = client.get(base)
        assert shown.status_code == 200
        _no_raw_markup(shown.get_data(as_text=True))


def test_borrower_names_are_escaped_in_the_agreement(demo):
    with database(demo) as session:
        borrower = session.scalars(select(Borrower).where(Borrower.phone == URBAN)).one()
        borrower.name = HOSTILE[0]
        session.commit()
    client, _number, reference = approved(demo)

    client.submit(
        f"/applications/{reference}/accept", {"password": PASSWORD}, page=f"/applications/{reference}/offer"
    )

    html = client.get(f"/applications/{reference}/agreement").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    _no_raw_markup(html)


# --- NUL: every form refuses or drops it (PostgreSQL cannot store it; it used to be a 500 there) --------------


def _nul_free(app, reference: str, field: str) -> None:
    with database(app) as session:
        value = getattr(application(session, reference), field) or ""
    assert "\x00" not in value


def test_a_nul_in_the_hardship_account_is_refused_or_removed(demo):
    client = signed_in(demo, URBAN)
    with database(demo) as session:
        number = loan_of(session, URBAN).number
    reference = reference_of(start(client, number))

    response = client.submit(f"/applications/{reference}/hardship", hardship_data(account=NUL))

    assert response.status_code in (200, 303)
    _nul_free(demo, reference, "account")


def test_a_nul_in_the_answer_is_refused_or_removed(demo):
    client, _number, reference = submitted(demo)
    move(demo, reference, "in_review", "info_requested", info_request="Which month?")

    response = client.submit(
        f"/applications/{reference}/answer", {"answer": NUL}, page=f"/applications/{reference}"
    )

    assert response.status_code in (200, 303)
    _nul_free(demo, reference, "info_response")


def test_a_nul_in_the_start_key_is_refused(demo):
    client = signed_in(demo, URBAN)
    with database(demo) as session:
        number = loan_of(session, URBAN).number

    response = client.submit(f"/loans/{number}/help", {"key": "k" * 20 + NUL}, page=f"/loans/{number}")

    assert response.status_code in (303, 400)
    with database(demo) as session:
        assert all("\x00" not in key for key in session.scalars(select(Application.create_key)))
