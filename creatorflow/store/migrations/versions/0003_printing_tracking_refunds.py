"""After the label: print jobs, tracking checkpoints, refund times, dispatch state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 06:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("printer", sa.String(), nullable=False),
        sa.Column("station", sa.String(), nullable=False),
        sa.Column("batch", sa.String(), nullable=True),
        sa.Column("order_ids", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_jobs")),
    )
    with op.batch_alter_table("print_jobs") as batch:
        batch.create_index(batch.f("ix_print_jobs_created_at"), ["created_at"], unique=False)
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("dispatch_state", sa.String(), nullable=True))
        batch.add_column(
            sa.Column("possibly_lost", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("shipments") as batch:
        batch.add_column(sa.Column("tracking_checked_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("last_scan_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("refund_requested_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("refunded_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("printed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("print_count", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Downgrade the schema."""
    with op.batch_alter_table("shipments") as batch:
        for column in (
            "print_count",
            "printed_at",
            "refunded_at",
            "refund_requested_at",
            "last_scan_at",
            "tracking_checked_at",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("possibly_lost")
        batch.drop_column("dispatch_state")
    op.drop_table("print_jobs")
