"""Billing on the local side: the sign-in and entitlement row, and the usage outbox reshaped.

``entitlement`` and the first ``usage_outbox`` (revision 0001) were placeholders that no code
ever wrote; they are replaced, empty, by ``billing_state`` (install, account, the newest token
accepted, anti-rollback times) and a ``usage_outbox`` keyed by the contract's deterministic
event id, with the shop and order it counts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.drop_index(op.f("ix_usage_outbox_state_next_attempt_at"), table_name="usage_outbox")
    op.drop_table("usage_outbox")
    op.drop_table("entitlement")
    op.create_table(
        "billing_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("install_id", sa.String(), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("newest_iat", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trusted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_billing_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_state")),
    )
    op.create_table(
        "usage_outbox",
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("shop_id", sa.String(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_usage_outbox_attempts_not_negative")),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_usage_outbox")),
    )
    op.create_index(
        op.f("ix_usage_outbox_sent_at_occurred_at"), "usage_outbox", ["sent_at", "occurred_at"]
    )
    op.create_index(op.f("ix_usage_outbox_order_id"), "usage_outbox", ["order_id"])


def downgrade() -> None:
    """Downgrade the schema (back to the empty placeholders of 0001)."""
    op.drop_index(op.f("ix_usage_outbox_order_id"), table_name="usage_outbox")
    op.drop_index(op.f("ix_usage_outbox_sent_at_occurred_at"), table_name="usage_outbox")
    op.drop_table("usage_outbox")
    op.drop_table("billing_state")
    op.create_table(
        "entitlement",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("kid", sa.String(), nullable=False),
        sa.Column("plan", sa.String(), nullable=False),
        sa.Column("order_limit", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grace_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_entitlement_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlement")),
    )
    op.create_table(
        "usage_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'sent', 'failed')", name=op.f("ck_usage_outbox_state")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_usage_outbox_attempts_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_usage_outbox_event_id")),
    )
    op.create_index(
        op.f("ix_usage_outbox_state_next_attempt_at"), "usage_outbox", ["state", "next_attempt_at"]
    )
