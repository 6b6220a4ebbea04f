"""main screen counts that do not grow with the table: licences per company, status and
submission, kept by triggers on `licences` in the same transaction as every change

SQLite drops a table's triggers when a batch migration recreates it: a later migration that
rebuilds `licences` with `batch_alter_table` must create these triggers again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "licence_status_counts"
# The key a licence counts under, read from its row (NEW or OLD).
SUBMITTED = "({row}.submitted_at IS NOT NULL)"
ADD = (f"INSERT INTO {TABLE} (company_id, status, submitted, licences) "
       "VALUES ({row}.company_id, {row}.status, " + SUBMITTED + ", 1) "
       "ON CONFLICT (company_id, status, submitted) "
       f"DO UPDATE SET licences = {TABLE}.licences + 1")
REMOVE = (f"UPDATE {TABLE} SET licences = licences - 1 WHERE company_id = {{row}}.company_id "
          "AND status = {row}.status AND submitted = " + SUBMITTED)
MOVED = ("OLD.status IS DISTINCT FROM NEW.status OR OLD.company_id IS DISTINCT FROM "
         "NEW.company_id OR (OLD.submitted_at IS NULL) <> (NEW.submitted_at IS NULL)")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("submitted", sa.Boolean(), nullable=False),
        sa.Column("licences", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"],
                                name="fk_licence_status_counts_company_id_companies"),
        sa.PrimaryKeyConstraint("company_id", "status", "submitted",
                                name="pk_licence_status_counts"),
    )
    op.execute(
        f"INSERT INTO {TABLE} (company_id, status, submitted, licences) "
        "SELECT company_id, status, submitted_at IS NOT NULL, COUNT(*) FROM licences "
        "GROUP BY company_id, status, submitted_at IS NOT NULL"
    )
    add_new, add_old = ADD.format(row="NEW"), REMOVE.format(row="OLD")
    if op.get_bind().dialect.name == "sqlite":
        moved = MOVED.replace("IS DISTINCT FROM", "IS NOT")
        op.execute(f"CREATE TRIGGER licences_count_insert AFTER INSERT ON licences "
                   f"BEGIN {add_new}; END")
        op.execute(f"CREATE TRIGGER licences_count_update AFTER UPDATE OF status, submitted_at, "
                   f"company_id ON licences WHEN {moved} BEGIN {add_old}; {add_new}; END")
        op.execute(f"CREATE TRIGGER licences_count_delete AFTER DELETE ON licences "
                   f"BEGIN {add_old}; END")
    else:
        op.execute(
            "CREATE FUNCTION licences_count() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {add_old}; END IF; "
            f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {add_new}; END IF; "
            "RETURN NULL; END; $$ LANGUAGE plpgsql"
        )
        op.execute("CREATE TRIGGER licences_count_insert_delete AFTER INSERT OR DELETE ON licences "
                   "FOR EACH ROW EXECUTE FUNCTION licences_count()")
        op.execute("CREATE TRIGGER licences_count_update AFTER UPDATE OF status, submitted_at, "
                   f"company_id ON licences FOR EACH ROW WHEN ({MOVED}) "
                   "EXECUTE FUNCTION licences_count()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER licences_count_{name}")
    else:
        op.execute("DROP TRIGGER licences_count_update ON licences")
        op.execute("DROP TRIGGER licences_count_insert_delete ON licences")
        op.execute("DROP FUNCTION licences_count()")
    op.drop_table(TABLE)
