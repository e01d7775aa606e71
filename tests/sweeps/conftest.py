"""The sweeps' site: one demo database per test module (applications in every status), its app, its catalog,
and one signed-in test client per login.

The sweeps only read, or write what they clean up after themselves, so a module shares one database: building
the demo with its cases takes a few seconds, far too long to repeat for each of hundreds of pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.helpers.common import PG_URL, Client, settings
from tests.helpers.pages import Login, Visit, arrange_catalog_demo, catalog, sign_in_as

NO_CODE_LIMITS = {scope: ((timedelta(minutes=1), 1000),) for scope in ("phone", "client", "all")}

MAIN_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


def _main_conftest(manager: pytest.PytestPluginManager):
    for plugin in manager.get_plugins():
        path = getattr(plugin, "__file__", None)
        if path and Path(path).resolve() == MAIN_CONFTEST:
            return plugin
    raise RuntimeError(f"{MAIN_CONFTEST} is not loaded")


class Site:
    """The app on the module's demo database, its catalog, and a client per login (made on first use)."""

    def __init__(self, app):
        self.app = app
        from portal import db

        with app.app_context():
            self.visits: list[Visit] = catalog(db.session)
        self._clients: dict[tuple[Login, str], Client] = {}

    def client(self, login: Login, lang: str | None = None) -> Client:
        """A client signed in as `login` (its saved language set to `lang` through the switcher, if given)."""
        key = (login, lang or "")
        if key not in self._clients:
            client = sign_in_as(self.app.test_client(), login)
            if lang:  # the header's switcher: the session's language and, once signed in, the saved one
                switched = client.submit("/language", {"lang": lang, "next": "/"}, page="/sign-in")
                assert switched.status_code == 303, switched.status_code
            self._clients[key] = client
        return self._clients[key]


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from portal import create_app, db
    from portal.migrations import upgrade

    if PG_URL:
        request.getfixturevalue("template_database")
        main = _main_conftest(request.config.pluginmanager)
        main._empty_postgres(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sweeps') / 'portal.sqlite3'}"
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
    # One app serves the whole module, which asks for a sign-in code to one phone in each language within the
    # minute: the limits on text-message codes (tests/security/test_security_code_limits.py) are not what is swept.
    app = create_app(settings(url, SMS_CODE_LIMITS=NO_CODE_LIMITS))
    app.test_client_class = Client
    with app.app_context():
        arrange_catalog_demo(db.session)
    yield Site(app)
    app.extensions["db_engine"].dispose()
    if PG_URL:
        main._empty_postgres(PG_URL)
