"""The help a borrower can get, in their variant's words, on every borrower page; and the visit / call-back
requests behind it: stored once, audited, confirmed in the borrower's language, listed for staff, marked done."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.core.models import Notification
from portal.support import help as help_service
from portal.support.models import HelpRequest
from tests.helpers.variants import (
    RURAL,
    RURAL_EN,
    URBAN,
    audit_rows,
    borrower,
    borrower_client,
    csrf,
    database,
    footer,
    hidden,
    ids_on,
    loan_number,
    path_of,
    staff_client,
    text,
)

RURAL_HELP = {"help-call-branch", "help-visit", "help-service-point"}
URBAN_HELP = {"help-call", "help-callback"}


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_rural_footer_offers_the_branch_call_a_visit_and_the_service_point_and_no_call_back(demo, lang):
    client = borrower_client(demo, RURAL)
    client.submit("/language", {"lang": lang, "next": "/"}, page="/")

    for url in ("/", f"/loans/{loan_number(demo, RURAL)}", "/applications", "/help"):
        html = footer(client.get(url).get_data(as_text=True))
        assert RURAL_HELP <= ids_on(html), url
        assert not (URBAN_HELP & ids_on(html)), url
    html = footer(client.get("/").get_data(as_text=True))
    assert 'id="help-call-branch" href="tel:073185601201"' in html  # the branch's own phone
    point = {
        "zh_Hans": "青山镇石桥村便民服务点",
        "zh_Hant": "青山鎮石橋村便民服務點",
        "en": "Shiqiao Village",
    }
    assert point[lang] in html  # the branch's service point, in the borrower's language
    assert text(demo, "Need help?", lang, variant="rural") in html


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_urban_footer_offers_a_call_back_and_self_service_and_no_visit(demo, lang):
    client = borrower_client(demo, URBAN)
    client.submit("/language", {"lang": lang, "next": "/"}, page="/")

    for url in ("/", f"/loans/{loan_number(demo, URBAN)}", "/applications", "/help"):
        html = footer(client.get(url).get_data(as_text=True))
        assert URBAN_HELP <= ids_on(html), url
        assert not (RURAL_HELP & ids_on(html)), url
    html = footer(client.get("/").get_data(as_text=True))
    assert (
        text(demo, "Use this site any time, day or night: everything here works on your phone.", lang) in html
    )
    assert text(demo, "Need help?", lang) in html


def test_rural_and_urban_each_reach_only_their_own_request_form(demo):
    rural, urban = borrower_client(demo, RURAL), borrower_client(demo, URBAN)

    assert rural.get("/help/visit").status_code == 200
    assert rural.get("/help/callback").status_code == 404
    assert urban.get("/help/callback").status_code == 200
    assert urban.get("/help/visit").status_code == 404


def _visit_form(client) -> dict:
    html = client.get("/help/visit").get_data(as_text=True)
    return {"csrf_token": csrf(html), "key": hidden(html, "key")}


def test_a_visit_request_without_a_time_is_refused_at_the_field_in_the_borrowers_language(demo):
    client = borrower_client(demo, RURAL)
    form = _visit_form(client)

    response = client.post("/help/visit", data={**form, "note": "红色大门那家"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="window-error"><span class="visually-hidden">' in html
    assert text(demo, "Choose a time.") in html
    assert "Choose a time." not in html  # Chinese page, Chinese message
    assert "红色大门那家" in html  # nothing typed is lost
    assert hidden(html, "key") == form["key"]  # the same request when it comes back
    with database(demo) as session:
        assert session.scalars(select(HelpRequest)).all() == []


def test_a_note_over_500_characters_is_refused(demo):
    client = borrower_client(demo, RURAL)

    response = client.post(
        "/help/visit", data={**_visit_form(client), "window": "morning", "note": "x" * 501}
    )

    assert response.status_code == 200
    assert text(demo, "Write at most 500 characters.") in response.get_data(as_text=True)
    with database(demo) as session:
        assert session.scalars(select(HelpRequest)).all() == []


def test_a_visit_request_is_stored_once_audited_and_confirmed_even_when_sent_twice(demo):
    client = borrower_client(demo, RURAL)
    form = {**_visit_form(client), "window": "afternoon", "note": "村小卖部东边，红色大门"}

    first = client.post("/help/visit", data=form)
    second = client.post("/help/visit", data=form)  # a double click sends the same key again

    assert first.status_code == second.status_code == 303
    assert path_of(first) == "/help"
    with database(demo) as session:
        rows = session.scalars(select(HelpRequest)).all()
        assert [(r.kind, r.window, r.status, r.variant, r.note) for r in rows] == [
            ("visit", "afternoon", "open", "rural", "村小卖部东边，红色大门")
        ]
        owner = borrower(session, RURAL)
        assert rows[0].borrower_id == owner.id and rows[0].branch_id == owner.home_branch_id
        messages = session.scalars(select(Notification).where(Notification.kind == "help_visit")).all()
        assert sorted(m.channel for m in messages) == ["portal", "sms"]
        assert all(m.locale == "zh_Hans" and "上门" in m.body for m in messages)
    audited = audit_rows(demo, "help.visit_requested")
    assert len(audited) == 1
    assert audited[0].on_behalf_of == audited[0].actor == f"borrower:{owner.id}"
    page = client.get("/help").get_data(as_text=True)
    assert text(demo, "Visit from a loan officer") in page and text(demo, "Waiting") in page


def test_a_call_back_request_is_confirmed_in_english_for_an_english_speaker(demo):
    with database(demo) as session:
        borrower(session, URBAN).locale = "en"
        session.commit()
    client = borrower_client(demo, URBAN)
    html = client.get("/help/callback").get_data(as_text=True)
    assert 'id="help-callback-form"' in html

    response = client.post(
        "/help/callback", data={"csrf_token": csrf(html), "key": hidden(html, "key"), "window": "evening"}
    )

    assert response.status_code == 303
    with database(demo) as session:
        sms = session.scalars(
            select(Notification).where(Notification.kind == "help_callback", Notification.channel == "sms")
        ).one()
    assert "in the evening (18:00 to 21:00)" in sms.body and "138****0001" in sms.body


def test_another_borrower_never_sees_a_request(demo):
    rural = borrower_client(demo, RURAL)
    rural.post("/help/visit", data={**_visit_form(rural), "window": "morning", "note": "东头第三家"})

    other = borrower_client(demo, RURAL_EN).get("/help").get_data(as_text=True)
    urban = borrower_client(demo, URBAN).get("/help").get_data(as_text=True)

    assert "东头第三家" not in other and "东头第三家" not in urban
    assert text(demo, "You have not asked for a visit or a call back.") in urban


def _one_request(demo) -> int:
    client = borrower_client(demo, RURAL)
    client.post("/help/visit", data={**_visit_form(client), "window": "morning", "note": "东头第三家"})
    with database(demo) as session:
        return session.scalars(select(HelpRequest.id)).one()


def test_staff_list_shows_open_requests_and_only_agents_and_admins_can_mark_them_done(demo):
    request_id = _one_request(demo)
    agent, reviewer = staff_client(demo, "agent1"), staff_client(demo, "reviewer1")

    agent_page = agent.get("/staff/help-requests").get_data(as_text=True)
    reviewer_page = reviewer.get("/staff/help-requests").get_data(as_text=True)

    assert f'data-help="{request_id}"' in agent_page and "东头第三家" in agent_page
    assert f"/staff/help-requests/{request_id}/done" in agent_page
    assert f'data-help="{request_id}"' in reviewer_page
    assert f"/staff/help-requests/{request_id}/done" not in reviewer_page  # reviewers read only
    token = csrf(reviewer_page)
    assert (
        reviewer.post(f"/staff/help-requests/{request_id}/done", data={"csrf_token": token}).status_code
        == 404
    )

    done = agent.post(f"/staff/help-requests/{request_id}/done", data={"csrf_token": csrf(agent_page)})

    assert done.status_code == 303
    with database(demo) as session:
        row = session.get(HelpRequest, request_id)
        assert row.status == "done" and row.done_by.username == "agent1"
        assert help_service.open_requests(session) == []
    audited = audit_rows(demo, "help.done")
    assert [(a.subject, a.on_behalf_of) for a in audited] == [
        (f"help:{request_id}", f"borrower:{row.borrower_id}")
    ]
    assert audited[0].actor.startswith("staff:")
    again = agent.post(f"/staff/help-requests/{request_id}/done", data={"csrf_token": csrf(agent_page)})
    assert again.status_code == 303 and len(audit_rows(demo, "help.done")) == 1


@pytest.mark.parametrize("who", ["borrower", "anonymous"])
def test_help_requests_staff_pages_are_404_or_sign_in_for_non_staff(demo, who):
    request_id = _one_request(demo)
    client = borrower_client(demo, URBAN) if who == "borrower" else demo.test_client()
    token = csrf(client.get("/sign-in" if who == "anonymous" else "/").get_data(as_text=True))

    listing = client.get("/staff/help-requests")
    done = client.post(f"/staff/help-requests/{request_id}/done", data={"csrf_token": token})

    assert listing.status_code == (404 if who == "borrower" else 302)
    assert done.status_code == 404
    with database(demo) as session:
        assert session.get(HelpRequest, request_id).status == "open"


def test_marking_a_request_that_does_not_exist_is_404(demo):
    agent = staff_client(demo, "agent1")
    token = csrf(agent.get("/staff/help-requests").get_data(as_text=True))

    assert agent.post("/staff/help-requests/999999/done", data={"csrf_token": token}).status_code == 404


def test_open_requests_filters_by_kind_branch_and_borrower(demo):
    _one_request(demo)
    urban = borrower_client(demo, URBAN)
    html = urban.get("/help/callback").get_data(as_text=True)
    urban.post(
        "/help/callback", data={"csrf_token": csrf(html), "key": hidden(html, "key"), "window": "morning"}
    )

    with database(demo) as session:
        rural_row = borrower(session, RURAL)
        assert [r.kind for r in help_service.open_requests(session)] == ["visit", "callback"]
        assert [r.kind for r in help_service.open_requests(session, kind="callback")] == ["callback"]
        assert [r.kind for r in help_service.open_requests(session, borrower_id=rural_row.id)] == ["visit"]
        assert [r.kind for r in help_service.open_requests(session, branch_id=rural_row.home_branch_id)] == [
            "visit"
        ]


def test_the_visit_link_in_the_footer_leads_to_the_form(demo):
    client = borrower_client(demo, RURAL)
    html = client.get("/").get_data(as_text=True)

    href = re.search(r'id="help-visit" href="([^"]+)"', html).group(1)

    assert client.get(href).status_code == 200
