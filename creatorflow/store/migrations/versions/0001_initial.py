"""The initial schema: every table of DESIGN §3.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26 04:07:05.018802
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "daemon_heartbeats",
        sa.Column("station", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("station", name=op.f("pk_daemon_heartbeats")),
    )
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
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(), nullable=False),
        sa.Column("station", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("summary", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    op.create_index(op.f("ix_job_runs_job_started_at"), "job_runs", ["job", "started_at"])
    op.create_table(
        "parcel_presets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("weight_value", sa.BigInteger(), nullable=False),
        sa.Column("weight_unit", sa.String(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.BigInteger(), nullable=False),
        sa.Column("height", sa.BigInteger(), nullable=False),
        sa.Column("dimension_unit", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "dimension_unit IN ('in', 'cm')", name=op.f("ck_parcel_presets_dimension_unit")
        ),
        sa.CheckConstraint(
            "weight_unit IN ('oz', 'lb', 'g', 'kg')", name=op.f("ck_parcel_presets_weight_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_presets")),
        sa.UniqueConstraint("name", name=op.f("uq_parcel_presets_name")),
    )
    op.create_table(
        "quarantined_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.String(), nullable=True),
        sa.Column("resource", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_records")),
    )
    op.create_index(
        op.f("ix_quarantined_records_received_at"), "quarantined_records", ["received_at"]
    )
    op.create_table(
        "shops",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("cipher", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("seller_type", sa.String(), nullable=True),
        sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("authorized_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deauthorized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
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
    op.create_table(
        "orders",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("shop_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("stage_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("attention_reason", sa.Text(), nullable=True),
        sa.Column("buyer_cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("tiktok_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tiktok_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipping_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("collection_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("shipping_fee", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("address_masked", sa.Boolean(), nullable=False),
        sa.Column("recipient_name", sa.String(), nullable=True),
        sa.Column("recipient_phone", sa.String(), nullable=True),
        sa.Column("address_line1", sa.String(), nullable=True),
        sa.Column("address_line2", sa.String(), nullable=True),
        sa.Column("address_line3", sa.String(), nullable=True),
        sa.Column("address_line4", sa.String(), nullable=True),
        sa.Column("city", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=True),
        sa.Column("postal_code", sa.String(), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("delivery_option_id", sa.String(), nullable=True),
        sa.Column("fulfillment_type", sa.String(), nullable=True),
        sa.Column("buyer_message", sa.Text(), nullable=True),
        sa.Column("raw", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "stage IN ('new', 'approved', 'purchasing', 'labelled', 'shipped', 'in_transit', "
            "'delivered', 'held', 'needs_attention', 'cancelled', 'voiding', 'voided')",
            name=op.f("ck_orders_stage"),
        ),
        sa.CheckConstraint("units >= 0", name=op.f("ck_orders_units_not_negative")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_orders_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index(
        op.f("ix_orders_shop_id_tiktok_updated_at"), "orders", ["shop_id", "tiktok_updated_at"]
    )
    op.create_index(op.f("ix_orders_stage_shipping_due_at"), "orders", ["stage", "shipping_due_at"])
    op.create_index(op.f("ix_orders_status"), "orders", ["status"])
    op.create_index(op.f("ix_orders_tiktok_updated_at"), "orders", ["tiktok_updated_at"])
    op.create_table(
        "products",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("shop_id", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("tiktok_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tiktok_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw", sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_products_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    op.create_table(
        "sync_cursors",
        sa.Column("shop_id", sa.String(), nullable=False),
        sa.Column("resource", sa.String(), nullable=False),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("full_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_sync_cursors_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("shop_id", "resource", name=op.f("pk_sync_cursors")),
    )
    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("from_value", sa.String(), nullable=True),
        sa.Column("to_value", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('stage', 'status', 'note')", name=op.f("ck_order_events_kind")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_events_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    op.create_index(op.f("ix_order_events_order_id_at"), "order_events", ["order_id", "at"])
    op.create_table(
        "order_lines",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("sku_id", sa.String(), nullable=False),
        sa.Column("seller_sku", sa.String(), nullable=True),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("product_name", sa.String(), nullable=False),
        sa.Column("sku_name", sa.String(), nullable=True),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("original_price", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("package_id", sa.String(), nullable=True),
        sa.Column("is_gift", sa.Boolean(), nullable=False),
        sa.Column("display_status", sa.String(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    op.create_index(op.f("ix_order_lines_order_id"), "order_lines", ["order_id"])
    op.create_index(op.f("ix_order_lines_sku_id"), "order_lines", ["sku_id"])
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("package_key", sa.String(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("provider_shipment_id", sa.String(), nullable=True),
        sa.Column("provider_rate_id", sa.String(), nullable=True),
        sa.Column("provider_transaction_id", sa.String(), nullable=True),
        sa.Column("carrier", sa.String(), nullable=True),
        sa.Column("service", sa.String(), nullable=True),
        sa.Column("tracking_number", sa.String(), nullable=True),
        sa.Column("tracking_url", sa.Text(), nullable=True),
        sa.Column("cost", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("label_format", sa.String(), nullable=True),
        sa.Column("label_path", sa.Text(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("tracking_status", sa.String(), nullable=True),
        sa.Column("first_scan_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refund_state", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('purchasing', 'purchased', 'voiding', 'voided', 'refund_pending', "
            "'refunded', 'failed')",
            name=op.f("ck_shipments_state"),
        ),
        sa.CheckConstraint("generation >= 1", name=op.f("ck_shipments_generation_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_shipments_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint(
            "order_id",
            "package_key",
            "generation",
            name=op.f("uq_shipments_order_id_package_key_generation"),
        ),
    )
    op.create_index(op.f("ix_shipments_state"), "shipments", ["state"])
    op.create_index(op.f("ix_shipments_tracking_number"), "shipments", ["tracking_number"])
    op.create_table(
        "skus",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=False),
        sa.Column("seller_sku", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("weight_value", sa.BigInteger(), nullable=True),
        sa.Column("weight_unit", sa.String(), nullable=True),
        sa.Column("length", sa.BigInteger(), nullable=True),
        sa.Column("width", sa.BigInteger(), nullable=True),
        sa.Column("height", sa.BigInteger(), nullable=True),
        sa.Column("dimension_unit", sa.String(), nullable=True),
        sa.Column("preset_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("dimension_unit IN ('in', 'cm')", name=op.f("ck_skus_dimension_unit")),
        sa.CheckConstraint(
            "weight_unit IN ('oz', 'lb', 'g', 'kg')", name=op.f("ck_skus_weight_unit")
        ),
        sa.CheckConstraint(
            "(weight_value IS NULL) = (weight_unit IS NULL)", name=op.f("ck_skus_weight_has_unit")
        ),
        sa.CheckConstraint(
            "dimension_unit IS NOT NULL OR (length IS NULL AND width IS NULL AND height IS NULL)",
            name=op.f("ck_skus_dimensions_have_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["preset_id"],
            ["parcel_presets.id"],
            name=op.f("fk_skus_preset_id_parcel_presets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_skus_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skus")),
    )
    op.create_index(op.f("ix_skus_product_id"), "skus", ["product_id"])
    op.create_index(op.f("ix_skus_seller_sku"), "skus", ["seller_sku"])
    op.create_table(
        "effects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=True),
        sa.Column("shipment_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("result", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'claimed', 'done', 'failed', 'needs_attention')",
            name=op.f("ck_effects_state"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_effects_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_effects_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_effects_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_effects")),
        sa.UniqueConstraint("key", name=op.f("uq_effects_key")),
    )
    op.create_index(op.f("ix_effects_order_id"), "effects", ["order_id"])
    op.create_index(
        op.f("ix_effects_state_next_attempt_at"), "effects", ["state", "next_attempt_at"]
    )


def downgrade() -> None:
    """Downgrade the schema: drop every table, dependants first."""
    for table in (
        "effects",
        "skus",
        "shipments",
        "order_lines",
        "order_events",
        "sync_cursors",
        "products",
        "orders",
        "usage_outbox",
        "shops",
        "quarantined_records",
        "parcel_presets",
        "job_runs",
        "entitlement",
        "daemon_heartbeats",
    ):
        op.drop_table(table)
