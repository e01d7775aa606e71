"""help requests (visit, call back) and the rural branches' village service points

Revision ID: help_requests
Revises: phone_agents
"""

from alembic import op
import sqlalchemy as sa


revision = "help_requests"
down_revision = "phone_agents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("branches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_point_name", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("service_point_address", sa.JSON(), nullable=True))
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("variant", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("create_key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["borrowers.id"], name=op.f("fk_help_requests_borrower_id_borrowers")
        ),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=op.f("fk_help_requests_branch_id_branches")),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["staff_users.id"], name=op.f("fk_help_requests_done_by_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_requests")),
        sa.UniqueConstraint("create_key", name=op.f("uq_help_requests_create_key")),
    )
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_requests_borrower_id"), ["borrower_id"], unique=False)
        batch_op.create_index("ix_help_requests_status_created", ["status", "created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_help_requests_status_created")
        batch_op.drop_index(batch_op.f("ix_help_requests_borrower_id"))
    op.drop_table("help_requests")
    with op.batch_alter_table("branches", schema=None) as batch_op:
        batch_op.drop_column("service_point_address")
        batch_op.drop_column("service_point_name")
