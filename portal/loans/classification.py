"""A loan's five-tier classification with its restructurings taken into account (portal/domain/classification.py),
read from what a page has already loaded: the loan's position (every schedule version with its lines) and the
applications that restructured it (their agreements record the tier the day the plan was accepted). No
statements of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from portal.domain.classification import Classified, Restructuring, classify
from portal.domain.policy import Policy

# The tier an application's queue bucket (days past due when it was sent) implies at least, for agreements written
# before they recorded the tier: over 90 days is substandard or worse.
_BUCKET_TIER = {"M0": "normal", "M1": "special_mention", "M2": "special_mention", "M3": "special_mention"}


def tier_before(application) -> str | None:
    """The tier recorded in an accepted application's agreement, or the least its bucket implies, or None."""
    agreement = application.agreement or {}
    if agreement.get("classification_before"):
        return agreement["classification_before"]
    if application.bucket:
        return _BUCKET_TIER.get(application.bucket, "substandard")
    return None


def missed_due_dates(installments: Iterable, as_of: date) -> tuple[date, ...]:
    """Due dates of installments not paid in full on their due date, as known on ``as_of``."""
    return tuple(
        item.due_date
        for item in installments
        if item.due_date < as_of and (item.paid_off_on is None or item.paid_off_on > item.due_date)
    )


def classify_position(position, applications: Iterable, policy: Policy, as_of: date) -> Classified:
    """The loan's tier as of ``as_of``: by days past due, raised by an observation period after a restructuring.

    ``applications`` are the loan's applications that may have restructured it (any others are ignored); a
    restructuring whose application is not among them counts with the period's floor as its earlier tier.
    """
    rules = policy.observation_rules()
    by_version = {a.schedule_version_id: a for a in applications if a.schedule_version_id is not None}
    restructurings = []
    for version in position.versions:
        if version.reason != "restructuring":
            continue
        application = by_version.get(version.id)
        before = (tier_before(application) if application is not None else None) or rules.floor
        due_dates = tuple(line.due_date for line in version.lines)
        restructurings.append(Restructuring(version.effective_on, due_dates, before))
    return classify(
        days_past_due=position.report.days_past_due,
        as_of=as_of,
        restructurings=restructurings,
        missed=missed_due_dates(position.report.installments, as_of) if restructurings else (),
        rules=rules,
    )
