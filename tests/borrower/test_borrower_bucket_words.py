"""A collection stage such as "M2" never stands alone on a borrower's page: it comes in a sentence that says, in
plain words, what it means (how late a payment is)."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _gettext
from markupsafe import escape
from sqlalchemy import select

from portal import db
from portal.loans.models import Loan
from portal.loans.positions import loan_position
from portal.people.models import Borrower
from tests.helpers.common import BUSINESS_DATE, sign_in
from tests.helpers.pages import visible_text

EXPLAINED = {
    "M0": "The bank records this loan as M0: no payment is late.",
    "M1": "The bank records this loan as M1: a payment is 1 to 30 days late.",
    "M2": "The bank records this loan as M2: a payment is 31 to 60 days late.",
    "M3": "The bank records this loan as M3: a payment is 61 to 90 days late.",
    "M4+": "The bank records this loan as M4+: a payment is more than 90 days late.",
}
CODE = re.compile(r"M[0-4]\+?")


def _loan_pages(app, phone: str, lang: str):
    with app.app_context():
        loans = db.session.scalars(select(Loan).join(Borrower).where(Borrower.phone == phone)).all()
        found = [
            (loan.number, loan_position(db.session, loan, BUSINESS_DATE).report.bucket) for loan in loans
        ]
    client = app.test_client()
    sign_in(client, phone)
    client.submit("/language", {"lang": lang, "next": "/"}, page="/")
    for number, bucket in found:
        yield bucket, client.get(f"/loans/{number}").get_data(as_text=True)


def _gettext_in(app, lang: str, message: str) -> str:
    with app.test_request_context(), force_locale(lang):
        return _gettext(message)


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
@pytest.mark.parametrize("phone", ["13800000001", "13800000002", "13800000003", "13800000004"])
def test_every_collection_stage_on_a_loan_page_is_explained_in_plain_words(demo, phone, lang):
    for bucket, html in _loan_pages(demo, phone, lang):
        with_codes = [text for text in visible_text(html, lang) if CODE.search(text)]
        if bucket == "M0":  # nothing overdue: no stage to explain
            assert with_codes == []
            continue
        sentence = _gettext_in(demo, lang, EXPLAINED[bucket])
        assert str(escape(sentence)) in html
        assert with_codes == [sentence]
