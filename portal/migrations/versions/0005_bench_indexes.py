"""queue indexes: one per sort order, over open applications only

The queue shows open applications (five statuses) in one of four orders and pages with a keyset cursor. A partial
index on (sort column, id) for just those statuses hands each page over in order, page 500 as cheaply as page 1,
without sorting 100,000 rows; decided applications, which pile up over the years, are not in it.

Revision ID: bench_indexes
Revises: staff_totp
"""

from alembic import op
import sqlalchemy as sa


revision = "bench_indexes"
down_revision = "staff_totp"
branch_labels = None
depends_on = None

QUEUE = "status IN ('submitted', 'in_review', 'awaiting_second_approval', 'appealed', 'info_requested')"
INDEXES = {
    "ix_applications_queue_due": ["decision_due", "id"],
    "ix_applications_queue_risk": ["risk_score", "id"],
    "ix_applications_queue_amount": ["amount_fen", "id"],
    "ix_applications_queue_submitted": ["submitted_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(
            name,
            "applications",
            columns,
            unique=False,
            sqlite_where=sa.text(QUEUE),
            postgresql_where=sa.text(QUEUE),
        )


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="applications")
