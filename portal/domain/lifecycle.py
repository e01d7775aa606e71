"""The application lifecycle: which status may follow which, and who may make each move.

The table is DESIGN.md's "Application lifecycle", edge for edge. It answers only "may this role make this
move"; the conditions that need data (a senior other than the first approver, an appeal within the appeal
window, an agent's recorded consent, two missed plan payments) are the caller's to check before calling.
"""

from __future__ import annotations

STATUSES = (
    "draft",
    "submitted",
    "in_review",
    "info_requested",
    "awaiting_second_approval",
    "approved",
    "countered",
    "accepted",
    "declined",
    "expired",
    "rejected",
    "appealed",
    "withdrawn",
    "active",
    "completed",
    "broken",
)

ROLES = ("borrower", "agent", "reviewer", "senior_reviewer", "system")

# An application in one of these blocks a new application for the same loan.
OPEN_STATUSES = frozenset(
    {
        "draft",
        "submitted",
        "in_review",
        "info_requested",
        "awaiting_second_approval",
        "approved",
        "countered",
        "appealed",
    }
)

# Sent and not yet settled: from submission until the borrower accepts or the offer lapses. The schedule in force
# still runs meanwhile, so what falls due is still owed.
AWAITING_OUTCOME = (
    "submitted",
    "in_review",
    "info_requested",
    "awaiting_second_approval",
    "appealed",
    "approved",
    "countered",
)

# A reviewer is deciding: the case is claimed, and only its holder may act on it.
BEING_DECIDED = ("in_review", "awaiting_second_approval", "appealed")

# A plan accepted or in force: the new schedule runs.
IN_FORCE = ("accepted", "active")

# The borrower may withdraw until a decision has been made.
WITHDRAWABLE = frozenset({"draft", "submitted", "in_review", "info_requested"})

# An agent acts for the borrower, so every borrower edge is also an agent edge; a senior reviewer can do
# whatever a reviewer can.
_BORROWER = frozenset({"borrower", "agent"})
_REVIEWER = frozenset({"reviewer", "senior_reviewer"})
_SENIOR = frozenset({"senior_reviewer"})
_SYSTEM = frozenset({"system"})

TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("draft", "submitted"): _BORROWER,
    ("submitted", "in_review"): _REVIEWER,  # a reviewer claims it
    ("in_review", "approved"): _REVIEWER,
    ("in_review", "rejected"): _REVIEWER,
    ("in_review", "countered"): _REVIEWER,
    ("in_review", "info_requested"): _REVIEWER,
    ("in_review", "awaiting_second_approval"): _REVIEWER,  # above the reviewer's limit
    ("awaiting_second_approval", "approved"): _SENIOR,
    ("awaiting_second_approval", "rejected"): _SENIOR,
    ("awaiting_second_approval", "in_review"): _SENIOR,
    ("info_requested", "submitted"): _BORROWER,  # the borrower answers
    ("approved", "accepted"): _BORROWER,
    ("countered", "accepted"): _BORROWER,
    ("countered", "declined"): _BORROWER,
    ("approved", "expired"): _SYSTEM,  # no answer within the offer's validity
    ("countered", "expired"): _SYSTEM,
    ("accepted", "active"): _SYSTEM,  # the new schedule is put in force in the same transaction
    ("active", "completed"): _SYSTEM,
    ("active", "broken"): _SYSTEM,
    ("rejected", "appealed"): _BORROWER,
    ("appealed", "approved"): _SENIOR,
    ("appealed", "rejected"): _SENIOR,
    # A senior deciding an appeal has a reviewer's choices: another plan, a question, or a second approval
    # above their own limits.
    ("appealed", "countered"): _SENIOR,
    ("appealed", "info_requested"): _SENIOR,
    ("appealed", "awaiting_second_approval"): _SENIOR,
    **{(status, "withdrawn"): _BORROWER for status in sorted(WITHDRAWABLE)},
}


class IllegalTransition(Exception):
    """A move the lifecycle table does not allow for this role."""

    def __init__(self, current: str, target: str, role: str) -> None:
        """Record the attempted move so the caller can report it."""
        super().__init__(f"{role} cannot move an application from {current} to {target}")
        self.current = current
        self.target = target
        self.role = role


def _check_names(role: str, *statuses: str) -> None:
    """Raise ValueError for a status or role the lifecycle does not know: a bug, not a refused move."""
    for status in statuses:
        if status not in STATUSES:
            raise ValueError(f"unknown application status {status!r}")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")


def transition(current: str, target: str, role: str) -> str:
    """Return ``target`` when ``role`` may move an application from ``current`` to it; else IllegalTransition.

    An unknown status or role is a ValueError: it is a programming error, not a move to refuse politely.
    """
    _check_names(role, current, target)
    if role not in TRANSITIONS.get((current, target), frozenset()):
        raise IllegalTransition(current, target, role)
    return target
