"""Shared fixtures: a fresh app and database for every test, on SQLite or on PostgreSQL.

SQLite (default): the schema is migrated once into a template file, and every test gets its own copy.
PostgreSQL (PORTAL_TEST_DATABASE_URL): the schema is migrated once, and every table is emptied after each test.
"""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import create_engine, text
from support import BUSINESS_DATE, CSRF_RE, PG_URL, Client, settings, sign_in  # noqa: F401 - re-exported

from portal import create_app
from portal.migrations import upgrade


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    """A migrated, empty database to start each test from."""
    if PG_URL:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        engine.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = (
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            # TRUNCATE does not fire the row-level guards on the audit trail; only tests reset the database.
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
    engine.dispose()


@pytest.fixture
def database_url(template_database, tmp_path):
    """A database of this test's own."""
    if PG_URL:
        yield PG_URL
        _empty_postgres(PG_URL)
        return
    path = tmp_path / "portal.sqlite3"
    shutil.copy(template_database, path)
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
def demo(app):
    """The six named demo borrowers and the staff (no extra borrowers, to stay fast)."""
    from portal import db
    from portal.demo import build_demo

    with app.app_context():
        build_demo(db.session, extra_borrowers=0)
        db.session.commit()
    return app
