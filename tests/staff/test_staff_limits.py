"""Limits for every approver (issue 17 item 6): seniors have a waiver limit from the policy pack too, above which a
second senior approves; the decider's limits are shown before acting; every waiver shown names its amount."""

from __future__ import annotations

from datetime import timedelta

from portal.applications import decisions
from portal.i18n import labels
from tests.helpers.common import BUSINESS_DATE
from tests.helpers.staff import (
    BUSINESS,
    RURAL,
    add_senior,
    application,
    audit_rows,
    claim,
    database,
    decide,
    follow,
    label,
    money,
    notices_on,
    plain,
    row,
    staff_client,
    staff_id,
    submitted,
    text,
)

LATER = BUSINESS_DATE + timedelta(days=270)  # nine months on, the rural loan's penalty is over 500.00


def _lower_the_senior_waiver_limit(app, reference: str, limit: str = "500.00") -> None:
    """The application's pack with a senior waiver limit of `limit` (arranged on the stored pack)."""
    with database(app) as session:
        pack = application(session, reference).policy_pack
        pack.data = {**pack.data, "senior_waiver_limit": limit}
        session.commit()


def _penalty(app, reference: str):
    with database(app) as session:
        found = application(session, reference)
        return decisions.waived_amounts(session, found, LATER, {"penalty": True})["penalty"]


def test_a_senior_waiving_above_the_senior_waiver_limit_needs_a_second_senior(demo):
    """ASVS 11.1.1, 11.1.2 (business logic limits), 1.11.3: a senior reviewer cannot waive above the policy pack's
    senior waiver limit alone; another senior gives the second approval, never the same one."""
    demo.config["BUSINESS_DATE"] = LATER
    senior2_id = add_senior(demo, "senior2", "冯建国")
    reference = submitted(demo, RURAL)
    _lower_the_senior_waiver_limit(demo, reference)
    penalty = _penalty(demo, reference)
    assert penalty > 500
    senior1 = staff_client(demo, "senior1")
    claim(senior1, reference)

    first = decide(senior1, reference, "approve", {"waive_penalty": "y", "internal_note": "Flood year."})

    assert notices_on(follow(senior1, first)) == [
        plain(demo, "Above your limit: the case now waits for a senior reviewer's second approval.")
    ]
    stored = row(demo, reference)
    assert (stored.status, stored.first_approver_id, stored.waivers) == (
        "awaiting_second_approval",
        staff_id(demo, "senior1"),
        {"penalty": True},
    )
    (waiting,) = audit_rows(demo, reference, "application.awaiting_second_approval")
    assert waiting.data["waived"] == {"penalty": str(penalty)}
    claim(senior1, reference)
    same = decide(senior1, reference, "approve")
    assert notices_on(same.get_data(as_text=True)) == [label(demo, labels.ERRORS, "same_person")]
    assert row(demo, reference).status == "awaiting_second_approval"
    decide(senior1, reference, "release")

    senior2 = staff_client(demo, "senior2")
    claim(senior2, reference)
    decide(senior2, reference, "approve")

    stored = row(demo, reference)
    assert (stored.status, stored.decided_by_id) == ("approved", senior2_id)


def test_a_seniors_waiver_within_the_senior_limit_needs_no_second_approval(demo):
    demo.config["BUSINESS_DATE"] = LATER
    reference = submitted(demo, RURAL)
    assert _penalty(demo, reference) <= 5000  # the pack's senior waiver limit
    senior1 = staff_client(demo, "senior1")
    claim(senior1, reference)

    decide(senior1, reference, "approve", {"waive_penalty": "y"})

    assert row(demo, reference).status == "approved"


def test_the_decision_panel_shows_the_deciders_limits_before_acting(demo):
    reference = submitted(demo, BUSINESS)  # 200,000: above a reviewer's 50,000
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, reference)

    page = reviewer1.get(f"/staff/cases/{reference}").get_data(as_text=True)

    limits = text(
        demo,
        "Your limits: approve up to %(approve)s, waive up to %(waive)s.",
        approve=money(demo, 50_000),
        waive=money(demo, 500),
    )
    assert limits in page
    assert text(demo, "This decision needs a second approval: the amount is above your limit.") in page
    senior1 = staff_client(demo, "senior1")
    senior_page = senior1.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assert (
        text(
            demo,
            "Your limits: approve up to %(approve)s, waive up to %(waive)s.",
            approve=money(demo, 500_000),
            waive=money(demo, 5000),
        )
        in senior_page
    )


def test_the_second_approval_panel_shows_each_waiver_with_its_amount(demo):
    demo.config["BUSINESS_DATE"] = LATER
    reference = submitted(demo, RURAL)
    penalty = _penalty(demo, reference)
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, reference)
    decide(reviewer1, reference, "approve", {"waive_penalty": "y"})
    assert row(demo, reference).status == "awaiting_second_approval"
    senior1 = staff_client(demo, "senior1")
    claim(senior1, reference)

    page = senior1.get(f"/staff/cases/{reference}").get_data(as_text=True)

    panel = page.split('data-testid="case-waivers"', 1)[1].split("</table>", 1)[0]
    assert text(demo, "Penalty interest waived") in panel
    assert money(demo, penalty) in panel
    assert (
        text(
            demo,
            "The first approver waives %(total)s (see the waivers above): your approval grants them.",
            total=money(demo, penalty),
        )
        in page
    )


def test_the_counter_offer_panel_shows_what_each_waiver_forgoes(demo):
    demo.config["BUSINESS_DATE"] = LATER
    reference = submitted(demo, RURAL)
    penalty = _penalty(demo, reference)
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, reference)

    page = reviewer1.get(f"/staff/cases/{reference}").get_data(as_text=True)

    counter = page.split('id="counter-waive-penalty"', 1)[1].split("</div>", 1)[0]
    assert money(demo, penalty) in counter
