"""One unit of work per request: views and services never commit; the request commits once when it succeeds and
rolls back on any error, and what must outlive that rollback goes through `db.own_transaction`."""

from __future__ import annotations

import ast
from pathlib import Path

from flask import abort
from sqlalchemy import func, select

import portal
from portal import db
from portal.auth import credentials, throttle
from portal.core import audit
from portal.core.models import AuditEvent
from portal.people.models import Borrower, SignInFailure
from tests.helpers.common import sign_in

PORTAL = Path(portal.__file__).parent
WRONG = "not-the-password-9"
PHONE = "13800000001"

# (module, function): the request and command boundaries (both end in `end_unit_of_work`) and the helper for
# work that must outlive a rollback. Nothing else in portal/ may commit.
ALLOWED = {("db.py", "end_unit_of_work"), ("db.py", "own_transaction")}


def _commits(tree: ast.AST):
    """(enclosing function name, line) of every `<anything>.commit()` call."""
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "commit"
            ):
                found.append((function, child.lineno))
            visit(child, name)

    visit(tree, None)
    return found


def test_only_the_boundaries_and_the_own_transaction_helper_commit():
    offenders = []
    seen = set()
    for path in sorted(PORTAL.rglob("*.py")):
        module = path.relative_to(PORTAL).as_posix()
        for function, line in _commits(ast.parse(path.read_text(encoding="utf-8"))):
            if (module, function) in ALLOWED:
                seen.add((module, function))
            else:
                offenders.append(f"portal/{module}:{line} in {function}()")
    assert not offenders, "commit() outside the unit-of-work boundaries:\n" + "\n".join(offenders)
    assert seen == ALLOWED, "the boundaries moved: update ALLOWED"


def _add_routes(app):
    """Views that write and then fail (raise, or answer with an error status), or succeed."""

    def rename(name: str) -> None:
        borrower = db.session.scalar(select(Borrower).where(Borrower.phone == PHONE))
        borrower.name = name
        audit.record(db.session, actor="test", action="test.renamed", subject=f"borrower:{borrower.id}")

    def raises():
        rename("Raised")
        raise RuntimeError("after writing")

    def refuses():
        rename("Refused")
        abort(400)

    def conflict():
        rename("Conflict")
        return "no", 409

    def succeeds():
        rename("Renamed")
        return "", 303, {"Location": "/"}

    def counted_then_raises():
        credentials.check_password(throttle.borrower_key(PHONE), None, WRONG)
        rename("Raised")
        raise RuntimeError("after a failed check")

    for view in (raises, refuses, conflict, succeeds, counted_then_raises):
        app.add_url_rule(f"/_test/{view.__name__}", view.__name__, view, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False


def _state(app):
    with app.app_context():
        name = db.session.scalar(select(Borrower.name).where(Borrower.phone == PHONE))
        renamed = db.session.scalar(select(func.count()).where(AuditEvent.action == "test.renamed"))
        failures = db.session.scalar(
            select(func.count()).where(SignInFailure.account_key == throttle.borrower_key(PHONE))
        )
    return name, renamed, failures


def test_a_view_that_fails_after_writing_leaves_nothing_written(demo):
    _add_routes(demo)
    client = demo.test_client()
    before, _renamed, _failures = _state(demo)
    for path, status in (("raises", 500), ("refuses", 400), ("conflict", 409)):
        assert client.post(f"/_test/{path}").status_code == status
        assert _state(demo)[:2] == (before, 0), path


def test_a_view_that_succeeds_is_committed_once_it_answers(demo):
    _add_routes(demo)
    assert demo.test_client().post("/_test/succeeds").status_code == 303
    name, renamed, _failures = _state(demo)
    assert (name, renamed) == ("Renamed", 1)


def test_a_failed_check_is_still_counted_after_the_request_rolls_back(demo):
    _add_routes(demo)
    before = _state(demo)
    assert demo.test_client().post("/_test/counted_then_raises").status_code == 500
    name, renamed, failures = _state(demo)
    assert (name, renamed) == before[:2]
    assert failures == before[2] + 1


def test_a_failed_sign_in_is_counted_and_a_refused_one_is_audited(demo):
    client = demo.test_client()
    limit = demo.config["LOCKOUT_FAILURES"]
    for _attempt in range(limit):
        assert sign_in(client, PHONE, WRONG).status_code == 200
    assert _state(demo)[2] == limit
    refused = sign_in(client, PHONE, WRONG)
    assert refused.status_code == 429  # an error status: the request's own work is rolled back...
    with demo.app_context():
        locked = db.session.scalar(select(func.count()).where(AuditEvent.action == "sign_in.locked"))
    assert locked == 1  # ...but the refusal stays on the audit trail
