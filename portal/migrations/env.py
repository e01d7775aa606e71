"""Alembic environment: runs against the app's engine (PORTAL_DATABASE_URL), or a URL passed in the config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import portal.models  # noqa: F401 - registers every table on Base.metadata
from portal.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on a live connection (the only mode we use)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
