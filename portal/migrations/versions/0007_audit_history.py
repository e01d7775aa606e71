"""audit trail: a history index without the viewings, and the chain's head in one round trip on PostgreSQL

The staff case page shows the application's history (every audit entry but the `*.viewed` ones) and writes a
`case.viewed` entry each time it is opened, so a busy case gathers thousands of viewings. A partial index on
(subject, id) over the entries that are not viewings hands the history over in order without reading them.

Every writer of the hash chain waits its turn on an advisory lock held to the end of its transaction, so each
round trip made while holding it is paid by every page that writes to the trail. `audit_chain_head()` takes the
lock and reads the head in one call: a VOLATILE SQL function takes a fresh snapshot for each statement, so the
head it reads is the one the previous holder committed.

Revision ID: audit_history
Revises: view_versions
"""

from alembic import op
import sqlalchemy as sa


revision = "audit_history"
down_revision = "view_versions"
branch_labels = None
depends_on = None

HISTORY = "action NOT LIKE '%.viewed'"


CHAIN_HEAD = """
CREATE FUNCTION audit_chain_head() RETURNS TABLE (id integer, hash varchar) LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(7310001);
    SELECT a.id, a.hash FROM audit_events a ORDER BY a.id DESC LIMIT 1;
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CHAIN_HEAD)
    op.create_index(
        "ix_audit_events_history",
        "audit_events",
        ["subject", "id"],
        unique=False,
        sqlite_where=sa.text(HISTORY),
        postgresql_where=sa.text(HISTORY),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_history", table_name="audit_events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head()")
