"""Reading labels (shipments) from the store, and the rules as the seller set them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from creatorflow.domain.money import tidy
from creatorflow.errors import UsageError
from creatorflow.services.context import Services

__all__ = ["LabelView", "RuleView", "list_labels", "list_rules"]


@dataclass(frozen=True)
class LabelView:
    """One label as ``labels list`` shows it."""

    order_id: str
    generation: int
    provider: str
    carrier: str | None
    service: str | None
    tracking_number: str | None
    cost: Decimal | None
    currency: str | None
    state: str
    order_stage: str
    label_path: str | None
    created_at: datetime


def list_labels(services: Services, *, limit: int = 100) -> list[LabelView]:
    """The newest labels first."""
    from creatorflow.store.tables import Order, Shipment

    if not 1 <= limit <= 10_000:
        raise UsageError(f"--limit must be between 1 and 10,000, not {limit}.")
    query = (
        select(Shipment, Order.stage)
        .join(Order, Order.id == Shipment.order_id)
        .order_by(Shipment.created_at.desc(), Shipment.id.desc())
        .limit(limit)
    )
    with services.store.read() as session:
        return [
            LabelView(
                order_id=shipment.order_id,
                generation=shipment.generation,
                provider=shipment.provider,
                carrier=shipment.carrier,
                service=shipment.service,
                tracking_number=shipment.tracking_number,
                cost=tidy(shipment.cost, shipment.currency or "USD")
                if shipment.cost is not None
                else None,
                currency=shipment.currency,
                state=shipment.state.value,
                order_stage=stage.value,
                label_path=shipment.label_path,
                created_at=shipment.created_at,
            )
            for shipment, stage in session.execute(query)
        ]


@dataclass(frozen=True)
class RuleView:
    """One rule setting and what it does now."""

    rule: str
    value: str
    effect: str


def list_rules(services: Services) -> list[RuleView]:
    """The label rules in force (``rules.*`` settings and the connected providers)."""
    from creatorflow.services.label_providers import OUTSIDE_PROVIDERS, provider_api_key
    from creatorflow.services.purchase_planning import policy

    rules = policy(services)
    connected = [name for name in OUTSIDE_PROVIDERS if provider_api_key(services, name)]
    usps = rules.usps_rule
    return [
        RuleView(
            "providers",
            ", ".join(connected) or "none",
            "Seller-shipped orders are quoted by these; TikTok-shipped orders by TikTok Shipping.",
        ),
        RuleView(
            "strategy", rules.strategy.value, "How the service is chosen among allowed rates."
        ),
        RuleView(
            "preferred_carriers",
            ", ".join(rules.preferred_carriers) or "any",
            "When an allowed rate is from one of these, only these are considered.",
        ),
        RuleView(
            "excluded_services",
            ", ".join(sorted(rules.excluded_services)) or "none",
            "Never bought.",
        ),
        RuleView(
            "max_price",
            str(rules.max_price) if rules.max_price is not None else "none",
            "Rates above this are refused.",
        ),
        RuleView(
            "sku_overrides",
            ", ".join(f"{sku} → {o.text()}" for sku, o in rules.sku_overrides.items()) or "none",
            "These SKUs always get this provider or service.",
        ),
        RuleView(
            "usps_via_tiktok",
            "on" if usps.enabled else "off",
            f"{usps.reason}." if usps.enabled else "USPS rates from any provider are allowed.",
        ),
    ]
