"""The whole data model of DESIGN §3, in one importable place.

The classes live in ``tables_orders`` (shop data), ``tables_ops`` (journal, sync, jobs, print
jobs) and ``tables_billing`` (sign-in, entitlement, usage outbox); ``metadata`` is what Alembic
compares the migrations against.
"""

from __future__ import annotations

from creatorflow.domain.measures import DimensionUnit, WeightUnit
from creatorflow.store.base import NAMING_CONVENTION, Base, utcnow
from creatorflow.store.tables_billing import BillingState, UsageEvent
from creatorflow.store.tables_ops import (
    DaemonHeartbeat,
    Effect,
    EffectState,
    JobRun,
    PrintJob,
    QuarantinedRecord,
    SyncCursor,
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
    "BillingState",
    "DaemonHeartbeat",
    "DimensionUnit",
    "Effect",
    "EffectState",
    "EventKind",
    "JobRun",
    "Order",
    "OrderEvent",
    "OrderLine",
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
