"""The shape of `portal/` (issue 16): modules small enough to hold in one's head, and an app factory that lists
blueprints instead of importing route modules for their side effects. Read from the source: no app, no database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.domain

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"
MAX_LINES = 450
MODULES = sorted(p for p in PORTAL.rglob("*.py") if "migrations" not in p.relative_to(PORTAL).parts)


def test_the_walk_sees_the_modules():
    assert PORTAL / "applications" / "offers.py" in MODULES
    assert not any("versions" in p.parts for p in MODULES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_450_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it along its concerns"


def test_the_app_factory_imports_blueprints_not_route_modules():
    """Every `portal.*` name create_app imports from a blueprint package is its blueprint (`bp`): a route module
    imported for its side effect would hide which routes exist from the package that owns them."""
    tree = ast.parse((PORTAL / "__init__.py").read_text(encoding="utf-8"))
    factory = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "create_app")
    blueprint_packages = ("portal.agents", "portal.auth", "portal.borrower", "portal.staff")
    taken = [
        (node.module, alias.name)
        for node in ast.walk(factory)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(blueprint_packages)
        for alias in node.names
    ]
    # passwords (the test cost) and sessions (the session check) are set-up helpers of auth, not routes.
    helpers = {("portal.auth", "passwords"), ("portal.auth", "sessions")}
    assert sum(name == "bp" for _, name in taken) == 4
    assert [taken_name for taken_name in taken if taken_name[1] != "bp" and taken_name not in helpers] == []
