"""The domain is pure: it imports only the standard library and itself, so it runs without the app."""

import ast
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.domain

DOMAIN = Path(__file__).resolve().parents[2] / "portal" / "domain"
MODULES = sorted(DOMAIN.rglob("*.py"))


def _imported_modules(path: Path) -> list[str]:
    """Return the absolute names of the modules a source file imports, relative imports resolved."""
    package = ".".join(("portal", "domain", *path.relative_to(DOMAIN).parent.parts))
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                names.append(".".join([*parent, node.module] if node.module else parent))
            else:
                names.append(node.module)
    return names


def test_the_domain_package_has_modules():
    assert {path.name for path in MODULES} >= {
        "__init__.py",
        "money.py",
        "schedule.py",
        "arrears.py",
        "hardship.py",
        "policy.py",
        "lifecycle.py",
        "facts.py",  # portal/domain/options/, a package: facts, eligibility, plans, quote
        "quote.py",
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(DOMAIN)))
def test_domain_module_imports_only_the_standard_library_and_the_domain(path):
    foreign = [
        name
        for name in _imported_modules(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name != "portal.domain"
        and not name.startswith("portal.domain.")
    ]
    assert foreign == [], f"{path.name} imports {foreign}"
