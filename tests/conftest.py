"""Shared fixtures: a fresh app and database for every test, on SQLite or on PostgreSQL.

SQLite (default): the schema is migrated once into a template file, and every test gets its own copy; a test that
uses `demo` gets a copy of a second template holding the demo data, built once.
PostgreSQL (PORTAL_TEST_DATABASE_URL): the schema is migrated once, and every table is emptied after each test; a
test that uses `demo` starts from the demo data, built once and copied back in from a snapshot schema.

The demo templates are what `build_demo(session, extra_borrowers=0)` makes under `settings()`, whose business date
is fixed; the one thing it takes from the real clock is the local day (the time of day of its timestamps), so a
template is built again when the institution's day has turned since (a run crossing midnight, or a moved clock).

Every app a test makes loads its templates' compiled code from one cache for the whole run (`_SharedTemplateCode`):
compiling the templates again for each fresh app was most of what a short test cost. Likewise the URL builders
werkzeug compiles for each route of each app (`_shared_url_builder`): generating and compiling their Python code was
most of what `create_app` cost. And the SQL that SQLAlchemy compiles, kept per engine, is kept once per kind of
database for all the apps' engines (`_create_engine_sharing_compiled_sql`).
"""

from __future__ import annotations

import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, text
from werkzeug.routing.rules import Rule

from portal import config as config_module
from portal import create_app
from portal import db as portal_db
from portal.migrations import upgrade
from tests.helpers.common import BUSINESS_DATE, CSRF_RE, PG_URL, Client, settings, sign_in  # noqa: F401 - re-exported

DEMO_SNAPSHOT = "demo_snapshot"  # the PostgreSQL schema holding the demo data's rows


class _SharedTemplateCode(BytecodeCache):
    """Compiled template code kept in memory for the whole run and shared by every app (keyed by the template's
    name and file, checked against its source). Every app the tests make configures Jinja the same way
    (create_app), so the code compiled for one is the code compiled for any other."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket) -> None:
        found = self._code.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)


SHARED_TEMPLATE_CODE = _SharedTemplateCode()
_create_jinja_environment = Flask.create_jinja_environment


def _create_jinja_environment_sharing_code(self: Flask):
    environment = _create_jinja_environment(self)
    environment.bytecode_cache = SHARED_TEMPLATE_CODE
    return environment


Flask.create_jinja_environment = _create_jinja_environment_sharing_code

_compile_url_builder = Rule._compile_builder
_URL_BUILDERS: dict[tuple, object] = {}


def _shared_url_builder(self: Rule, append_unknown: bool = True):
    """The URL builder werkzeug compiles for a rule, compiled once per run for every app with that same rule.

    A builder is a plain function of the rule's parsed parts (its `_trace`), its defaults and its converters (what
    turns a default into URL text), bound to the rule by the caller; it keeps no reference to the rule or the map,
    so one compiled for an identical rule of another app is the same function."""
    key = (
        self.rule,
        self.subdomain,
        self.host,
        self.map.host_matching,
        self.merge_slashes,
        tuple(self._trace),
        tuple(sorted((name, repr(value)) for name, value in (self.defaults or {}).items())),
        tuple(
            sorted(
                (name, type(conv).__module__, type(conv).__qualname__, getattr(conv, "regex", None))
                for name, conv in self._converters.items()
            )
        ),
        append_unknown,
    )
    builder = _URL_BUILDERS.get(key)
    if builder is None:
        builder = _URL_BUILDERS[key] = _compile_url_builder(self, append_unknown)
    return builder


Rule._compile_builder = _shared_url_builder

_create_engine = portal_db.create_engine
_DIALECTS: dict[tuple[str, str], tuple] = {}  # (dialect, driver) -> an initialized dialect, its compiled SQL


def _create_engine_sharing_compiled_sql(url, **kwargs):
    """An engine as portal.db makes it, compiling its SQL into one cache per kind of database for the whole run.

    SQLAlchemy keeps the SQL it compiled per engine, keyed by the engine's dialect; every test app has an engine
    of its own, so each test compiled every statement again. An engine made once a dialect of its kind has
    connected (and so set itself up from the server: version, defaults) takes that dialect and its cache."""
    engine = _create_engine(url, **kwargs)
    key = (engine.dialect.name, engine.dialect.driver)
    shared = _DIALECTS.get(key)
    if shared is not None:
        engine.dialect, engine._compiled_cache = shared
    else:

        @event.listens_for(engine, "connect")
        def _set_up(_dbapi_connection, _record):  # runs after the dialect's own first-connect set-up
            _DIALECTS.setdefault(key, (engine.dialect, engine._compiled_cache))

    return engine


portal_db.create_engine = _create_engine_sharing_compiled_sql


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    """A migrated, empty database to start each test from."""
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {DEMO_SNAPSHOT} CASCADE"))
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        engine.dispose()
        _POSTGRES.forget_schema()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _demo_day() -> tuple:
    """What a demo build takes from the real clock: the institution's day (with the settings it is built under)."""
    config = config_module.load(settings("sqlite://"))
    return (datetime.now(ZoneInfo(config["TIMEZONE"])).date(), config["TIMEZONE"], BUSINESS_DATE)


def _build_demo(url: str) -> None:
    """The `demo` fixture's data, into the (empty, migrated) database at `url`."""
    from portal import db
    from portal.demo.world import build_demo

    application = create_app(settings(url))
    with application.app_context():
        build_demo(db.session, extra_borrowers=0)
        db.session.commit()
    application.extensions["db_engine"].dispose()


