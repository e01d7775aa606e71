"""Browser tests: a live server on a database of its own, one Chromium for the session, a fresh context per test.

Database: a migrated SQLite file in a temporary directory, or, when PORTAL_TEST_DATABASE_URL is set, that
PostgreSQL database (migrated by the main conftest's `template_database`), emptied again with the main
conftest's `_empty_postgres` as soon as the last browser test has run, so tests after this folder start empty.

The main conftest is reached through pytest's plugin manager, not `from conftest import ...`: every conftest
here is a module called "conftest", and inside this file that name is this file itself (a circular import).
Test modules import shared helpers from `tests.helpers` (tests/helpers/), never from `conftest`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import create_engine

from tests.helpers.e2e import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_BORROWER,
    DESKTOP,
    PHONE,
    LivePortal,
    OwnLiveServer,
    new_page,
)

HERE = Path(__file__).resolve().parent
MAIN_CONFTEST = HERE.parent / "conftest.py"


def _in_this_folder(item: pytest.Item) -> bool:
    return HERE in Path(item.path).resolve().parents


@pytest.hookimpl(tryfirst=True)  # before `-m e2e` / `-m "not e2e"` selects on the marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _in_this_folder(item):
            item.add_marker(pytest.mark.e2e)


def _main_conftest(manager: pytest.PytestPluginManager) -> ModuleType:
    for plugin in manager.get_plugins():
        path = getattr(plugin, "__file__", None)
        if path and Path(path).resolve() == MAIN_CONFTEST:
            return plugin
    raise RuntimeError(f"{MAIN_CONFTEST} is not loaded")


def main_conftest(config: pytest.Config) -> ModuleType:
    """tests/conftest.py as pytest loaded it (its `settings`, `_empty_postgres`...)."""
    return _main_conftest(config.pluginmanager)


_RUNNING: list[OwnLiveServer] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """After the last browser test, stop the server and empty PostgreSQL for whatever tests run next."""
    result = yield
    if _RUNNING and not any(_in_this_folder(later) for later in _items_after(item)):
        for live in _RUNNING:
            live.close()
    return result


def _items_after(item: pytest.Item) -> list[pytest.Item]:
    items = item.session.items
    return items[items.index(item) + 1 :]


@pytest.fixture(scope="session")
def live_portal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LivePortal]:
    """The demo portal served over HTTP: its app (for arranging and computing expectations) and its URL."""
    from portal import create_app, db
    from portal.demo.world import build_demo
    from portal.migrations import upgrade

    main = main_conftest(request.config)
    pg_url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if pg_url:
        request.getfixturevalue("template_database")  # drops and migrates the schema
        main._empty_postgres(pg_url)  # in case tests before this folder left rows behind
        url = pg_url

        def cleanup() -> None:
            main._empty_postgres(pg_url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'portal.sqlite3'}"
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()

        def cleanup() -> None:
            pass

    app = create_app(main.settings(url))
    with app.app_context():
        build_demo(db.session, extra_borrowers=20)
        db.session.commit()

    live = OwnLiveServer(app, cleanup, name="e2e-live-server")
    portal = live.portal
    _RUNNING.append(live)
    yield portal
    live.close()
    _RUNNING.remove(live)


@pytest.fixture(scope="session")
def live_server(live_portal: LivePortal) -> str:
    """The live server's base URL, e.g. http://127.0.0.1:54321."""
    return live_portal.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def make_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """`make_page(js=..., locale=..., viewport=...)`: pages in fresh contexts, closed after the test."""
    pages: list[Page] = []

    def make(**kwargs) -> Page:
        page = new_page(browser, **kwargs)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.context.close()


@pytest.fixture
def page(make_page) -> Page:
    """A phone (390×844) in Simplified Chinese."""
    return make_page(viewport=PHONE)


@pytest.fixture
def phone_page(make_page) -> Page:
    """Same as `page`, for tests that use both sizes."""
    return make_page(viewport=PHONE)


@pytest.fixture
def desktop_page(make_page) -> Page:
    """A desktop browser (1280×900) in Simplified Chinese."""
    return make_page(viewport=DESKTOP)


@pytest.fixture
def borrower(live_portal: LivePortal) -> str:
    """The first demo borrower, with the saved language put back to Simplified Chinese (the switcher saves it)."""
    live_portal.set_borrower_locale(DEMO_BORROWER, "zh_Hans")
    return DEMO_BORROWER
