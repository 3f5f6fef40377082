"""The whole data model of DESIGN §3, in one importable place.

The classes live in ``tables_orders`` (shop data) and ``tables_ops`` (journal, sync, jobs,
billing); ``metadata`` is what Alembic compares the migrations against.
"""

from __future__ import annotations

from creatorflow.domain.measures import DimensionUnit, WeightUnit
from creatorflow.store.base import NAMING_CONVENTION, Base, utcnow
from creatorflow.store.tables_ops import (
    DaemonHeartbeat,
    Effect,
    EffectState,
    Entitlement,
    JobRun,
    OutboxState,
    PrintJob,
    QuarantinedRecord,
    SyncCursor,
    UsageEvent,
)
from creatorflow.store.tables_orders import (
    EventKind,
    Order,
    OrderEvent,
    OrderLine,
    ParcelPreset,
    Product,
    Shipment,
    ShipmentState,
    Shop,
    Sku,
)

metadata = Base.metadata

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "DaemonHeartbeat",
    "DimensionUnit",
    "Effect",
    "EffectState",
    "Entitlement",
    "EventKind",
    "JobRun",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxState",
    "ParcelPreset",
    "PrintJob",
    "Product",
    "QuarantinedRecord",
    "Shipment",
    "ShipmentState",
    "Shop",
    "Sku",
    "SyncCursor",
    "UsageEvent",
    "WeightUnit",
    "metadata",
    "utcnow",
]