class _Postgres:
    """Resets of the test database: emptied (identities restarted), or holding the demo data again.

    Rows are deleted with the triggers off (`session_replication_role = replica`: the audit trail's guards and
    the view-version counters stay out of it, as TRUNCATE kept them out), which on tables this small is far
    quicker than TRUNCATE; the demo's rows are copied back from the snapshot schema and the sequences set to
    where the demo build left them."""

    def __init__(self) -> None:
        self._engine = None
        self._tables: list[str] | None = None
        self._sequences: list[str] = []
        self._demo: tuple | None = None  # (the day it was built for, its tables with rows, sequence values)

    @property
    def engine(self):
        if self._engine is None:
            self._engine = create_engine(PG_URL, pool_size=1, max_overflow=2)
        return self._engine

    def forget_schema(self) -> None:
        self._tables, self._sequences, self._demo = None, [], None

    def _schema(self, conn) -> list[str]:
        if self._tables is None:
            self._tables = (
                conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version' ORDER BY tablename"
                    )
                )
                .scalars()
                .all()
            )
            self._sequences = (
                conn.execute(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1")
                )
                .scalars()
                .all()
            )
        return self._tables

    def _clear(self, conn) -> None:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        tables = self._schema(conn)
        if tables:
            conn.exec_driver_sql("; ".join(f'DELETE FROM public."{t}"' for t in tables))  # noqa: S608 - table names
        if self._sequences:
            conn.exec_driver_sql(
                "SELECT " + ", ".join(f"setval('public.\"{s}\"', 1, false)" for s in self._sequences)
            )

    def empty(self) -> None:
        with self.engine.begin() as conn:
            self._clear(conn)

    def demo(self) -> None:
        """Empty, then the demo data (built into the snapshot schema first if it is not there for today)."""
        day = _demo_day()
        if self._demo is None or self._demo[0] != day:
            self._snapshot(day)
        _day, tables, sequences = self._demo
        with self.engine.begin() as conn:
            self._clear(conn)
            conn.exec_driver_sql(
                "; ".join(
                    f'INSERT INTO public."{t}" OVERRIDING SYSTEM VALUE SELECT * FROM {DEMO_SNAPSHOT}."{t}"'  # noqa: S608
                    for t in tables
                )
            )
            if sequences:
                conn.exec_driver_sql(
                    "SELECT "
                    + ", ".join(
                        f"setval('public.\"{s}\"', {value}, true)"
                        if value is not None
                        else f"setval('public.\"{s}\"', 1, false)"
                        for s, value in sequences
                    )
                )

    def _snapshot(self, day: tuple) -> None:
        self.empty()
        _build_demo(PG_URL)
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {DEMO_SNAPSHOT} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {DEMO_SNAPSHOT}"))
            with_rows = []
            for table in self._schema(conn):
                conn.exec_driver_sql(
                    f'CREATE TABLE {DEMO_SNAPSHOT}."{table}" AS SELECT * FROM public."{table}"'  # noqa: S608
                )
                exists = f'SELECT EXISTS (SELECT 1 FROM public."{table}")'  # noqa: S608 - a table name
                if conn.exec_driver_sql(exists).scalar():
                    with_rows.append(table)
            sequences = [
                (name, value)
                for name, value in conn.execute(
                    text(
                        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
                    )
                )
            ]
        self._demo = (day, with_rows, sequences)
        self.empty()


_POSTGRES = _Postgres()


def _empty_postgres(url: str) -> None:
    """Empty every table of the test database (for the fixtures that share it: e2e, sweeps)."""
    assert url == PG_URL, url
    _POSTGRES.empty()


class _SqliteDemo:
    """The demo template file, built from the empty template (again when the day turns: see the module's doc)."""

    def __init__(self) -> None:
        self._built: tuple | None = None  # (day, path)

    def path(self, template, folder_factory):
        day = _demo_day()
        if self._built is None or self._built[0] != day:
            path = folder_factory.mktemp("demo-template") / "demo.sqlite3"
            shutil.copy(template, path)
            _build_demo(f"sqlite:///{path}")
            self._built = (day, path)
        return self._built[1]


_SQLITE_DEMO = _SqliteDemo()
WITH_DEMO = pytest.StashKey[bool]()


@pytest.fixture
def database_url(request, template_database, tmp_path, tmp_path_factory):
    """A database of this test's own: empty, or holding the demo data when the test uses `demo`."""
    with_demo = "demo" in request.fixturenames
    request.node.stash[WITH_DEMO] = with_demo
    if PG_URL:
        if with_demo:
            _POSTGRES.demo()
        yield PG_URL
        _POSTGRES.empty()
        return
    path = tmp_path / "portal.sqlite3"
    shutil.copy(
        _SQLITE_DEMO.path(template_database, tmp_path_factory) if with_demo else template_database, path
    )
    yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url):
    """A fresh app bound to this test's database."""
    application = create_app(settings(database_url))
    application.test_client_class = Client
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def client(app) -> Client:
    """A browser-like client."""
    return app.test_client()


@pytest.fixture
def session(app):
    """A database session in an app context, for arranging and checking data."""
    from portal import db

    with app.app_context():
        yield db.session


@pytest.fixture
def demo(request, app):
    """The six named demo borrowers and the staff (no extra borrowers, to stay fast): the test's database was
    made from the demo template (`database_url`); built here only if that did not know the test wanted it."""
    if not request.node.stash.get(WITH_DEMO, False):
        from portal import db
        from portal.demo.world import build_demo

        with app.app_context():
            build_demo(db.session, extra_borrowers=0)
            db.session.commit()
    return app
