"""The migrations build exactly the schema the models describe, on whichever database the suite runs."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.db import Base


def test_migrations_leave_nothing_for_autogenerate_to_add(app):
    with app.extensions["db_engine"].connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    assert differences == []


def test_db_upgrade_command_is_idempotent_and_loads_the_policy_packs(app):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["db", "upgrade"])
    again = runner.invoke(args=["db", "upgrade"])

    assert first.exit_code == 0, first.output
    assert "6 new policy pack(s)" in first.output  # versions 1, 2 and 3 of each variant
    assert again.exit_code == 0 and "0 new policy pack(s)" in again.output
