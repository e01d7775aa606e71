"""staff second factor: when the authenticator was enrolled, and the last time step used (no code twice)

Revision ID: staff_totp
Revises: help_requests
"""

import sqlalchemy as sa
from alembic import op

revision = "staff_totp"
down_revision = "help_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_enrolled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enrolled_at")
