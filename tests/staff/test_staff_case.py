"""The case page: the borrower with a masked ID number, the viewing on the record, the risk score with its
reasons, and the requested schedule beside the current one; the case's documents for the staff working it."""

from __future__ import annotations

import io

from markupsafe import escape
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.applications import evidence, transitions
from portal.core.models import AuditEvent
from portal.i18n import labels
from portal.loans.positions import loan_position
from portal.people.models import Borrower
from tests.helpers.common import BUSINESS_DATE
from tests.helpers.files import PNG
from tests.helpers.staff import (
    RURAL,
    URBAN,
    application,
    audit_rows,
    case_url,
    count,
    database,
    label,
    loan_of,
    make_application,
    plain,
    row,
    staff_client,
    staff_id,
    submitted,
    table_rows,
    text,
)


def _id_number(app, phone: str) -> tuple[str, str]:
    with database(app) as session:
        borrower = session.scalars(select(Borrower).where(Borrower.phone == phone)).one()
        return borrower.id_number, borrower.masked_id_number


def test_the_case_page_shows_the_id_number_masked_never_in_full(demo):
    reference = submitted(demo, URBAN)
    full, masked = _id_number(demo, URBAN)
    assert len(full) == 18 and masked == full[:3] + "*" * 11 + full[-4:]

    for username in ("reviewer1", "senior1", "admin1"):
        html = staff_client(demo, username).get(case_url(reference)).get_data(as_text=True)

        assert masked in html, username
        assert full not in html, username
        assert full[3:14] not in html, username  # not even the birth-date middle part
        assert URBAN not in html, username  # the phone number is masked too
        assert URBAN[:3] + "****" + URBAN[-4:] in html, username


def test_viewing_a_case_is_on_the_record_with_the_borrower_it_concerns(demo):
    reference = submitted(demo, URBAN)
    reviewer1 = staff_client(demo, "reviewer1")
    stored = row(demo, reference)

    first = reviewer1.get(case_url(reference))
    second = reviewer1.get(case_url(reference))

    assert first.status_code == second.status_code == 200
    viewed = audit_rows(demo, reference, "case.viewed")
    assert len(viewed) == 2
    for event in viewed:
        assert event.actor == f"staff:{staff_id(demo, 'reviewer1')}"
        assert event.on_behalf_of == f"borrower:{stored.borrower_id}"
        assert event.subject == f"application:{stored.id}"
        assert event.channel == "branch"
        assert event.request_id


def test_the_case_page_shows_the_risk_score_with_each_reason_and_its_points(demo):
    reference = submitted(demo, URBAN)
    stored = row(demo, reference)
    assert stored.risk_reasons, "the application was scored at submission"

    html = staff_client(demo, "reviewer1").get(case_url(reference)).get_data(as_text=True)

    assert text(demo, "Risk score %(score)d of 100", score=stored.risk_score) in html
    assert 0 <= stored.risk_score <= 100
    assert sum(points for _code, _value, points in stored.risk_reasons) == stored.risk_score
    for code, _value, points in stored.risk_reasons:
        reason = escape(label(demo, labels.RISK_REASONS, code))
        assert f'<th scope="row">{reason}</th>' in html, code
        assert f'<td class="num">{points}</td>' in html, code


def test_the_case_page_shows_the_requested_schedule_beside_the_unpaid_current_one_folded_at_12(demo):
    reference = submitted(demo, URBAN)
    stored = row(demo, reference)
    with database(demo) as session:
        position = loan_position(session, loan_of(session, URBAN), BUSINESS_DATE)
        unpaid = [i for i in position.report.installments if i.status != "paid"]
    reviewer1 = staff_client(demo, "reviewer1")

    html = reviewer1.get(case_url(reference)).get_data(as_text=True)

    requested = table_rows(html, plain(demo, "Requested schedule"))
    in_force = table_rows(html, plain(demo, "Current schedule"))
    assert len(stored.quote["schedule"]) == 15 and len(unpaid) > 12
    assert [r[0] for r in requested] == [str(n) for n, *_ in stored.quote["schedule"][:12]]
    assert [r[0] for r in in_force] == [str(i.number) for i in unpaid[:12]]
    assert requested[0][-1] != in_force[0][-1]
    assert html.count(f'href="{case_url(reference)}/schedules/') == 2


