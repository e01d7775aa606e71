"""Roles: each page says who may see it (borrower, agent, reviewer, senior reviewer, admin, or anyone); for everyone
else it does not exist (404; an anonymous visitor is sent to sign in for a page without an id in its address).

Every endpoint of the app must be listed in PAGE_ROLES, so a new page without a declared audience fails the suite.
"""

from __future__ import annotations

import pytest

from tests.helpers.security import ROLES, arrange_ids, location_path, role_client, url_for_rule

BORROWER = ("borrower",)
AGENT = ("agent",)
HELPERS = ("agent", "admin")
DECIDERS = ("reviewer", "senior_reviewer")
CASE_READERS = ("reviewer", "senior_reviewer", "admin")
ALL_STAFF = ("agent", "reviewer", "senior_reviewer", "admin")
ANYONE = ("anonymous", "borrower", "agent", "reviewer", "senior_reviewer", "admin")

# endpoint -> the roles that may use it. Anything not listed for a role answers 404 to it.
PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "static": ANYONE,
    "auth.sign_in": ANYONE,
    "auth.request_code": ANYONE,
    "auth.enter_code": ANYONE,
    "auth.staff_sign_in": ANYONE,
    "auth.staff_code": ANYONE,
    "auth.staff_enrol": ANYONE,
    "auth.sign_out": ANYONE,
    "auth.set_language": ANYONE,
    "borrower.dashboard": BORROWER,
    "borrower.applications": BORROWER,
    "borrower.loan": BORROWER,
    "borrower.schedule_version": BORROWER,
    "borrower.start_page": BORROWER,
    "borrower.start_application": BORROWER,
    "borrower.hardship_step": BORROWER,
    "borrower.money_step": BORROWER,
    "borrower.evidence_step": BORROWER,
    "borrower.delete_evidence": BORROWER,
    "borrower.download_evidence": BORROWER,
    "borrower.options_step": BORROWER,
    "borrower.option_schedule": BORROWER,
    "borrower.plan_step": BORROWER,
    "borrower.propose_step": BORROWER,
    "borrower.check_step": BORROWER,
    "borrower.application": BORROWER,
    "borrower.withdraw": BORROWER,
    "borrower.confirm_withdraw": BORROWER,
    "borrower.appeal": BORROWER,
    "borrower.answer": BORROWER,
    "borrower.offer": BORROWER,
    "borrower.offer_code": BORROWER,
    "borrower.accept": BORROWER,
    "borrower.decline": BORROWER,
    "borrower.agreement": BORROWER,
    "borrower.spending_step": BORROWER,
    "borrower.support_code": BORROWER,
    "borrower.change_password": BORROWER,  # the borrower in person: an agent acting for them gets 404 too
    "borrower.help_page": BORROWER,
    "borrower.help_callback": BORROWER,
    "borrower.help_visit": BORROWER,
    "agents.home": AGENT,
    "agents.find": AGENT,
    "agents.verify": AGENT,
    "agents.verify_code": AGENT,
    "agents.verify_questions": AGENT,
    "agents.borrower": AGENT,
    "agents.add_note": AGENT,
    "agents.add_callback": AGENT,
    "agents.callback_done": AGENT,
    "agents.end_session": AGENT,
    "agents.reveal_callback_number": AGENT,
    "agents.reveal_request_number": AGENT,
    "staff.help_requests": ALL_STAFF,
    "staff.change_password": ALL_STAFF,  # one's own password, whatever one's role
    "staff.help_request_done": HELPERS,
    "staff.change_variant": CASE_READERS,
    "staff.change_borrower_variant": CASE_READERS,
    "staff.home": ALL_STAFF,
    "staff.borrowers": CASE_READERS,  # not agents: they find one caller at a time (tests/agents)
    "staff.queue": CASE_READERS,
    "staff.outcomes": CASE_READERS,
    "staff.case": CASE_READERS,
    "staff.case_evidence": CASE_READERS,
    "staff.case_schedule": CASE_READERS,
    "staff.claim": DECIDERS,
    "staff.release": DECIDERS,
    "staff.reassign": ("senior_reviewer",),  # release or reassign a case whoever holds it
    "staff.approve": DECIDERS,
    "staff.reject": DECIDERS,
    "staff.request_information": DECIDERS,
    "staff.counter": DECIDERS,
}
# Pages that exist for their role only in some state, so a 404 to that role is not a control of access: borrower
# pages of an application at another stage (an unsent one here), the rural visit request (the borrower here is
# urban), and an agent's record of a caller (only during a verified call; tests/agents/test_agents_access.py).
NOT_AT_THIS_STAGE = {"borrower.agreement", "borrower.offer", "borrower.help_visit", "agents.borrower"}


def test_every_endpoint_says_who_may_use_it(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}

    missing = endpoints - set(PAGE_ROLES)
    assert not missing, f"endpoints without a declared audience (add them to PAGE_ROLES): {sorted(missing)}"
    assert not set(PAGE_ROLES) - endpoints, "listed but no longer in the app"
    assert {role for roles in PAGE_ROLES.values() for role in roles} <= set(ROLES)


@pytest.fixture
def ids(demo, app):
    return arrange_ids(app)


def test_each_role_sees_its_pages_and_every_other_page_is_404(ids, app):
    clients = {role: role_client(app, role) for role in ROLES}
    wrong = []

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_AT_THIS_STAGE:
            continue
        url = url_for_rule(app, rule, ids)
        for role, client in clients.items():
            response = client.get(url)
            allowed = role in PAGE_ROLES[rule.endpoint]
            if allowed and response.status_code == 404:
                wrong.append(f"{role} may use {rule.endpoint} ({url}) but got 404")
            elif not allowed:
                sent_to_sign_in = (
                    role == "anonymous"
                    and not rule.arguments
                    and response.status_code == 302
                    and location_path(response) in ("/sign-in", "/staff/sign-in")
                )
                if response.status_code != 404 and not sent_to_sign_in:
                    wrong.append(f"{role} may not use {rule.endpoint} ({url}) but got {response.status_code}")

    assert wrong == []


def test_each_role_is_refused_every_form_it_may_not_post(ids, app):
    clients = {role: role_client(app, role) for role in ROLES}
    tokens = {role: client.csrf_token("/sign-in") for role, client in clients.items()}
    wrong = []

    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in rule.methods:
            continue
        url = url_for_rule(app, rule, ids)
        for role, client in clients.items():
            if role in PAGE_ROLES[rule.endpoint]:
                continue
            response = client.post(url, data={"csrf_token": tokens[role], "version": "1", "key": "k" * 20})
            sent_to_sign_in = role == "anonymous" and not rule.arguments and response.status_code == 302
            if response.status_code != 404 and not sent_to_sign_in:
                wrong.append(f"{role} posted to {rule.endpoint} ({url}) and got {response.status_code}")

    assert wrong == []
