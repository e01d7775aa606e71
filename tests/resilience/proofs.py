"""What `make resilience` proves after the faults, read from the database the servers shared.

Each proof is (name, failures): an empty list holds.
"""

from __future__ import annotations

import subprocess
from collections import Counter

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from portal.applications.models import Application
from portal.core.models import AuditEvent
from portal.domain.lifecycle import OPEN_STATUSES
from portal.loans.models import Loan
from portal.people.models import Borrower

DECISIONS = ("application.approved", "application.rejected", "application.awaiting_second_approval")


def check(
    url: str,
    sent: dict[str, tuple[str, str]],
    decided: dict[str, tuple[str, str]],
    tally,
    verified: subprocess.CompletedProcess,
) -> list[tuple[str, list[str]]]:
    engine = create_engine(url)
    with Session(engine) as session:
        rows = session.execute(
            select(Application.id, Application.reference, Application.status, Borrower.phone, Loan.number)
            .join(Borrower, Borrower.id == Application.borrower_id)
            .join(Loan, Loan.id == Application.loan_id)
        ).all()
        actions = Counter(
            (subject, action)
            for subject, action in session.execute(
                select(AuditEvent.subject, AuditEvent.action).where(AuditEvent.action.like("application.%"))
            )
        )
    engine.dispose()
    by_reference = Counter(row.reference for row in rows)
    row_of = {row.reference: row for row in rows}
    loans_of_run = {loan for _phone, loan in sent.values()}
    per_loan = Counter(
        row.number for row in rows if row.number in loans_of_run and row.status in OPEN_STATUSES
    )

    lost = []
    for reference, (phone, loan) in sorted(sent.items()):
        row = row_of.get(reference)
        if row is None or by_reference[reference] != 1:
            lost.append(f"{reference}: {by_reference[reference]} rows")
        elif (row.phone, row.number) != (phone, loan) or row.status == "draft":
            lost.append(f"{reference}: {row.status} for {row.phone} {row.number}, sent by {phone} for {loan}")
        elif actions[(f"application:{row.id}", "application.submitted")] != 1:
            lost.append(
                f"{reference}: sent {actions[(f'application:{row.id}', 'application.submitted')]} times"
            )
    duplicated = [f"loan {loan}: {n} open applications" for loan, n in sorted(per_loan.items()) if n > 1]

    # The run's own applications (the demo's have histories of their own): each decision and the claim at most
    # once. A first approval and the senior's second approval are two different decisions, each once.
    twice = []
    for row in rows:
        if row.reference not in sent:
            continue
        subject = f"application:{row.id}"
        repeated = {action: actions[(subject, action)] for action in (*DECISIONS, "application.in_review")}
        if any(count > 1 for count in repeated.values()):
            twice.append(f"{row.reference}: {repeated} on the audit trail")
    unrecorded = []
    for reference, (who, status) in sorted(decided.items()):
        row = row_of.get(reference)
        subject = f"application:{row.id}" if row else ""
        if row is None or sum(actions[(subject, action)] for action in DECISIONS) != 1:
            unrecorded.append(
                f"{reference}: {who} was shown {status}, the audit trail has no single decision"
            )
        elif row.status != status and not (status == "approved" and row.status == "offered"):
            unrecorded.append(f"{reference}: {who} was shown {status}, the database has {row.status}")

    audit = [] if verified.returncode == 0 else [(verified.stdout + verified.stderr).strip()[-500:]]
    return [
        ("every application a borrower was told was sent exists exactly once, sent once", lost),
        ("no loan got a second open application (double submits and retries guarded)", duplicated),
        ("no application decided or claimed twice", twice),
        ("every decision a reviewer was shown is the one on record", unrecorded),
        (
            "every request got its answer or a clear retryable error (no hang, no wrong answer)",
            list(tally.failures),
        ),
        ("flask audit verify", audit),
    ]
