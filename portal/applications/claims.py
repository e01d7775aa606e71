"""Who holds a case: claiming, putting back, a senior's release or reassignment, and claims that lapse.

A claim lasts the policy pack's number of working hours (`claim_lapse_working_hours`, counted in the
institution's office hours by `portal.domain.workhours`); an older one counts as released. Lapsing is worked out
when the case is read, so no scheduled job has to clear claims: the queue, the case page and every decision ask
`holder_id`, never `claimed_by_id` alone. Services flush, never commit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import Session

from portal import policies
from portal.applications import queries
from portal.applications.deciding import check_version, is_appeal, is_reviewer, staff_move
from portal.applications.models import Application
from portal.clock import institution_zone, local_time, now, utcnow
from portal.core import audit
from portal.core.models import AuditEvent
from portal.domain import workhours
from portal.domain.lifecycle import BEING_DECIDED
from portal.domain.policy import Policy
from portal.loans.services import ServiceError
from portal.people.models import StaffUser
from portal.policies.models import PolicyPack

# The statuses a case can be held in (a submitted case is taken, which moves it to review).
HELD = BEING_DECIDED


def _stored(local: datetime) -> datetime:
    """A local naive moment as the naive-UTC moment stored for it."""
    return local.replace(tzinfo=institution_zone()).astimezone(UTC).replace(tzinfo=None)


def cutoff(hours: int) -> datetime:
    """The stored moment a claim must be younger than to still hold, `hours` working hours before now."""
    return _stored(workhours.subtract(now().replace(tzinfo=None), hours))


def lapse_hours(application: Application) -> int:
    """The application's policy pack's claim lifetime, in working hours."""
    return policies.of(application.policy_pack).claim_lapse_working_hours


def is_live(application: Application) -> bool:
    """Whether the case's claim still holds (someone claimed it within the policy's working hours)."""
    if application.claimed_by_id is None:
        return False
    if application.claimed_at is None:
        return True  # a claim with no moment on record has nothing to lapse from
    return application.claimed_at > cutoff(lapse_hours(application))


def holder_id(application: Application) -> int | None:
    """The member of staff holding the case now: None when nobody does or their claim has lapsed."""
    return application.claimed_by_id if is_live(application) else None


def lapsed(application: Application) -> bool:
    """Someone claimed the case, and their claim has lapsed."""
    return application.claimed_by_id is not None and not is_live(application)


def lapses_at(application: Application) -> datetime | None:
    """When the claim lapses (as a stored naive-UTC moment), or None when the case is not claimed."""
    if application.claimed_by_id is None or application.claimed_at is None:
        return None
    local = local_time(application.claimed_at).replace(tzinfo=None)
    return _stored(workhours.add(local, lapse_hours(application)))


@lru_cache(maxsize=64)
def _pack_hours(variant: str, version: int) -> int:
    """A pack's claim lifetime from its file (a loaded pack never differs from its file: `policies.load`)."""
    for data in policies.pack_files_cached():
        if (data["variant"], data["version"]) == (variant, version):
            return Policy.from_dict(data).claim_lapse_working_hours
    return Policy.claim_lapse_working_hours  # a pack no longer shipped: the default


def marks_live(claimed_at: datetime | None, pack: tuple) -> bool:
    """From a case page's marks: whether its claim still holds (the kept page must change when it lapses)."""
    return claimed_at is None or not pack or claimed_at > cutoff(_pack_hours(*pack))


def live_claim_condition():
    """SQL: the application's claim still holds (the queue's "held by" column and filters), one cutoff per
    distinct claim lifetime among the packs, inside the queue's own statement (no extra round trip)."""
    by_hours: dict[int, list[tuple[str, int]]] = {}
    for data in policies.pack_files_cached():
        by_hours.setdefault(_pack_hours(data["variant"], data["version"]), []).append(
            (data["variant"], data["version"])
        )
    return and_(
        Application.claimed_by_id.is_not(None),
        or_(
            *(
                and_(
                    Application.policy_pack_id.in_(
                        select(PolicyPack.id).where(tuple_(PolicyPack.variant, PolicyPack.version).in_(keys))
                    ),
                    or_(Application.claimed_at.is_(None), Application.claimed_at > cutoff(hours)),
                )
                for hours, keys in sorted(by_hours.items())
            )
        ),
    )


def claim(session: Session, application: Application, staff: StaffUser, *, seen_version: int | None) -> None:
    """Take the case: a submitted application moves to review; a case someone else holds is refused (a lapsed
    claim holds nothing). Taking one's own case again renews the claim."""
    if not is_reviewer(staff):
        raise ServiceError("not_allowed")
    check_version(application, seen_version)
    holder = holder_id(application)
    if holder not in (None, staff.id) and application.status in HELD:
        raise ServiceError("claimed_by_other")
    if (is_appeal(application) or application.status in ("awaiting_second_approval", "appealed")) and (
        staff.role != "senior_reviewer"
    ):
        raise ServiceError("senior_only")  # an appeal, also once answered, stays with the seniors
    if application.status not in ("submitted", *HELD):
        raise ServiceError("not_claimable")
    application.claimed_by_id = staff.id
    application.claimed_at = utcnow()
    if application.status == "submitted":
        staff_move(session, application, "in_review", staff)
    else:
        session.flush()  # a case put back in the queue (or whose claim lapsed), taken up again


