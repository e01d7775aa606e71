"""audit trail: a history index without the viewings, and the chain's head in one round trip on PostgreSQL

The staff case page shows the application's history (every audit entry but the `*.viewed` ones) and writes a
`case.viewed` entry each time it is opened, so a busy case gathers thousands of viewings. A partial index on
(subject, id) over the entries that are not viewings hands the history over in order without reading them.

Every writer of the hash chain waits its turn on an advisory lock held to the end of its transaction, so each
round trip made while holding it is paid by every page that writes to the trail. `audit_append(...)` does the
whole append in the database: it takes the lock, reads the head (a fresh snapshot for each statement of a
VOLATILE function, so it is the head the previous holder committed), finishes the row's hash from the text the
application hashed around the two values it could not know (the new id and the previous hash) and inserts the
row. Called on an autocommit connection, that is one round trip, and the lock is never held across one.

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


APPEND = """
CREATE FUNCTION audit_append(
    p_at timestamp, p_actor varchar, p_on_behalf_of varchar, p_channel varchar, p_action varchar,
    p_subject varchar, p_request_id varchar, p_data json, p_before text, p_between text, p_after text
) RETURNS TABLE (id integer, hash varchar) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    last_id integer;
    last_hash varchar;
BEGIN
    PERFORM pg_advisory_xact_lock(7310001);
    SELECT a.id, a.hash INTO last_id, last_hash FROM audit_events a ORDER BY a.id DESC LIMIT 1;
    id := coalesce(last_id, 0) + 1;
    last_hash := coalesce(last_hash, repeat('0', 64));
    hash := encode(sha256(convert_to(p_before || id::text || p_between || last_hash || p_after, 'UTF8')), 'hex');
    INSERT INTO audit_events (id, at, actor, on_behalf_of, channel, action, subject, request_id, data, prev_hash, hash)
    VALUES (id, p_at, p_actor, p_on_behalf_of, p_channel, p_action, p_subject, p_request_id, p_data, last_hash, hash);
    RETURN NEXT;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND)
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
        op.execute("DROP FUNCTION IF EXISTS audit_append")
