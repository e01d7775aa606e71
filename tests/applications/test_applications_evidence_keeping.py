"""Evidence is what it claims to be, a borrower's storage is capped, and every file kept for nothing has a purge
date (issue 17: `%PDF-` then HTML was stored as a PDF; 15 × 10 MB were stored through withdrawn drafts with no
purge date).

ASVS 12.2.1 (a file's content checked against its type), 12.1.1 (no more than a set amount of storage per user) and
8.3.8 (sensitive data kept only as long as it is needed).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask.cli import FlaskGroup

from portal.applications import evidence, transitions
from tests.helpers.applications import (
    URBAN,
    application,
    database,
    draft,
    field_errors,
    loan_number,
    reference_of,
    signed_in,
    start,
    text,
)
from tests.helpers.common import BUSINESS_DATE
from tests.helpers.files import JPEG, PDF, PDF_THEN_HTML, PNG, PNG_CUT_SHORT, pdf_of

TEN_MB = 10 * 1024 * 1024


def _upload(client, reference: str, content: bytes, name: str):
    return client.submit(
        f"/applications/{reference}/evidence",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _kept(app, reference: str) -> list[tuple[str, object]]:
    """(file name, purge date) of the application's files that still hold their content."""
    with database(app) as session:
        return [(e.filename, e.purge_after) for e in application(session, reference).evidence if e.data]


def _withdraw(app, reference: str) -> None:
    with database(app) as session:
        found = application(session, reference)
        transitions.withdraw(session, found, actor=f"borrower:{found.borrower_id}")
        session.commit()


@pytest.mark.parametrize(
    ("content", "name"),
    [(PDF_THEN_HTML, "letter.pdf"), (PNG_CUT_SHORT, "photo.png"), (JPEG[:40], "receipt.jpg")],
    ids=["pdf-header-then-html", "png-cut-short", "jpeg-cut-short"],
)
def test_a_file_that_does_not_open_as_what_it_claims_is_refused_at_the_field(demo, content, name):
    client = signed_in(demo, URBAN)
    reference = reference_of(start(client, loan_number(demo, URBAN)))

    response = _upload(client, reference, content, name)

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True)) == [
        text(demo, "This file could not be opened. Check that it is a whole PDF, JPG or PNG, and try again.")
    ]
    assert _kept(demo, reference) == []


def test_a_borrowers_files_stop_at_60_mb_in_all_counting_withdrawn_drafts(demo):
    client = signed_in(demo, URBAN)
    first = reference_of(start(client, loan_number(demo, URBAN)))
    for n in range(5):
        assert _upload(client, first, pdf_of(TEN_MB), f"scan-{n}.pdf").status_code == 303
    _withdraw(demo, first)
    second = reference_of(start(client, loan_number(demo, URBAN)))
    assert _upload(client, second, pdf_of(TEN_MB - len(PNG)), "last.pdf").status_code == 303
    assert _upload(client, second, PNG, "exactly-at-the-cap.png").status_code == 303  # 60 MB to the byte

    refused = _upload(client, second, PNG, "one-too-many.png")

    assert refused.status_code == 200
    assert field_errors(refused.get_data(as_text=True)) == [
        text(
            demo,
            "You have stored as many files with us as we can keep. Remove a file you no longer need, "
            "then try again.",
        )
    ]
    assert [name for name, _purge in _kept(demo, second)] == ["last.pdf", "exactly-at-the-cap.png"]
    with database(demo) as session:
        assert evidence.stored_bytes(session, application(session, second).borrower_id) == 60 * 1024 * 1024


def test_a_drafts_files_are_purged_60_days_after_upload_unless_it_is_sent(demo):
    client, _number, reference = draft(demo, URBAN)
    _upload(client, reference, PDF, "payslip.pdf")
    assert _kept(demo, reference) == [("payslip.pdf", BUSINESS_DATE + timedelta(days=60))]

    sent = client.submit(f"/applications/{reference}/check")

    assert sent.status_code == 303
    assert _kept(demo, reference) == [("payslip.pdf", None)]  # kept until the decision dates it


def test_a_withdrawn_drafts_files_go_after_30_days_and_a_sent_ones_after_the_policys_retention(demo):
    client, _number, unsent = draft(demo, URBAN)
    _upload(client, unsent, PDF, "unsent.pdf")
    _withdraw(demo, unsent)
    assert _kept(demo, unsent) == [("unsent.pdf", BUSINESS_DATE + timedelta(days=30))]

    sent_client, _number, sent = draft(demo, "13800000005")
    _upload(sent_client, sent, PDF, "sent.pdf")
    assert sent_client.submit(f"/applications/{sent}/check").status_code == 303
    _withdraw(demo, sent)
    assert _kept(demo, sent) == [("sent.pdf", BUSINESS_DATE + timedelta(days=180))]  # the urban pack's 180


def test_flask_daily_purges_an_abandoned_drafts_files_on_their_day(demo):
    client, _number, reference = draft(demo, URBAN)
    _upload(client, reference, PDF, "old.pdf")
    runner = demo.test_cli_runner()

    demo.config["BUSINESS_DATE"] = BUSINESS_DATE + timedelta(days=59)
    assert "0 document(s) purged" in runner.invoke(FlaskGroup(load_dotenv=False), args=["daily"]).output
    demo.config["BUSINESS_DATE"] = BUSINESS_DATE + timedelta(days=60)
    result = runner.invoke(FlaskGroup(load_dotenv=False), args=["daily"])

    assert "1 document(s) purged" in result.output, result.output
    assert _kept(demo, reference) == []
