"""From an order to what to buy: its facts, guards, parcel, quotes and the rules' choice.

Used at approval (guards only), at purchase time (everything, with a fresh copy of the order
from TikTok) and by ``rules test`` (everything, nothing bought).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creatorflow.domain.addresses import us_state_code
from creatorflow.domain.guards import OrderFacts, Refusal, RefusalCode, purchase_refusals
from creatorflow.domain.parcels import MissingParcelData, ParcelPlan
from creatorflow.domain.rules import (
    Choice,
    RateOption,
    RulePolicy,
    ServiceOverride,
    Strategy,
    TikTokUspsRule,
)
from creatorflow.domain.stages import Stage
from creatorflow.errors import ConfigError, NotFoundError
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.integrations.shipping.base import Address, LabelFormat, LabelProvider, Rate
    from creatorflow.integrations.tiktok.client import TikTokClient
    from creatorflow.services.label_providers import ProviderSet
    from creatorflow.store.tables import Order, Shop

__all__ = [
    "PurchasePlan",
    "explain_purchase",
    "order_facts",
    "plan_purchase",
    "policy",
    "refresh_order",
    "ship_from",
]


@dataclass(frozen=True)
class PurchasePlan:
    """What to buy for one order, or why not."""

    refusals: tuple[Refusal, ...]
    rate: Rate | None
    label_format: LabelFormat
    parcel: ParcelPlan | None
    explanation: tuple[str, ...]
    quoted: int = 0


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _overrides(text: str) -> dict[str, ServiceOverride]:
    """``SKU=PROVIDER[:SERVICE]`` pairs, comma-separated (``MUG-12=shippo:usps_priority``)."""
    overrides: dict[str, ServiceOverride] = {}
    for part in _csv(text):
        sku, _, choice = part.partition("=")
        provider, _, service = choice.partition(":")
        if not sku.strip() or not choice.strip():
            raise ConfigError(
                f"rules.sku_overrides has a bad entry: {part!r}.",
                hint="Write SKU=PROVIDER[:SERVICE], e.g. MUG-12=shippo:usps_priority.",
            )
        overrides[sku.strip()] = ServiceOverride(
            provider=provider.strip() or None, service=service.strip() or None
        )
    return overrides


def policy(services: Services) -> RulePolicy:
    """The seller's rules from ``rules.*`` settings."""
    settings = services.settings
    cap = settings.text("rules.max_price").strip()
    try:
        max_price = Decimal(cap) if cap else None
    except InvalidOperation:
        raise ConfigError(f"rules.max_price is not an amount: {cap!r}.") from None
    try:
        usps_from = date.fromisoformat(settings.text("rules.usps_via_tiktok_from").strip())
    except ValueError:
        raise ConfigError(
            "rules.usps_via_tiktok_from is not a date.", hint="Write it like 2026-01-01."
        ) from None
    return RulePolicy(
        strategy=Strategy(settings.text("rules.strategy")),
        sku_overrides=_overrides(settings.text("rules.sku_overrides")),
        preferred_carriers=tuple(_csv(settings.text("rules.preferred_carriers"))),
        excluded_services=frozenset(_csv(settings.text("rules.excluded_services"))),
        max_price=max_price,
        usps_rule=TikTokUspsRule(
            enabled=settings.flag("rules.usps_via_tiktok"), effective_from=usps_from
        ),
    )


def ship_from(services: Services) -> Address:
    """The sender address from ``ship_from.*``.

    Raises:
        ConfigError: a required part is missing (the hint names the keys).
    """
    from creatorflow.integrations.shipping.base import Address

    settings = services.settings

    def part(name: str) -> str:
        return settings.text(f"ship_from.{name}").strip()

    missing = [n for n in ("name", "street1", "city", "state", "postal_code") if not part(n)]
    if missing:
        keys = ", ".join(f"ship_from.{name}" for name in missing)
        raise ConfigError(
            "The ship-from address is incomplete, so no label can be bought.",
            hint=f"Set {keys} with `creatorflow config set KEY VALUE`.",
        )
    return Address(
        name=part("name"),
        company=part("company") or None,
        street1=part("street1"),
        street2=part("street2") or None,
        city=part("city"),
        state=part("state"),
        postal_code=part("postal_code"),
        country=part("country") or "US",
        phone=part("phone") or None,
        email=part("email") or None,
    )


