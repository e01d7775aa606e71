"""Two kinds of staff text on every decision: a message the borrower reads and an internal note only staff read
(issue 17: the approve form's "note for the record" was shown word for word on the borrower's offer page).

ASVS 8.2 (data protection: sensitive data sent to the client only when needed) and 4.2.1 (no access to data
one is not meant to see): each decision below carries a marked internal note; every page of the borrower's own
(every GET route of the borrower's pages, filled in with their loans, applications, plans and schedules) and
every message sent to them is read, and none shows a marked note, while the messages to them do show.
"""

from __future__ import annotations

from itertools import product

from sqlalchemy import select

from portal.applications import decisions
from portal.applications.models import Application
from portal.loans.models import Loan, ScheduleVersion
from portal.people.models import Borrower
from tests.helpers.common import BUSINESS_DATE
from tests.helpers.staff import (
    BUSINESS,
    RURAL,
    URBAN,
    application,
    audit_rows,
    borrower_client,
    claim,
    database,
    decide,
    notifications,
    row,
    staff_client,
    submitted,
)

COUNTER = {"kind": "installment_plan", "months": "18", "pay_day": "10", "upfront": "", "spread_charges": ""}
ASKED = "13800000003"
COUNTERED = "13800000006"


def _mark(what: str) -> str:
    return f"内部备注：{what}，收入数字偏高，可能夸大。"


def _decisions(app) -> tuple[dict[str, str], dict[str, str]]:
    """Every kind of decision, each with a marked internal note; (internal notes, messages) by phone."""
    internal: dict[str, str] = {}
    messages: dict[str, str] = {}
    reviewer1, senior1 = staff_client(app, "reviewer1"), staff_client(app, "senior1")

    approved = submitted(app, URBAN)
    claim(reviewer1, approved)
    decide(
        reviewer1,
        approved,
        "approve",
        {"message": "按您的收入，这个方案可行。", "internal_note": _mark("批准")},
    )
    internal["approve"], messages[URBAN] = _mark("批准"), "按您的收入，这个方案可行。"

    big = submitted(app, BUSINESS)
    claim(reviewer1, big)
    decide(reviewer1, big, "approve", {"message": "期限较长，请按时还款。", "internal_note": _mark("送审")})
    claim(senior1, big)
    decide(senior1, big, "approve", {"internal_note": _mark("二审")})
    internal["send up"], internal["second approval"] = _mark("送审"), _mark("二审")
    messages[BUSINESS] = "期限较长，请按时还款。"  # the first approver's words stay when the senior adds none

    refused = submitted(app, RURAL)
    claim(reviewer1, refused)
    decide(
        reviewer1,
        refused,
        "reject",
        {"reason": "no_hardship_shown", "message": "请补充说明困难。", "internal_note": _mark("拒绝")},
    )
    with database(app) as session:
        found = application(session, refused)
        decisions.appeal(
            session, found, actor=f"borrower:{found.borrower_id}", as_of=BUSINESS_DATE, note="我补充了说明。"
        )
        session.commit()
    claim(senior1, refused)
    decide(
        senior1,
        refused,
        "reject",
        {"reason": "other", "message": "复核后仍无法批准。", "internal_note": _mark("复核")},
    )
    internal["reject"], internal["appeal"] = _mark("拒绝"), _mark("复核")
    messages[RURAL] = "复核后仍无法批准。"

    asked = submitted(app, ASKED, kind="extension", months=None)  # up to date: an extension
    claim(reviewer1, asked)
    decide(
        reviewer1, asked, "information", {"question": "请上传最近的工资单。", "internal_note": _mark("补件")}
    )
    internal["information"], messages[ASKED] = _mark("补件"), "请上传最近的工资单。"

    countered = submitted(app, COUNTERED)
    claim(reviewer1, countered)
    decide(
        reviewer1,
        countered,
        "counter",
        {**COUNTER, "action": "send", "message": "延长到18个月更合适。", "internal_note": _mark("还价")},
    )
    internal["counter"], messages[COUNTERED] = _mark("还价"), "延长到18个月更合适。"

    statuses = {
        phone: row(app, ref).status
        for phone, ref in zip(
            (URBAN, BUSINESS, RURAL, ASKED, COUNTERED),
            (approved, big, refused, asked, countered),
            strict=True,
        )
    }
    assert statuses == {
        URBAN: "approved",
        BUSINESS: "approved",
        RURAL: "rejected",
        ASKED: "info_requested",
        COUNTERED: "countered",
    }, statuses
    return internal, messages


def _borrower_urls(app, phone: str) -> list[str]:
    """Every GET page of the borrower's own, each route filled with their own loans, applications, plans and
    schedule versions (a route with an argument they have no value for is left out)."""
    with database(app) as session:
        borrower = session.scalar(select(Borrower).where(Borrower.phone == phone))
        values = {
            "loan_number": session.scalars(select(Loan.number).where(Loan.borrower_id == borrower.id)).all(),
            "reference": session.scalars(
                select(Application.reference).where(Application.borrower_id == borrower.id)
            ).all(),
            "version": sorted(
                set(
                    session.scalars(
                        select(ScheduleVersion.version)
                        .join(Loan, Loan.id == ScheduleVersion.loan_id)
                        .where(Loan.borrower_id == borrower.id)
                    ).all()
                )
            ),
            "kind": ["installment_plan", "extension", "seasonal", "interest_only", "proposal"],
        }
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("borrower.") or "GET" not in rule.methods:
            continue
        if not set(rule.arguments) <= set(values):
            continue
        names = sorted(rule.arguments)
        for combination in product(*(values[name] for name in names)):
            with app.test_request_context():
                from flask import url_for

                urls.append(url_for(rule.endpoint, **dict(zip(names, combination, strict=True))))
    return urls


def test_no_internal_note_reaches_any_page_or_message_of_the_borrower_and_the_messages_do(demo):
    internal, messages = _decisions(demo)

    seen_message: dict[str, bool] = {}
    leaks: list[str] = []
    for phone, message in messages.items():
        client = borrower_client(demo, phone)
        pages = 0
        for url in _borrower_urls(demo, phone):
            response = client.get(url)
            if response.status_code != 200:
                continue
            pages += 1
            body = response.get_data(as_text=True)
            leaks += [f"{phone} {url}: {kind}" for kind, note in internal.items() if note in body]
            seen_message[phone] = seen_message.get(phone, False) or message in body
        assert pages >= 5, (phone, pages)
        for sent in notifications(demo, phone):
            leaks += [
                f"{phone} message {sent.kind}: {kind}" for kind, note in internal.items() if note in sent.body
            ]
    assert leaks == []
    assert seen_message == dict.fromkeys(messages, True)


def test_the_internal_notes_are_on_the_case_history_for_staff_labelled_as_internal(demo):
    reference = submitted(demo, URBAN)
    reviewer1 = staff_client(demo, "reviewer1")
    claim(reviewer1, reference)
    decide(reviewer1, reference, "approve", {"message": "可以。", "internal_note": "已电话核实工资。"})

    (approved,) = audit_rows(demo, reference, "application.approved")
    assert (approved.data["note"], approved.data["internal_note"]) == ("可以。", "已电话核实工资。")
    assert row(demo, reference).decision_note == "可以。"
    page = reviewer1.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assert '<span class="small internal-note">内部备注，仅限员工查看： 已电话核实工资。</span>' in page
