"""The import graph of `portal/`: no cycles, and only the web layer speaks HTTP.

Read from the source with `ast` (nothing is imported, no app, no database), so it runs in a second.

What counts as an import:
- every `import` and `from ... import`, at module level AND inside functions: an import moved into a function
  to dodge a cycle still ties the two modules together, it only hides the cycle until the first call;
- importing `a.b.c` also imports the packages `a` and `a.b` (Python runs their `__init__` first), except the
  importer's own packages, which are always initialised before it;
- imports under `if TYPE_CHECKING:` never run, but still say one module depends on another, so they count too;
  the one exception is inside `TYPE_ONLY_CYCLES`: the SQLAlchemy models name each other in their annotations
  (`Loan.borrower` and `Borrower.loans`), a relationship seen from both ends.

Rules:
1. No cycle between modules.
2. No cycle between the parts of `portal` (`portal.web`, `portal.loans`, `portal.domain`, ...: one node per
   top-level module or package, its submodules folded in). The app factory (`portal/__init__.py`) is left out:
   it composes every part, and every part is imported through it.
3. Flask's request-handling objects (`WEB_NAMES`) are imported only by the web layer (`WEB_LAYER`): the
   blueprints (their views, forms and access checks), the app factory, `portal.web` (template globals, the
   per-request locale, attachments) and the per-request database session. The feature packages
   (`SERVICE_PACKAGES`: models, services and queries), the pure domain (`portal/domain/`, also kept free of every
   third-party package by test_domain_is_pure.py) and the command line return data or raise their own errors; a
   view turns them into a page, a redirect, a 404 or a file.
4. The feature packages read no app state (`current_app`) beyond the few listed in `APP_STATE_READERS`, and the
   models none at all.
5. Services and the domain write no wording (`portal.i18n`, `portal.i18n.labels`), except the notices to
   borrowers.
6. No SQL in views or template globals: a module that declares routes, and the template globals, import nothing
   from SQLAlchemy; they call a service or a query of a feature package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# No database and no app: run with the pure tests (the PostgreSQL pass leaves these out).
pytestmark = pytest.mark.domain

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"
# Alembic loads the migration scripts by path; they are not modules of the package.
EXCLUDED = (PORTAL / "migrations" / "versions",)

# What answers a request: reading it, its session, its flashes, and making pages, redirects, errors and files.
WEB_NAMES = frozenset(
    {
        "abort",
        "request",
        "session",
        "flash",
        "redirect",
        "url_for",
        "render_template",
        "render_template_string",
        "send_file",
        "send_from_directory",
        "make_response",
        "jsonify",
        "stream_with_context",
    }
)
# The web layer: modules (or packages, every module under them) that may import WEB_NAMES.
WEB_LAYER = (
    "portal",  # the app factory itself (portal/__init__.py), not its submodules
    "portal.db",  # the per-request database session (a GET reads, a POST may write)
    "portal.i18n",  # the locale of a request: the user's choice in the session, else Accept-Language
)
# Packages every module of which is in the web layer: the shared web helpers and the blueprints.
WEB_PACKAGES = ("portal.web", "portal.auth", "portal.borrower", "portal.staff", "portal.agents")
# The feature packages: models, services and queries, no HTTP.
SERVICE_PACKAGES = (
    "portal.people",
    "portal.loans",
    "portal.applications",
    "portal.support",
    "portal.core",
    "portal.policies",
)


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # the module imported (a name imported from a package resolves to its submodule if it is one)
    names: tuple[str, ...]  # the names a `from` import takes
    line: int
    in_function: bool
    type_only: bool = False


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


MODULES = {
    _module_name(path): path
    for path in sorted(PORTAL.rglob("*.py"))
    if not any(path.is_relative_to(excluded) for excluded in EXCLUDED)
}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(
    node: ast.AST, in_function: bool = False, type_only: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Every import statement under `node`, whether it sits in a function and whether only for type checking."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function, type_only
        elif isinstance(child, ast.If) and _is_type_checking(child):
            for branch, only in ((child.body, True), (child.orelse, type_only)):
                for statement in branch:
                    if isinstance(statement, ast.Import | ast.ImportFrom):
                        yield statement, in_function, only
                    else:
                        yield from _import_nodes(statement, in_function, only)
        else:
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            yield from _import_nodes(child, inner, type_only)


def _imports(name: str) -> list[Import]:
    """Every import in module `name`, relative ones resolved."""
    path = MODULES[name]
    package = name if _is_package(path) else name.rpartition(".")[0]
    found = []
    for node, in_function, type_only in _import_nodes(
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    ):
        if isinstance(node, ast.Import):
            found.extend(
                Import(name, alias.name, (), node.lineno, in_function, type_only) for alias in node.names
            )
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            module = ".".join([*base, node.module] if node.module else base)
        else:
            module = node.module or ""
        for alias in node.names:
            submodule = f"{module}.{alias.name}"
            target = submodule if submodule in MODULES else module
            found.append(Import(name, target, (alias.name,), node.lineno, in_function, type_only))
    return found


IMPORTS = {name: _imports(name) for name in MODULES}


def _is_models(name: str) -> bool:
    """The SQLAlchemy models of a feature package: they may name each other in annotations (TYPE_CHECKING)."""
    return name.count(".") >= 2 and name.rpartition(".")[2] == "models"


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _edges() -> dict[str, dict[str, Import]]:
    """importer -> {module it makes Python run: the import that does}, within `portal`."""
    graph: dict[str, dict[str, Import]] = {name: {} for name in MODULES}
    for name, imports in IMPORTS.items():
        own = set(_ancestors(name)) | {name}
        for imp in imports:
            if imp.type_only and _is_models(name) and _is_models(imp.target):
                continue
            for target in [*_ancestors(imp.target), imp.target]:
                if target in MODULES and target not in own:
                    graph[name].setdefault(target, imp)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each as a cycle through them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_through(graph, set(component)) for component in components]


def _cycle_through(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One concrete cycle inside a strongly connected component, for the failure message."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*paths[node], start]
            if nxt in component and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return sorted(component)  # pragma: no cover - a component always has a cycle through each node


def _describe(edges: dict[str, dict[str, Import]], cycle: list[str]) -> str:
    steps = []
    for importer, target in zip(cycle, cycle[1:], strict=False):
        imp = edges[importer][target]
        where = "in a function" if imp.in_function else "at module level"
        where += ", under TYPE_CHECKING" if imp.type_only else ""
        steps.append(f"{importer} -> {target} ({MODULES[importer].relative_to(ROOT)}:{imp.line}, {where})")
    return "\n  ".join(steps)


def _part(name: str) -> str:
    return ".".join(name.split(".")[:2])


def test_the_walk_sees_the_package():
    assert {
        "portal",
        "portal.i18n",
        "portal.applications.evidence",
        "portal.domain.policy",
        "portal.auth.access",
    } <= set(MODULES)
    # Resolution: `from portal import db` is the module portal.db; a function-level import is seen.
    assert any(imp.target == "portal.db" for imp in IMPORTS["portal.web.templating"])
    assert any(imp.in_function for imp in IMPORTS["portal"])


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_type_checking_imports_count_and_are_marked():
    source = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\nelse:\n    import y\nimport z\n"
    )
    found = [
        (node.names[0].name, type_only)
        for node, _, type_only in _import_nodes(ast.parse(source))
        if isinstance(node, ast.Import)
    ]
    assert found == [("x", True), ("y", False), ("z", False)]
    # The models' type-only imports of each other are left out of the graph; nothing else is.
    edges = _edges()
    assert "portal.people.models" not in edges["portal.loans.models"]
    assert _is_models("portal.support.models") and not _is_models("portal.models")
    assert any(imp.type_only for imp in IMPORTS["portal.loans.models"])


def test_no_module_imports_itself_back():
    edges = _edges()
    graph = {name: set(targets) for name, targets in edges.items()}
    cycles = _cycles(graph)
    assert cycles == [], "import cycles:\n" + "\n".join(f"  {_describe(edges, cycle)}" for cycle in cycles)


def test_no_part_of_the_portal_imports_itself_back():
    edges = _edges()
    graph: dict[str, set[str]] = {}
    witness: dict[tuple[str, str], Import] = {}
    for importer, targets in edges.items():
        if importer == "portal":
            continue
        for target, imp in targets.items():
            a, b = _part(importer), _part(target)
            if a != b and b != "portal":
                graph.setdefault(a, set()).add(b)
                witness.setdefault((a, b), imp)
    cycles = _cycles(graph)
    messages = []
    for cycle in cycles:
        steps = []
        for a, b in zip(cycle, cycle[1:], strict=False):
            imp = witness[(a, b)]
            steps.append(f"{a} -> {b} (e.g. {MODULES[imp.importer].relative_to(ROOT)}:{imp.line})")
        messages.append("\n  ".join(steps))
    assert cycles == [], "cycles between parts of the portal:\n  " + "\n".join(messages)


def _in_web_layer(name: str) -> bool:
    return name in WEB_LAYER or any(name.startswith(package + ".") for package in WEB_PACKAGES)


def test_the_allow_list_names_real_modules():
    assert all(name in MODULES for name in WEB_LAYER)
    assert not _in_web_layer("portal.applications.evidence")
    assert not _in_web_layer("portal.domain.options")
    assert _in_web_layer("portal.borrower.steps")


@pytest.mark.parametrize("name", [name for name in MODULES if not _in_web_layer(name)])
def test_only_the_web_layer_speaks_http(name):
    leaks = []
    for imp in IMPORTS[name]:
        if imp.target.split(".")[0] in ("flask", "werkzeug"):
            leaks.extend(
                f"{imp.target}.{taken} (line {imp.line})" for taken in imp.names if taken in WEB_NAMES
            )
            if not imp.names:
                leaks.append(
                    f"import {imp.target} (line {imp.line}): import the names, so this test sees them"
                )
    assert leaks == [], f"{MODULES[name].relative_to(ROOT)} is not in the web layer but imports {leaks}"


# Persistence code takes a session and returns rows; app state (current_app) is the web layer's and the command
# line's to read. These still read it, and no other module of a feature package may start to: audit's own
# transaction (the unit-of-work work owns it), the support-code key (SECRET_KEY) and the SMS sender setting.
APP_STATE_READERS = frozenset({"portal.core.audit", "portal.support.codes", "portal.core.outbox"})


def test_persistence_reads_no_app_state():
    readers = {
        name
        for name, imports in IMPORTS.items()
        if name.startswith(tuple(package + "." for package in SERVICE_PACKAGES))
        and any(imp.target == "flask" and "current_app" in imp.names for imp in imports)
    }
    assert readers <= APP_STATE_READERS, f"new readers of current_app: {sorted(readers - APP_STATE_READERS)}"
    assert not any(_is_models(name) for name in readers)


# Wording is the pages' (and the labels'): services return codes and data, and a view words them. The one
# service that writes text is the one whose output is text: the messages sent to borrowers, in their language.
TEXT_MODULES = ("portal.i18n", "portal.i18n.labels")
TEXT_WRITERS = frozenset({"portal.core.notices", "portal.applications.notices"})


@pytest.mark.parametrize(
    "name",
    [
        name
        for name in MODULES
        if name.startswith(tuple(p + "." for p in (*SERVICE_PACKAGES, "portal.domain")))
    ],
)
def test_services_and_the_domain_write_no_wording(name):
    wording = sorted({imp.target for imp in IMPORTS[name] if imp.target in TEXT_MODULES})
    assert name in TEXT_WRITERS or wording == [], (
        f"{name} imports {wording}: return a code, let the view word it"
    )


def _declares_routes(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in ("route", "get", "post")
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        for decorator in node.decorator_list
    )


ROUTE_MODULES = [name for name, path in MODULES.items() if _declares_routes(path)]


def test_the_route_finder_finds_the_views():
    assert {"portal.borrower.views", "portal.staff.decide", "portal.auth.views"} <= set(ROUTE_MODULES)
    assert "portal.applications.queue" not in ROUTE_MODULES


SQL_IN_VIEWS_LEFT = frozenset()


@pytest.mark.parametrize(
    "name", [name for name in (*ROUTE_MODULES, "portal.web.templating") if name not in SQL_IN_VIEWS_LEFT]
)
def test_views_and_template_globals_run_no_sql(name):
    sql = sorted(
        {
            f"{imp.target}: {', '.join(imp.names)}"
            for imp in IMPORTS[name]
            if imp.target.startswith("sqlalchemy")
        }
    )
    assert sql == [], (
        f"{MODULES[name].relative_to(ROOT)} builds SQL ({sql}): move the query into a feature package"
    )
