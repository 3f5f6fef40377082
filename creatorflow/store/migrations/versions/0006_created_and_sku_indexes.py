"""Indexes for what the dashboard and reports filter on: order creation time, seller SKU.

Reports group by the day an order was placed, the dashboard pages and filters by it and by
seller SKU; without these each such query scans the whole table (100,000 orders: ~145 ms a page).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 09:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_index("ix_orders_tiktok_created_at", "orders", ["tiktok_created_at"])
    op.create_index("ix_order_lines_seller_sku", "order_lines", ["seller_sku"])


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_index("ix_order_lines_seller_sku", table_name="order_lines")
    op.drop_index("ix_orders_tiktok_created_at", table_name="orders")
