"""applications: when the borrower appealed, so that a decision is appealed once and a rejection on appeal is final

Before this, every rejection (an appeal's too) opened a new 14-day window, so a borrower could appeal without end.
Applications already appealed are found from the audit trail and marked, so their next rejection is final too.

Revision ID: decide_appeal_once
Revises: codes_rate_events
"""

from alembic import op
import sqlalchemy as sa


revision = "decide_appeal_once"
down_revision = "codes_rate_events"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("appealed_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE applications SET appealed_at = ("
        " SELECT MIN(a.at) FROM audit_events a"
        " WHERE a.subject = 'application:' || CAST(applications.id AS VARCHAR(16))"
        " AND a.action = 'application.appealed')"
    )


def downgrade():
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("appealed_at")
