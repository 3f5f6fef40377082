"""A small, fixed shop for the dashboard tests: every stage, a fixed clock, fixed label files.

``NOW`` is Thursday 26 November 2026, 18:00 UTC. The orders are laid out around it so the
Dispatch screen shows an overdue order, orders at risk, held and needing attention ones, and
the Reports screen has twelve days of delivered orders with their labels.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from creatorflow.config.paths import resolve_paths
from creatorflow.domain.measures import DimensionUnit, WeightUnit
from creatorflow.domain.stages import Stage
from creatorflow.services.context import Services
from creatorflow.services.setup import initialize
from creatorflow.store.tables import (
    JobRun,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    Shipment,
    ShipmentState,
    Shop,
    Sku,
)
from creatorflow.store.tables_orders import EventKind

NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
SHOP = "7000001"

#: Orders the tests act on, by what they are for.
APPROVABLE = "576000000000000101"
OVERDUE = "576000000000000102"
APPROVED = "576000000000000103"
LABELLED = "576000000000000104"
SHIPPED = "576000000000000105"
HELD = "576000000000000106"
ATTENTION = "576000000000000107"
MASKED = "576000000000000108"
DELIVERED = "576000000000000109"

#: (seller SKU, product, price, weight in oz or None)
SKUS = (
    ("MUG-01", "Glow mug", Decimal("18.00"), Decimal(12)),
    ("TEE-M", "Logo tee, M", Decimal("24.00"), Decimal(6)),
    ("CANDLE-L", "Soy candle, large", Decimal("32.00"), None),
)
HELD_REASON = "No weight set for SKU CANDLE-L; set it with `creatorflow products set-parcel`."
LOG_LINES = (
    "2026-11-26 17:45:00 INFO creatorflow.daemon job=sync_orders outcome=ok new=3",
    "2026-11-26 17:46:02 INFO creatorflow.daemon job=buy_labels outcome=ok bought=2",
    "2026-11-26 17:50:00 WARNING creatorflow.daemon job=push_tracking outcome=rate_limited",
)


def _order(
    order_id: str,
    stage: Stage,
    created: datetime,
    *,
    status: str = "AWAITING_SHIPMENT",
    due: datetime | None = None,
    sku: int = 0,
    units: int = 1,
    buyer: str = "Ada Lovelace",
    masked: bool = False,
    hold_reason: str | None = None,
    attention_reason: str | None = None,
) -> tuple[Order, list[OrderLine]]:
    seller_sku, product, price, _ = SKUS[sku]
    order = Order(
        id=order_id,
        shop_id=SHOP,
        status=status,
        stage=stage,
        stage_changed_at=created,
        hold_reason=hold_reason,
        attention_reason=attention_reason,
        tiktok_created_at=created,
        tiktok_updated_at=created + timedelta(minutes=5),
        paid_at=created,
        shipping_due_at=due if due is not None else created + timedelta(days=2),
        total_amount=price * units,
        currency="USD",
        units=units,
        address_masked=masked,
        recipient_name=None if masked else buyer,
        recipient_phone=None if masked else "5125550100",
        address_line1=None if masked else "1 Congress Ave",
        city="Austin",
        state="TX",
        postal_code="78701",
        country_code="US",
        shipping_type="SELLER",
    )
    lines = [
        OrderLine(
            id=f"{order_id}-{n}",
            order_id=order_id,
            sku_id=f"SKU{sku}",
            seller_sku=seller_sku,
            product_id="P1",
            product_name=product,
            unit_price=price,
            currency="USD",
        )
        for n in range(units)
    ]
    return order, lines


def _label(home: Path, order_id: str, created: datetime, **fields: object) -> Shipment:
    folder = home / "data" / "labels"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{order_id}.zpl"
    path.write_bytes(f"^XA^FO50,50^FD{order_id}^FS^XZ".encode())
    values: dict[str, object] = {
        "order_id": order_id,
        "package_key": "1",
        "generation": 1,
        "provider": "shippo",
        "provider_transaction_id": f"tx-{order_id[-3:]}",
        "carrier": "USPS",
        "service": "Ground Advantage",
        "tracking_number": f"9400{order_id[-6:]}",
        "cost": Decimal("5.25"),
        "currency": "USD",
        "label_format": "zpl",
        "label_path": str(path),
        "state": ShipmentState.PURCHASED,
        "created_at": created,
        "updated_at": created,
    }
    values.update(fields)
    return Shipment(**values)


def _history(home: Path) -> list[object]:
    """Twelve days of delivered orders (two a day), some dispatched late, with labels."""
    rows: list[object] = []
    for day in range(1, 13):
        for n in range(2):
            order_id = f"5760000000000{day:02d}{n}00"
            created = NOW - timedelta(days=day, hours=3 + 5 * n)
            order, lines = _order(
                order_id,
                Stage.DELIVERED,
                created,
                status="DELIVERED",
                sku=(day + n) % 2,
                units=1 + (day % 3 == 0),
                buyer=f"Buyer {day}-{n}",
            )
            late = day % 5 == 0 and n == 1
            scan = created + timedelta(days=3 if late else 1)
            rows += [order, *lines]
            rows.append(
                _label(
                    home,
                    order_id,
                    created + timedelta(hours=2),
                    cost=Decimal("4.75") + Decimal(n),
                    first_scan_at=scan,
                    last_scan_at=scan + timedelta(days=2),
                    delivered_at=scan + timedelta(days=2),
                    print_count=1,
                )
            )
    return rows


def seed(services: Services) -> None:
    """Fill the store (already migrated) with the fixed shop."""
    home = services.paths.data_dir.parent
    rows: list[object] = [
        Shop(id=SHOP, cipher="c", name="Glow & Co.", region="US", authorized_at=NOW)
    ]
    rows.append(Product(id="P1", shop_id=SHOP, title="Glow goods", status="ACTIVATE"))
    for index, (seller_sku, _, price, weight) in enumerate(SKUS):
        rows.append(
            Sku(
                id=f"SKU{index}",
                product_id="P1",
                seller_sku=seller_sku,
                price=price,
                currency="USD",
                weight_value=weight,
                weight_unit=WeightUnit.OZ if weight is not None else None,
                length=Decimal(8) if weight is not None else None,
                width=Decimal(6) if weight is not None else None,
                height=Decimal(2) if weight is not None else None,
                dimension_unit=DimensionUnit.IN if weight is not None else None,
            )
        )
    plan = [
        _order(APPROVABLE, Stage.NEW, NOW - timedelta(hours=20), due=NOW + timedelta(hours=4)),
        _order(
            OVERDUE,
            Stage.NEW,
            NOW - timedelta(days=3),
            due=NOW - timedelta(hours=2),
            sku=1,
            buyer="Grace Hopper",
        ),
        _order(
            APPROVED,
            Stage.APPROVED,
            NOW - timedelta(hours=12),
            due=NOW + timedelta(hours=20),
            sku=1,
            buyer="Alan Turing",
            units=2,
        ),
        _order(
            LABELLED,
            Stage.LABELLED,
            NOW - timedelta(hours=10),
            due=NOW + timedelta(hours=30),
            buyer="Katherine Johnson",
        ),
        _order(
            SHIPPED,
            Stage.SHIPPED,
            NOW - timedelta(hours=8),
            due=NOW + timedelta(hours=44),
            sku=1,
            buyer="Margaret Hamilton",
        ),
        _order(
            HELD,
            Stage.HELD,
            NOW - timedelta(hours=6),
            due=NOW + timedelta(hours=10),
            sku=2,
            buyer="Hedy Lamarr",
            hold_reason=HELD_REASON,
        ),
        _order(
            ATTENTION,
            Stage.NEEDS_ATTENTION,
            NOW - timedelta(hours=30),
            due=NOW + timedelta(hours=5),
            buyer="Radia Perlman",
            attention_reason="Refund rejected: the label was already scanned.",
        ),
        _order(
            MASKED,
            Stage.NEW,
            NOW - timedelta(minutes=30),
            status="ON_HOLD",
            masked=True,
            due=NOW + timedelta(days=2, hours=6),
        ),
        _order(
            DELIVERED,
            Stage.DELIVERED,
            NOW - timedelta(days=14),
            status="DELIVERED",
            buyer="Barbara Liskov",
        ),
    ]
    for order, lines in plan:
        rows += [order, *lines]
    rows.append(_label(services.paths.data_dir.parent, LABELLED, NOW - timedelta(hours=3)))
    rows.append(
        _label(
            home,
            SHIPPED,
            NOW - timedelta(hours=5),
            print_count=1,
            printed_at=NOW - timedelta(hours=4),
        )
    )
    rows.append(
        _label(
            home,
            DELIVERED,
            NOW - timedelta(days=14, hours=-2),
            first_scan_at=NOW - timedelta(days=13),
            delivered_at=NOW - timedelta(days=10),
        )
    )
    events = [
        (DELIVERED, NOW - timedelta(days=14), "sync", "new", None),
        (DELIVERED, NOW - timedelta(days=14, hours=-1), "cli", "approved", None),
        (DELIVERED, NOW - timedelta(days=14, hours=-2), "daemon", "labelled", None),
        (DELIVERED, NOW - timedelta(days=10), "sync", "delivered", "Carrier: delivered."),
        (HELD, NOW - timedelta(hours=5), "daemon", "held", HELD_REASON),
    ]
    for order_id, at, actor, to_value, reason in events:
        rows.append(
            OrderEvent(
                order_id=order_id,
                at=at,
                actor=actor,
                kind=EventKind.STAGE,
                from_value=None,
                to_value=to_value,
                reason=reason,
            )
        )
    rows += _history(home)
    for index, (job, outcome) in enumerate(
        (("sync_orders", "ok"), ("buy_labels", "ok"), ("push_tracking", "rate_limited"))
    ):
        started = NOW - timedelta(minutes=15 - 2 * index)
        rows.append(
            JobRun(
                job=job,
                station="packing-1",
                started_at=started,
                finished_at=started + timedelta(seconds=2),
                outcome=outcome,
                error="TikTok asked us to slow down." if outcome != "ok" else None,
            )
        )
    with services.store.write() as session:
        for row in rows:
            session.add(row)
            session.flush()
    log = services.paths.log_dir / "daemon.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("\n".join(LOG_LINES) + "\n", encoding="utf-8")


def make_services(home: Path) -> Services:
    """A CreatorFlow home at ``home`` with the fixed shop in its store."""
    environ = {"CREATORFLOW_HOME": str(home)}
    services = Services(paths=resolve_paths(environ), environ=environ)
    initialize(services)
    seed(services)
    return services
