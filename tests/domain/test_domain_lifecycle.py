"""The application lifecycle: every edge of DESIGN.md's table with its roles, and a table of refused moves."""

import itertools

import pytest

from portal.domain.lifecycle import (
    OPEN_STATUSES,
    ROLES,
    STATUSES,
    TRANSITIONS,
    WITHDRAWABLE,
    IllegalTransition,
    transition,
)

pytestmark = pytest.mark.domain


def allowed_targets(current: str, role: str) -> tuple[str, ...]:
    """The statuses `role` may move an application in `current` to, in STATUSES order, as `transition` says."""
    allowed = []
    for target in STATUSES:
        try:
            allowed.append(transition(current, target, role))
        except IllegalTransition:
            pass
    return tuple(allowed)


BORROWER = {"borrower", "agent"}  # an agent acts for the borrower
REVIEWER = {"reviewer", "senior_reviewer"}  # a senior can do what a reviewer does
SENIOR = {"senior_reviewer"}
SYSTEM = {"system"}

# DESIGN.md "Application lifecycle", row by row, written out again here so the table is checked, not copied.
EDGES = {
    ("draft", "submitted"): BORROWER,
    ("submitted", "in_review"): REVIEWER,
    ("in_review", "approved"): REVIEWER,
    ("in_review", "rejected"): REVIEWER,
    ("in_review", "countered"): REVIEWER,
    ("in_review", "info_requested"): REVIEWER,
    ("in_review", "awaiting_second_approval"): REVIEWER,
    ("awaiting_second_approval", "approved"): SENIOR,
    ("awaiting_second_approval", "rejected"): SENIOR,
    ("awaiting_second_approval", "in_review"): SENIOR,
    ("info_requested", "submitted"): BORROWER,
    ("approved", "accepted"): BORROWER,
    ("countered", "accepted"): BORROWER,
    ("countered", "declined"): BORROWER,
    ("approved", "expired"): SYSTEM,
    ("countered", "expired"): SYSTEM,
    ("accepted", "active"): SYSTEM,
    ("active", "completed"): SYSTEM,
    ("active", "broken"): SYSTEM,
    ("rejected", "appealed"): BORROWER,
    ("appealed", "approved"): SENIOR,
    ("appealed", "rejected"): SENIOR,
    ("appealed", "countered"): SENIOR,  # a senior deciding an appeal has a reviewer's choices
    ("appealed", "info_requested"): SENIOR,
    ("appealed", "awaiting_second_approval"): SENIOR,  # above the senior's own limits
    ("draft", "withdrawn"): BORROWER,
    ("submitted", "withdrawn"): BORROWER,
    ("in_review", "withdrawn"): BORROWER,
    ("info_requested", "withdrawn"): BORROWER,
}


@pytest.mark.parametrize(
    ("current", "target", "role"),
    sorted((current, target, role) for (current, target), roles in EDGES.items() for role in roles),
)
def test_every_edge_of_the_table_is_allowed_to_its_roles(current, target, role):
    assert transition(current, target, role) == target
    assert target in allowed_targets(current, role)


def test_nothing_outside_the_table_is_allowed():
    for current, target, role in itertools.product(STATUSES, STATUSES, ROLES):
        allowed = role in EDGES.get((current, target), set())
        assert (target in allowed_targets(current, role)) == allowed, (current, target, role)
        if not allowed:
            with pytest.raises(IllegalTransition):
                transition(current, target, role)


@pytest.mark.parametrize(
    ("current", "target", "role"),
    [
        ("draft", "approved", "reviewer"),  # not submitted yet
        ("draft", "approved", "senior_reviewer"),
        ("rejected", "accepted", "borrower"),  # a rejection is appealed, not accepted
        ("in_review", "approved", "borrower"),  # borrowers never decide
        ("in_review", "approved", "agent"),  # nor do agents
        ("draft", "submitted", "reviewer"),  # staff do not submit for the borrower
        ("submitted", "in_review", "borrower"),
        ("awaiting_second_approval", "approved", "reviewer"),  # the second approval is a senior's
        ("appealed", "approved", "reviewer"),  # appeals are decided by a senior
        ("approved", "accepted", "reviewer"),  # only the borrower accepts
        ("approved", "declined", "borrower"),  # an approval is accepted or left to expire
        ("approved", "expired", "borrower"),
        ("accepted", "active", "reviewer"),
        ("active", "broken", "reviewer"),
        ("approved", "withdrawn", "borrower"),  # too late to withdraw
        ("awaiting_second_approval", "withdrawn", "borrower"),
        ("in_review", "withdrawn", "reviewer"),
        ("info_requested", "in_review", "borrower"),  # the answer goes back through submitted
        ("submitted", "submitted", "borrower"),  # no self-loops
        ("withdrawn", "draft", "borrower"),
        ("completed", "active", "system"),
        ("broken", "active", "system"),
        ("declined", "accepted", "borrower"),
    ]
    + [
        ("expired", target, role)
        for target in ("draft", "submitted", "accepted", "approved")
        for role in ROLES
    ],
)
def test_moves_off_the_table_are_refused_with_the_move_named(current, target, role):
    with pytest.raises(IllegalTransition) as raised:
        transition(current, target, role)
    assert (raised.value.current, raised.value.target, raised.value.role) == (current, target, role)
    assert current in str(raised.value) and target in str(raised.value)


def test_expired_withdrawn_declined_completed_and_broken_are_final():
    terminal = set(STATUSES) - {current for current, _ in TRANSITIONS}
    assert terminal == {"declined", "expired", "withdrawn", "completed", "broken"}
    for status, role in itertools.product(terminal, ROLES):
        assert allowed_targets(status, role) == ()


@pytest.mark.parametrize(
    ("current", "role", "targets"),
    [
        (
            "in_review",
            "reviewer",
            ("info_requested", "awaiting_second_approval", "approved", "countered", "rejected"),
        ),
        ("in_review", "borrower", ("withdrawn",)),
        ("countered", "agent", ("accepted", "declined")),
        ("countered", "system", ("expired",)),
        ("awaiting_second_approval", "senior_reviewer", ("in_review", "approved", "rejected")),
        ("awaiting_second_approval", "reviewer", ()),
        ("rejected", "borrower", ("appealed",)),
    ],
)
def test_allowed_targets_lists_the_moves_in_status_order(current, role, targets):
    assert allowed_targets(current, role) == targets


def test_open_statuses_block_a_new_application_and_the_rest_do_not():
    assert OPEN_STATUSES <= set(STATUSES)
    assert set(STATUSES) - OPEN_STATUSES == {
        "accepted",
        "active",
        "declined",
        "expired",
        "rejected",
        "withdrawn",
        "completed",
        "broken",
    }
    assert WITHDRAWABLE == {"draft", "submitted", "in_review", "info_requested"}
    assert WITHDRAWABLE <= OPEN_STATUSES


@pytest.mark.parametrize(
    ("current", "target", "role"),
    [("draft", "approve", "reviewer"), ("limbo", "draft", "borrower"), ("draft", "submitted", "admin")],
)
def test_unknown_names_are_a_programming_error_not_a_refused_move(current, target, role):
    with pytest.raises(ValueError):
        transition(current, target, role)
