"""borrowers.view_version: raised by the database on every write that changes what a borrower's pages show

A borrower's dashboard is read far more often than anything on it changes, so each worker keeps the rendered page
(portal/page_cache.py) under a key that holds this number. The database raises it, in the same transaction, on every
insert, update or delete of the borrower's loans, payments, schedule versions, applications and portal messages:
whatever path writes (a service, a bulk load, an operator's SQL), a kept page is never shown once its data changed.

Schedule lines are not watched: they are only ever written with a new schedule version, in its transaction.

Revision ID: view_versions
Revises: bench_indexes
"""

from alembic import op
import sqlalchemy as sa


revision = "view_versions"
down_revision = "bench_indexes"
branch_labels = None
depends_on = None

# table: how a row of it names its borrower ("borrower" = a borrower_id column, "loan" = a loan_id column)
WATCHED = {
    "loans": "borrower",
    "applications": "borrower",
    "notifications": "borrower",
    "payments": "loan",
    "schedule_versions": "loan",
}
RAISE = "UPDATE borrowers SET view_version = view_version + 1 WHERE id = {who}"
VIA_LOAN = "(SELECT borrower_id FROM loans WHERE id = {row}.loan_id)"


def upgrade() -> None:
    with op.batch_alter_table("borrowers") as batch_op:
        batch_op.add_column(sa.Column("view_version", sa.Integer(), nullable=False, server_default="0"))
    create_view_triggers()


def downgrade() -> None:
    drop_view_triggers()
    with op.batch_alter_table("borrowers") as batch_op:
        batch_op.drop_column("view_version")


def _who(table: str, row: str) -> str:
    return f"{row}.borrower_id" if WATCHED[table] == "borrower" else VIA_LOAN.format(row=row)


def _statements(table: str, event: str, differs: str) -> list[str]:
    """What a trigger runs: raise the version of the row's borrower; an update that moves a row to another borrower
    (or loan) changes both borrowers' pages."""
    new, old = _who(table, "NEW"), _who(table, "OLD")
    if event == "INSERT":
        return [RAISE.format(who=new)]
    if event == "DELETE":
        return [RAISE.format(who=old)]
    return [RAISE.format(who=new), RAISE.format(who=old) + f" AND {old} {differs} {new}"]


def create_view_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for table in WATCHED:
        if dialect == "sqlite":
            for event in ("INSERT", "UPDATE", "DELETE"):
                body = " ".join(f"{sql};" for sql in _statements(table, event, "IS NOT"))
                op.execute(
                    f"CREATE TRIGGER view_version_{table}_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {body} END"
                )
        elif dialect == "postgresql":
            branches = " ".join(
                f"{'IF' if i == 0 else 'ELSIF'} TG_OP = '{event}' THEN "
                + " ".join(f"{sql};" for sql in _statements(table, event, "IS DISTINCT FROM"))
                for i, event in enumerate(("INSERT", "UPDATE", "DELETE"))
            )
            op.execute(
                f"CREATE FUNCTION view_version_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {branches} END IF; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER view_version_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION view_version_{table}()"
            )


def drop_view_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for table in WATCHED:
        if dialect == "sqlite":
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS view_version_{table}_{event}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS view_version_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS view_version_{table}()")
