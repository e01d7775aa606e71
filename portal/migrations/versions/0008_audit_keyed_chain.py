"""audit trail: a keyed chain (key id per row), viewings in an insert-only table of their own

Rows are now sealed with HMAC-SHA256 under a key from the configuration, which the database never sees, so the
hash can no longer be finished inside the database: `audit_append` goes, and `audit_head()` takes the chain's
lock and reads its head in one round trip (a snapshot taken after the lock), the application sealing the row.

Rows written before keep their plain SHA-256 and an empty key id: they are not rewritten (rewriting the trail is
what it guards against). `flask db upgrade` then appends one keyed row after them (audit.seal_legacy), whose seal
covers the last legacy row's hash and so every legacy row; `flask audit verify` refuses unkeyed rows after a keyed
one, and a trail of unkeyed rows only.

Viewings (who looked at which borrower's data) are written on every case page: chained, they made every page view
wait its turn for the chain's lock. They go to `audit_views`, insert-only like the trail (triggers) and sealed row
by row, with no lock. Older viewings stay in the chain where they were written.

Revision ID: audit_keyed
Revises: audit_history
"""

import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = "audit_keyed"
down_revision = "audit_history"
branch_labels = None
depends_on = None


HEAD = """
CREATE FUNCTION audit_head() RETURNS TABLE (id integer, hash varchar) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7310001);
    RETURN QUERY SELECT a.id, a.hash FROM audit_events a ORDER BY a.id DESC LIMIT 1;
END
$$
"""


def _guard_views() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_views_no_{verb.lower()} BEFORE {verb} ON audit_views "
                "BEGIN SELECT RAISE(ABORT, 'audit_views is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_views_no_change BEFORE UPDATE OR DELETE ON audit_views "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy on SQLite): the table's append-only triggers stay as they are.
    op.add_column("audit_events", sa.Column("key_id", sa.String(length=16), nullable=True))
    op.create_table(
        "audit_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_views")),
    )
    op.create_index(op.f("ix_audit_views_subject"), "audit_views", ["subject"], unique=False)
    _guard_views()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_append")
        op.execute(HEAD)


def _previous():
    path = Path(__file__).with_name("0007_audit_history.py")
    spec = importlib.util.spec_from_file_location("audit_history_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_head")
        op.execute(_previous().APPEND)
    op.drop_index(op.f("ix_audit_views_subject"), table_name="audit_views")
    op.drop_table("audit_views")  # its triggers go with it
    op.drop_column("audit_events", "key_id")
