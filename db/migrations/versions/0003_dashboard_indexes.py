"""indexes of the analysts' dashboard: a covering index of the licence columns its aggregates
read (led by the submission date, the period filter), and history events by action (send-backs)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DASHBOARD_COLUMNS = [
    "submitted_at", "status", "currency", "customs_office", "customs_regime", "company_id",
    "total_amount", "decided_at", "visa_date",
]


def upgrade() -> None:
    op.create_index("ix_licences_dashboard", "licences", DASHBOARD_COLUMNS, unique=False)
    op.create_index("ix_history_action", "history_events", ["action", "licence_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_history_action", table_name="history_events")
    op.drop_index("ix_licences_dashboard", table_name="licences")
