"""Evidence uploads: type by content, 10 MB and 5 files at most, served as attachments to their owner only."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from portal.applications.models import Evidence
from tests.helpers.applications import (
    RURAL,
    URBAN,
    application,
    database,
    error_ids,
    field_errors,
    loan_number,
    notices,
    path_of,
    reference_of,
    signed_in,
    start,
    summary_errors,
    text,
)
from tests.helpers.files import JPEG, PDF, PNG, pdf_of

TEN_MB = 10 * 1024 * 1024
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def _pdf_of(size: int) -> bytes:
    return pdf_of(size)


@pytest.fixture
def journey(demo):
    """A signed-in urban borrower with a draft: (client, reference)."""
    client = signed_in(demo, URBAN)
    return client, reference_of(start(client, loan_number(demo, URBAN)))


def _upload(client, reference: str, content: bytes, name: str):
    token = client.csrf_token(f"/applications/{reference}/evidence")
    return client.post(
        f"/applications/{reference}/evidence",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _files(app, reference: str) -> list[tuple[str, str, int]]:
    with database(app) as session:
        return [(e.filename, e.content_type, e.size) for e in application(session, reference).evidence]


def _tokens(app, reference: str) -> list[str]:
    with database(app) as session:
        return [e.token for e in application(session, reference).evidence]


def test_a_10_mb_pdf_is_accepted(demo, journey):
    client, reference = journey

    response = _upload(client, reference, _pdf_of(TEN_MB), "letter.pdf")

    assert response.status_code == 303
    assert path_of(response) == f"/applications/{reference}/evidence"
    assert _files(demo, reference) == [("letter.pdf", "application/pdf", TEN_MB)]
    html = client.get(f"/applications/{reference}/evidence").get_data(as_text=True)
    assert text(demo, "File added.") in notices(html)
    assert ">letter.pdf</a>" in html


def test_one_byte_over_10_mb_is_refused_with_413(demo, journey):
    client, reference = journey

    response = _upload(client, reference, _pdf_of(TEN_MB + 1), "letter.pdf")

    assert response.status_code == 413
    assert _files(demo, reference) == []
    with database(demo) as session:
        assert session.scalar(select(func.count(Evidence.id))) == 0


def test_html_named_pdf_is_refused_with_a_field_error(demo, journey):
    client, reference = journey

    response = _upload(client, reference, HTML, "x.pdf")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_ids(html) == ["file"]
    assert field_errors(html) == [text(demo, "The file must be a PDF, JPG or PNG.")]
    assert _files(demo, reference) == []
    assert "<script>alert(1)</script>" not in html


def test_an_empty_file_is_refused(demo, journey):
    client, reference = journey

    response = _upload(client, reference, b"", "empty.pdf")

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True)) == [text(demo, "The file is empty.")]
    assert _files(demo, reference) == []


@pytest.mark.parametrize(
    ("content", "name", "stored_type"),
    [(PNG, "photo.pdf", "image/png"), (JPEG, "receipt.txt", "image/jpeg")],
    ids=["png-named-pdf", "jpeg-named-txt"],
)
def test_images_are_typed_by_content_whatever_their_name(demo, journey, content, name, stored_type):
    client, reference = journey

    response = _upload(client, reference, content, name)

    assert response.status_code == 303
    assert _files(demo, reference) == [(name, stored_type, len(content))]
    (token,) = _tokens(demo, reference)
    download = client.get(f"/applications/{reference}/evidence/{token}")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == stored_type
    assert download.data == content


def test_at_most_five_files(demo, journey):
    client, reference = journey
    for n in range(5):
        assert _upload(client, reference, PDF, f"page-{n}.pdf").status_code == 303
    page = client.get(f"/applications/{reference}/evidence").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' not in page  # no more upload form

    response = _upload(client, reference, PNG, "sixth.png")

    assert response.status_code == 200
    assert summary_errors(response.get_data(as_text=True)) == [
        ("file", text(demo, "You can add at most %(count)d files.", count=5))
    ]
    assert [name for name, _type, _size in _files(demo, reference)] == [f"page-{n}.pdf" for n in range(5)]


def test_a_file_is_downloaded_as_an_attachment_with_its_stored_type(demo, journey):
    client, reference = journey
    _upload(client, reference, PDF, "<img src=x onerror=alert(1)>.html")
    (token,) = _tokens(demo, reference)

    response = client.get(f"/applications/{reference}/evidence/{token}")

    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(rf"filename={reference}-\d+\.pdf$", disposition), disposition
    # The stored name is shown escaped, never as markup.
    html = client.get(f"/applications/{reference}/evidence").get_data(as_text=True)
    assert "<img src=x onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.html" in html


def test_another_borrower_and_an_anonymous_visitor_get_404_for_the_file(demo, journey):
    client, reference = journey
    _upload(client, reference, PDF, "letter.pdf")
    (token,) = _tokens(demo, reference)
    url = f"/applications/{reference}/evidence/{token}"

    other = signed_in(demo, RURAL)
    anonymous = demo.test_client()

    assert other.get(url).status_code == 404
    assert anonymous.get(url).status_code == 404
    # Nor can they reach it through an application of their own.
    theirs = reference_of(start(other, loan_number(demo, RURAL)))
    assert other.get(f"/applications/{theirs}/evidence/{token}").status_code == 404
    # Nor remove it.
    delete = other.submit(f"{url}/delete", page="/")
    assert delete.status_code == 404
    assert len(_tokens(demo, reference)) == 1


def test_a_removed_file_is_gone(demo, journey):
    client, reference = journey
    _upload(client, reference, PDF, "keep.pdf")
    _upload(client, reference, PNG, "drop.png")
    keep, drop = _tokens(demo, reference)

    response = client.submit(
        f"/applications/{reference}/evidence/{drop}/delete", page=f"/applications/{reference}/evidence"
    )

    assert response.status_code == 303
    assert path_of(response) == f"/applications/{reference}/evidence"
    html = client.get(f"/applications/{reference}/evidence").get_data(as_text=True)
    assert text(demo, "File removed.") in notices(html)
    assert "drop.png" not in html and "keep.pdf" in html
    assert _tokens(demo, reference) == [keep]
    assert client.get(f"/applications/{reference}/evidence/{drop}").status_code == 404
    assert client.get(f"/applications/{reference}/evidence/{keep}").status_code == 200
    with database(demo) as session:
        assert session.scalar(select(func.count(Evidence.id))) == 1
