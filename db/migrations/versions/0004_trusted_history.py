"""licence data you can trust: field-level history (append-only), visaed revisions for the
side-by-side comparison, reversal of imputations and withdrawal of repatriation proofs (kept on
record, references reusable once reversed), unique visa numbers, licences by latest action

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("history_changes", "licence_revisions")
ACTIVE_IMPUTATION = sa.text("reversed_at IS NULL")
ACTIVE_REPATRIATION = sa.text("withdrawn_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "history_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=False),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["history_events.id"],
                                name="fk_history_changes_event_id_history_events"),
        sa.PrimaryKeyConstraint("id", name="pk_history_changes"),
        sa.UniqueConstraint("event_id", "position", name="uq_history_changes_event_position"),
    )
    op.create_table(
        "licence_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("licence_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("visa_number", sa.String(length=40), nullable=False),
        sa.Column("visa_date", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["licence_id"], ["licences.id"],
                                name="fk_licence_revisions_licence_id_licences"),
        sa.PrimaryKeyConstraint("id", name="pk_licence_revisions"),
        sa.UniqueConstraint("licence_id", "revision",
                            name="uq_licence_revisions_licence_revision"),
    )
    for table in APPEND_ONLY:
        _create_append_only_triggers(table)

    # Imputations and repatriation proofs: reversed / withdrawn, never deleted. The reference
    # stays unique among the ones in force only (a reversed declaration may be imputed again).
    with op.batch_alter_table("imputations") as batch:
        batch.add_column(sa.Column("reversed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("reversed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reversal_reason", sa.Text(), nullable=True))
        batch.create_foreign_key("fk_imputations_reversed_by_id_users", "users",
                                 ["reversed_by_id"], ["id"])
        batch.drop_constraint("uq_imputations_licence_ref", type_="unique")
    op.create_index("uq_imputations_licence_ref", "imputations",
                    ["licence_id", "declaration_ref"], unique=True,
                    sqlite_where=ACTIVE_IMPUTATION, postgresql_where=ACTIVE_IMPUTATION)
    with op.batch_alter_table("repatriations") as batch:
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
        batch.create_foreign_key("fk_repatriations_withdrawn_by_id_users", "users",
                                 ["withdrawn_by_id"], ["id"])
        batch.drop_constraint("uq_repatriations_licence_ref", type_="unique")
    op.create_index("uq_repatriations_licence_ref", "repatriations",
                    ["licence_id", "bank_reference"], unique=True,
                    sqlite_where=ACTIVE_REPATRIATION, postgresql_where=ACTIVE_REPATRIATION)

    # Visa numbers identify one licence. Older databases may hold duplicates (nothing refused
    # them): every copy but the first gets its licence id appended, so no row is lost.
    op.execute(
        "UPDATE licences SET visa_number = visa_number || '-' || CAST(id AS VARCHAR(12)) "
        "WHERE visa_number IS NOT NULL AND id NOT IN "
        "(SELECT MIN(id) FROM licences WHERE visa_number IS NOT NULL GROUP BY visa_number)"
    )
    op.create_index("uq_licences_visa_number", "licences", ["visa_number"], unique=True)
    op.create_index("ix_licences_updated", "licences", ["updated_at"], unique=False)
    op.create_index("ix_licences_company_updated", "licences", ["company_id", "updated_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_licences_company_updated", table_name="licences")
    op.drop_index("ix_licences_updated", table_name="licences")
    op.drop_index("uq_licences_visa_number", table_name="licences")
    op.drop_index("uq_repatriations_licence_ref", table_name="repatriations")
    with op.batch_alter_table("repatriations") as batch:
        batch.create_unique_constraint("uq_repatriations_licence_ref",
                                       ["licence_id", "bank_reference"])
        batch.drop_constraint("fk_repatriations_withdrawn_by_id_users", type_="foreignkey")
        batch.drop_column("withdrawal_reason")
        batch.drop_column("withdrawn_by_id")
        batch.drop_column("withdrawn_at")
    op.drop_index("uq_imputations_licence_ref", table_name="imputations")
    with op.batch_alter_table("imputations") as batch:
        batch.create_unique_constraint("uq_imputations_licence_ref",
                                       ["licence_id", "declaration_ref"])
        batch.drop_constraint("fk_imputations_reversed_by_id_users", type_="foreignkey")
        batch.drop_column("reversal_reason")
        batch.drop_column("reversed_by_id")
        batch.drop_column("reversed_at")
    for table in APPEND_ONLY:
        _drop_append_only_triggers(table)
    op.drop_table("licence_revisions")
    op.drop_table("history_changes")


def _create_append_only_triggers(table: str) -> None:
    """Rows can be inserted, never updated or deleted, whatever the caller (as history_events)."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    else:
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )


def _drop_append_only_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
