"""Orders written straight into the store of the CLI's ``CREATORFLOW_HOME``, for report and data
commands (which only read what sync, labels and tracking stored)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from creatorflow.domain.stages import Stage
from creatorflow.services.context import build_services
from creatorflow.store.tables import Order, OrderEvent, OrderLine, Shipment, ShipmentState, Shop


@dataclass
class Seed:
    """One order: created ``age`` ago, its lines (sku, price) and labels (cost, state, refund)."""

    id: str
    age: timedelta
    lines: list[tuple[str, str]]
    labels: list[tuple[str, ShipmentState, str | None]] = field(default_factory=list)
    status: str = "IN_TRANSIT"
    stage: Stage = Stage.IN_TRANSIT
    buyer: str | None = "Jane Buyer"
    raw: dict[str, Any] | None = None


def seed(orders: list[Seed]) -> None:
    """Write ``orders`` (and their shop) into the store ``creatorflow init`` created."""
    services = build_services()
    now = datetime.now(UTC)
    try:
        with services.store.write() as session:
            session.add(Shop(id="shop", cipher="c", name="Shop", region="US", authorized_at=now))
            session.flush()
            for item in orders:
                created = now - item.age
                session.add(
                    Order(
                        id=item.id,
                        shop_id="shop",
                        status=item.status,
                        stage=item.stage,
                        stage_changed_at=created + timedelta(hours=1),
                        tiktok_created_at=created,
                        tiktok_updated_at=created + timedelta(hours=1),
                        shipping_due_at=created + timedelta(days=2),
                        total_amount=sum((Decimal(p) for _, p in item.lines), Decimal(0)),
                        currency="USD",
                        units=len(item.lines),
                        recipient_name=item.buyer,
                        recipient_phone="+1 555 0100" if item.buyer else None,
                        address_line1="1 Main St" if item.buyer else None,
                        city="Springfield",
                        postal_code="12345",
                        raw=item.raw,
                    )
                )
                session.flush()
                for n, (sku, price) in enumerate(item.lines):
                    session.add(
                        OrderLine(
                            id=f"{item.id}-{n}",
                            order_id=item.id,
                            sku_id=sku,
                            seller_sku=sku.upper(),
                            product_id="p",
                            product_name=f"Product {sku}",
                            unit_price=Decimal(price),
                            currency="USD",
                        )
                    )
                for generation, (cost, state, refund) in enumerate(item.labels, 1):
                    session.add(
                        Shipment(
                            order_id=item.id,
                            package_key="pkg",
                            generation=generation,
                            provider="shippo",
                            tracking_number=f"TRK{item.id}{generation}",
                            cost=Decimal(cost),
                            currency="USD",
                            state=state,
                            refund_state=refund,
                            first_scan_at=created + timedelta(hours=5),
                            created_at=created + timedelta(hours=1),
                        )
                    )
                session.add(
                    OrderEvent(
                        order_id=item.id,
                        at=created,
                        actor="sync",
                        kind="stage",
                        to_value=item.stage.value,
                    )
                )
    finally:
        services.close()