def ship_to(order: Order) -> Address:
    """The buyer's address as carriers want it (US states as codes)."""
    from creatorflow.integrations.shipping.base import Address

    country = (order.country_code or "US").upper()
    state = order.state or ""
    if country == "US":
        state = us_state_code(state) or state
    return Address(
        name=order.recipient_name or "",
        street1=order.address_line1 or "",
        street2=order.address_line2,
        city=order.city or "",
        state=state,
        postal_code=order.postal_code or "",
        country=country,
        phone=order.recipient_phone,
        residential=True,
    )


def order_facts(
    session: Session,
    order: Order,
    region: str,
    parcel: ParcelPlan | MissingParcelData,
    now: datetime,
) -> OrderFacts:
    """What the guards need to know about ``order``, read in ``session``."""
    from creatorflow.store.tables import OrderLine, Shipment, ShipmentState

    labelled = session.execute(
        select(func.count())
        .select_from(Shipment)
        .where(Shipment.order_id == order.id, Shipment.state == ShipmentState.PURCHASED)
    ).scalar_one()
    skus = session.scalars(select(OrderLine.seller_sku).where(OrderLine.order_id == order.id))
    missing = parcel.missing_weight if isinstance(parcel, MissingParcelData) else ()
    # Our own purchase in flight is not a reason to refuse buying it.
    stage = Stage.APPROVED if order.stage is Stage.PURCHASING else order.stage
    # TikTok prints TikTok Shipping labels itself and keeps their names masked.
    tiktok_label = order.shipping_type == "TIKTOK"
    return OrderFacts(
        order_id=order.id,
        status=order.status,
        stage=stage,
        address_masked=order.address_masked and not tiktok_label,
        buyer_cancel_requested=order.buyer_cancel_requested,
        shipping_type=order.shipping_type,
        region=region,
        country=order.country_code,
        has_ship_to_address=tiktok_label or bool(order.address_line1 and order.postal_code),
        missing_weight_skus=missing,
        units=order.units,
        # The plan limit is applied to the approval batch as a whole (services.approval): an
        # order once approved within the limit is bought.
        plan_order_limit=None,
        orders_used_this_period=0,
        already_labelled=bool(labelled),
        paid_at=order.paid_at,
        skus=tuple(sku for sku in skus if sku),
    )


def refresh_order(services: Services, client: TikTokClient, shop: Shop, order_id: str) -> None:
    """Store TikTok's current copy of the order (status, address, cancel request)."""
    from creatorflow.services.order_sync import store_fresh_orders

    store_fresh_orders(services, client, shop, [order_id])


def _to_option(rate: Rate) -> RateOption:
    return RateOption(
        provider=rate.provider,
        carrier=rate.carrier,
        service=rate.service,
        service_token=rate.service_token,
        amount=rate.amount,
        currency=rate.currency,
        estimated_days=rate.estimated_days,
        rate_id=rate.rate_id,
    )


