"""phone agents see nothing before verification: searches counted per agent, verification locked per agent and
borrower, support codes sealed server-side (never in the cookie), consent references issued by the portal

Revision ID: agents_caller_checks
Revises: decide_appeal_once
"""

from alembic import op
import sqlalchemy as sa


revision = "agents_caller_checks"
down_revision = "decide_appeal_once"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("results", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["staff_users.id"], name=op.f("fk_agent_searches_agent_id_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_searches")),
    )
    with op.batch_alter_table("agent_searches", schema=None) as batch_op:
        batch_op.create_index("ix_agent_searches_agent_at", ["agent_id", "at"], unique=False)

    op.create_table(
        "consent_references",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("borrower_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["assisted_sessions.id"], name=op.f("fk_consent_references_session_id_assisted_sessions")
        ),
        sa.ForeignKeyConstraint(
            ["borrower_id"], ["borrowers.id"], name=op.f("fk_consent_references_borrower_id_borrowers")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["staff_users.id"], name=op.f("fk_consent_references_agent_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_references")),
        sa.UniqueConstraint("reference", name=op.f("uq_consent_references_reference")),
    )
    with op.batch_alter_table("consent_references", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_references_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_references_borrower_id"), ["borrower_id"], unique=False)

    with op.batch_alter_table("support_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code_sealed", sa.String(length=48), nullable=True))

    with op.batch_alter_table("verification_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_verification_attempts_agent_borrower_at", ["agent_id", "borrower_id", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("verification_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_verification_attempts_agent_borrower_at")
    with op.batch_alter_table("support_codes", schema=None) as batch_op:
        batch_op.drop_column("code_sealed")
    with op.batch_alter_table("consent_references", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_references_borrower_id"))
        batch_op.drop_index(batch_op.f("ix_consent_references_session_id"))
    op.drop_table("consent_references")
    with op.batch_alter_table("agent_searches", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_searches_agent_at")
    op.drop_table("agent_searches")
