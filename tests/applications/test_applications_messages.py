"""The borrower sees the messages sent about their applications on the dashboard, in their language."""

from __future__ import annotations

from sqlalchemy import select

from portal.applications.models import Application
from tests.helpers.applications import URBAN, database, date_long, submitted, text
from tests.helpers.common import sign_in


def test_the_dashboard_shows_the_acknowledgement_with_the_reference(demo):
    client, _number, reference = submitted(demo)
    with database(demo) as session:
        due = (
            session.scalars(select(Application).where(Application.reference == reference)).one().decision_due
        )

    page = client.get("/").get_data(as_text=True)

    assert text(demo, "Messages for you") in page
    assert reference in page
    assert date_long(demo, due) in page


def test_another_borrower_does_not_see_those_messages(demo):
    _client, _number, reference = submitted(demo, phone=URBAN)
    other = demo.test_client()
    sign_in(other, "13800000003")

    assert reference not in other.get("/").get_data(as_text=True)