def release(
    session: Session, application: Application, staff: StaffUser, *, seen_version: int | None
) -> None:
    """Put one's own case back for anyone to take."""
    check_version(application, seen_version)
    if application.claimed_by_id != staff.id:
        raise ServiceError("not_yours")
    application.claimed_by_id = None
    application.claimed_at = None
    application.updated_at = utcnow()
    session.flush()


def can_hold(application: Application, staff: StaffUser) -> bool:
    """Whether `staff` may be given the case: a reviewer who did not submit it for the borrower; a senior other
    than the first approver and the first decider for a second approval or an appeal."""
    if not is_reviewer(staff) or not staff.active:
        return False
    if f"staff:{staff.id}" in (application.created_by, application.submitted_by):
        return False
    if application.status in ("awaiting_second_approval", "appealed") or is_appeal(application):
        if staff.role != "senior_reviewer":
            return False
        if staff.id in (application.first_approver_id, application.decided_by_id):
            return False
    return True


def reassign(
    session: Session,
    application: Application,
    senior: StaffUser,
    *,
    seen_version: int | None,
    to: StaffUser | None,
) -> None:
    """A senior reviewer releases a case whoever holds it (`to` None) or gives it to another reviewer. Audited
    as `case.released` / `case.reassigned`, naming the previous and the new holder, so both see it in the
    case's history (there are no staff notices to send)."""
    if senior.role != "senior_reviewer":
        raise ServiceError("senior_only")
    check_version(application, seen_version)
    if application.status not in HELD:
        raise ServiceError("not_claimable")
    if to is not None and not can_hold(application, to):
        raise ServiceError("cannot_hold")
    previous = application.claimed_by_id
    was_lapsed = lapsed(application)
    if to is not None and to.id == holder_id(application):
        raise ServiceError("already_holds")
    application.claimed_by_id = to.id if to is not None else None
    application.claimed_at = utcnow() if to is not None else None
    application.updated_at = utcnow()
    data = {"previous": f"staff:{previous}" if previous else None, "lapsed": was_lapsed}
    if to is not None:
        data["holder"] = f"staff:{to.id}"
    session.flush()
    audit.record(
        session,
        actor=f"staff:{senior.id}",
        channel="branch",
        action="case.reassigned" if to is not None else "case.released",
        subject=f"application:{application.id}",
        data=data,
    )
    session.flush()


def candidates(session: Session, application: Application) -> list[StaffUser]:
    """The reviewers a senior may give the case to (those who may hold it), by name."""
    staff = session.scalars(
        select(StaffUser)
        .where(StaffUser.role.in_(("reviewer", "senior_reviewer")), StaffUser.active.is_(True))
        .order_by(StaffUser.name, StaffUser.id)
    ).all()
    return [member for member in staff if can_hold(application, member)]


def staff_member(session: Session, staff_id: int) -> StaffUser | None:
    """A member of staff by id (None when there is none)."""
    return session.get(StaffUser, staff_id)


# How far back the queue tells a reviewer about cases a senior took from them, and how many it lists.
TAKEN_NOTICE_DAYS = 7
TAKEN_NOTICE_MOST = 10


def taken_from(session: Session, member: StaffUser) -> list[dict]:
    """The cases a senior released or gave to someone else while `member` held them, in the last
    TAKEN_NOTICE_DAYS, newest first: how the holder is told (the queue lists them). Two statements: the audit
    rows (narrowed in Python to this holder: the data column is JSON) and their cases' references and names."""
    since = utcnow() - timedelta(days=TAKEN_NOTICE_DAYS)
    rows = session.execute(
        select(AuditEvent.at, AuditEvent.action, AuditEvent.actor, AuditEvent.subject, AuditEvent.data)
        .where(AuditEvent.action.in_(("case.released", "case.reassigned")), AuditEvent.at >= since)
        .order_by(AuditEvent.id.desc())
        .limit(500)
    ).all()
    mine = [r for r in rows if (r.data or {}).get("previous") == f"staff:{member.id}"][:TAKEN_NOTICE_MOST]
    if not mine:
        return []
    references = dict(
        session.execute(
            select(Application.id, Application.reference).where(
                Application.id.in_({int(r.subject.partition(":")[2]) for r in mine})
            )
        ).all()
    )
    names = queries.staff_names(session, [*(r.actor for r in mine), *(r.data.get("holder") for r in mine)])
    return [
        {
            "at": r.at,
            "reference": references[int(r.subject.partition(":")[2])],
            "by": names[r.actor],
            "to": names[r.data["holder"]] if r.data.get("holder") else None,
        }
        for r in mine
    ]
