"""work queues read nearest validity end first from an index, without sorting every licence

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_licences_validity", "licences", ["validity_end"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_licences_validity", table_name="licences")
