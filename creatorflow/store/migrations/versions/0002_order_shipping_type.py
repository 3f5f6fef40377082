"""Orders remember TikTok's shipping_type: it decides who buys the label (seller or TikTok).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("shipping_type", sa.String(), nullable=True))


def downgrade() -> None:
    """Downgrade the schema."""
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("shipping_type")