def test_each_schedule_of_a_case_lists_every_installment_on_its_own_page_and_the_viewing_is_recorded(demo):
    reference = submitted(demo, URBAN)
    stored = row(demo, reference)
    with database(demo) as session:
        position = loan_position(session, loan_of(session, URBAN), BUSINESS_DATE)
        unpaid = [str(i.number) for i in position.report.installments if i.status != "paid"]
    reviewer1 = staff_client(demo, "reviewer1")
    viewed = len(audit_rows(demo, reference, "case.viewed"))

    requested = reviewer1.get(f"{case_url(reference)}/schedules/requested").get_data(as_text=True)
    current = reviewer1.get(f"{case_url(reference)}/schedules/current").get_data(as_text=True)

    assert [r[0] for r in table_rows(requested, plain(demo, "Requested schedule"))] == [
        str(n) for n, *_ in stored.quote["schedule"]
    ]
    assert [r[0] for r in table_rows(current, plain(demo, "Current schedule"))] == unpaid
    assert len(audit_rows(demo, reference, "case.viewed")) == viewed + 2
    assert reviewer1.get(f"{case_url(reference)}/schedules/other").status_code == 404


def test_a_reviewer_downloads_the_cases_document_and_the_viewing_is_recorded(demo):
    with database(demo) as session, demo.test_request_context():
        made = make_application(session, loan_of(session, URBAN), submit=False)
        item = evidence.add(
            session, made, FileStorage(io.BytesIO(PNG), filename="payslip.png"), actor=made.created_by
        )
        transitions.submit(session, made, actor=made.created_by, as_of=BUSINESS_DATE)
        session.commit()
        reference, token = made.reference, item.token
    reviewer1 = staff_client(demo, "reviewer1")
    page = reviewer1.get(case_url(reference)).get_data(as_text=True)
    assert f'href="{case_url(reference)}/evidence/{token}"' in page

    download = reviewer1.get(f"{case_url(reference)}/evidence/{token}")

    assert download.status_code == 200
    assert download.data == PNG
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    (viewed,) = audit_rows(demo, reference, "evidence.viewed")
    assert viewed.actor == f"staff:{staff_id(demo, 'reviewer1')}"
    assert viewed.on_behalf_of == f"borrower:{row(demo, reference).borrower_id}"


def test_an_unknown_case_is_404_and_writes_nothing(demo):
    reviewer1 = staff_client(demo, "reviewer1")
    before = count(demo, AuditEvent)

    response = reviewer1.get(case_url("RA2611999999"))

    assert response.status_code == 404
    assert count(demo, AuditEvent) == before


def test_a_borrowers_unsent_draft_is_not_a_case(demo):
    with database(demo) as session, demo.test_request_context():
        reference = make_application(session, loan_of(session, URBAN), submit=False).reference
        session.commit()
    with database(demo) as session:
        assert application(session, reference).status == "draft"
    clients = {username: staff_client(demo, username) for username in ("reviewer1", "senior1", "admin1")}
    before = count(demo, AuditEvent)

    for username, client in clients.items():
        assert client.get(case_url(reference)).status_code == 404, username

    assert count(demo, AuditEvent) == before


def test_a_withdrawn_draft_never_sent_is_no_case_for_staff_even_without_a_plan(demo):
    """Issue 17: a withdrawn draft became a readable staff case (hardship account, documents), and one withdrawn
    before a plan was chosen gave a 500. ASVS 4.2.1: a draft is the borrower's alone."""
    with database(demo) as session, demo.test_request_context():
        loan = loan_of(session, URBAN)
        planned = make_application(session, loan, submit=False)
        transitions.withdraw(session, planned, actor=f"borrower:{loan.borrower_id}")
        bare = make_application(session, loan_of(session, RURAL), submit=False)
        bare.option, bare.quote, bare.terms = None, None, None
        transitions.withdraw(session, bare, actor=f"borrower:{bare.borrower_id}")
        session.commit()
        references = (planned.reference, bare.reference)
    reviewer1, senior1 = staff_client(demo, "reviewer1"), staff_client(demo, "senior1")
    before = count(demo, AuditEvent)

    for reference in references:
        assert row(demo, reference).status == "withdrawn"
        for client in (reviewer1, senior1):
            assert client.get(case_url(reference)).status_code == 404, reference
            assert client.submit(case_url(reference, "claim"), {"version": "1"}).status_code == 404
        assert reference not in reviewer1.get("/staff/queue").get_data(as_text=True)

    assert count(demo, AuditEvent) == before


def test_an_application_withdrawn_after_it_was_sent_stays_a_case(demo):
    reference = submitted(demo, URBAN)
    with database(demo) as session:
        found = application(session, reference)
        transitions.withdraw(session, found, actor=f"borrower:{found.borrower_id}")
        session.commit()

    page = staff_client(demo, "reviewer1").get(case_url(reference))

    assert page.status_code == 200
