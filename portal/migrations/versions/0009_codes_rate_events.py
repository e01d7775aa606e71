"""rate limits: text-message codes per phone, per client and in all; password checks per client

Revision ID: codes_rate_events
Revises: audit_keyed
"""

from alembic import op
import sqlalchemy as sa


revision = "codes_rate_events"
down_revision = "audit_keyed"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_events")),
    )
    with op.batch_alter_table("rate_events", schema=None) as batch_op:
        batch_op.create_index("ix_rate_events_key_at", ["key", "at"], unique=False)


def downgrade():
    with op.batch_alter_table("rate_events", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_events_key_at")
    op.drop_table("rate_events")