def plan_purchase(
    services: Services,
    client: TikTokClient,
    providers: ProviderSet,
    shop: Shop,
    reference: object,
    *,
    now: datetime,
    preference: Mapping[str, str] | None = None,
) -> PurchasePlan:
    """Check the guards, work out the parcel, quote and choose (nothing is bought).

    ``preference`` (from ``orders approve --provider P --service S``) narrows the providers
    asked and the services allowed.

    Raises:
        ConfigError: no ship-from address, or no label provider for this order.
        LabelRejected: every provider refused to quote.
    """
    from creatorflow.domain.rules import choose_rate
    from creatorflow.integrations.shipping.base import LabelFormat, Parcel
    from creatorflow.integrations.shipping.tiktok_shipping import TikTokShippingProvider
    from creatorflow.services.parcels import order_parcel
    from creatorflow.store.tables import Order

    label_format = LabelFormat(services.settings.text("labels.format"))
    order_id = str(reference).split(":")[2]
    with services.store.read() as session:
        order = session.get(Order, order_id)
        if order is None:
            raise NotFoundError(f"Order {order_id} is not in the local store.")
        parcel = order_parcel(session, order.id, services.settings.text("parcels.default_preset"))
        facts = order_facts(session, order, shop.region or "US", parcel, now)
        destination = ship_to(order)
    if (preference or {}).get("rebuy_of") is not None and facts.status == "AWAITING_COLLECTION":
        # A deliberate re-buy: TikTok already has the old label's tracking (it is corrected).
        facts = dataclasses.replace(facts, status="AWAITING_SHIPMENT")
    refusals = purchase_refusals(facts, now=now)
    if isinstance(parcel, MissingParcelData) and not refusals:
        refusals = (Refusal(RefusalCode.MISSING_WEIGHT, parcel.reason),)
    if refusals or not isinstance(parcel, ParcelPlan):
        return PurchasePlan(refusals, None, label_format, None, ())
    box = Parcel(parcel.weight_oz, parcel.length_in, parcel.width_in, parcel.height_in)
    origin = ship_from(services)
    quoting: dict[str, LabelProvider]
    if facts.shipping_type == "TIKTOK":
        quoting = {"tiktok_shipping": TikTokShippingProvider(client, shop.cipher)}
    else:
        quoting = {name: providers.providers[name] for name in providers.order}
    wanted = (preference or {}).get("provider")
    if wanted:
        quoting = {name: p for name, p in quoting.items() if name == wanted.strip().lower()}
    if not quoting:
        raise ConfigError(
            "No label provider is connected.",
            hint="Run `creatorflow connect shippo` or `creatorflow connect easypost`.",
        )
    rates: list[Rate] = []
    for name, provider in quoting.items():
        providers.throttle(name).acquire()
        rates.extend(provider.quote(origin, destination, box, reference=str(reference)))
    service = ((preference or {}).get("service") or "").strip().casefold()
    if service:
        rates = [r for r in rates if service in (r.service_token.casefold(), r.service.casefold())]
    choice: Choice = choose_rate(
        [_to_option(rate) for rate in rates],
        policy(services),
        order_facts=facts,
        deadline=None,
        now=now,
    )
    chosen = None
    if choice.rate is not None:
        chosen = next(
            r
            for r in rates
            if r.rate_id == choice.rate.rate_id and r.provider == choice.rate.provider
        )
    if chosen is not None and chosen.provider == "tiktok_shipping":
        label_format = LabelFormat.PDF_4X6  # TikTok Shipping prints PDF labels only (US)
    return PurchasePlan((), chosen, label_format, parcel, choice.explanation, len(rates))


def explain_purchase(services: Services, order_id: str, *, now: datetime) -> PurchasePlan:
    """What a purchase for this order would do now: refusals, parcel, quotes, the choice.

    Quotes are real provider calls; nothing is bought.
    """
    from creatorflow.services.approval import label_key
    from creatorflow.services.label_providers import build_outside_providers
    from creatorflow.services.tiktok_connection import open_client
    from creatorflow.store.tables import Order, Shop

    with services.store.read() as session:
        order = session.get(Order, order_id.strip())
        if order is None:
            raise NotFoundError(f"Order {order_id.strip()} is not in the local store.")
        shop = session.get(Shop, order.shop_id)
        assert shop is not None
    reference = label_key(shop.id, order.id)
    with open_client(services, now=lambda: now) as client:
        return plan_purchase(
            services, client, build_outside_providers(services), shop, reference, now=now
        )
