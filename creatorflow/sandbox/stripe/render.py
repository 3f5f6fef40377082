"""Objects as the API renders them (pinned ``2026-10-28.endive`` shapes).

Subscription periods live on the items (removed from the subscription in ``2025-03-31.basil``).
Invoices, meters, endpoints and events are rendered in :mod:`billing_objects` and re-exported.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.stripe.billing_objects import (
    event,
    invoice,
    invoice_line,
    meter,
    webhook_endpoint,
)
from creatorflow.sandbox.stripe.model import (
    CheckoutSession,
    Customer,
    Item,
    LineItem,
    PortalSession,
    Price,
    Product,
    Subscription,
    price_amount,
)

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

__all__ = [
    "checkout_session",
    "customer",
    "event",
    "invoice",
    "invoice_line",
    "item",
    "items_list",
    "meter",
    "portal_session",
    "price",
    "product",
    "session_line_item",
    "subscription",
    "webhook_endpoint",
]

JSONDict = dict[str, Any]


def customer(sim: StripeSimulator, c: Customer) -> JSONDict:
    """A ``customer``."""
    return {
        "id": c.id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": c.created,
        "currency": None,
        "default_source": None,
        "delinquent": any(
            s.customer == c.id and s.status in ("past_due", "unpaid")
            for s in sim.subscriptions.values()
        ),
        "description": c.description,
        "discount": None,
        "email": c.email,
        "invoice_prefix": c.invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": dict(c.metadata),
        "name": c.name,
        "next_invoice_sequence": c.invoices_issued + 1,
        "phone": c.phone,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def product(sim: StripeSimulator, p: Product) -> JSONDict:
    """A ``product``."""
    default = next(
        (x.id for x in sim.prices.values() if x.product == p.id and x.active),
        None,
    )
    return {
        "id": p.id,
        "object": "product",
        "active": p.active,
        "created": p.created,
        "default_price": default,
        "description": p.description,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": dict(p.metadata),
        "name": p.name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": p.updated,
        "url": None,
    }


def price(sim: StripeSimulator, p: Price) -> JSONDict:
    """A ``price`` (``tiers`` only when expanded, as Stripe does)."""
    recurring = None
    if p.recurring is not None:
        recurring = {
            "interval": p.recurring.interval,
            "interval_count": p.recurring.interval_count,
            "meter": p.recurring.meter,
            "trial_period_days": None,
            "usage_type": p.recurring.usage_type,
        }
    decimal = p.unit_amount_decimal
    return {
        "id": p.id,
        "object": "price",
        "active": p.active,
        "billing_scheme": p.billing_scheme,
        "created": p.created,
        "currency": p.currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": p.lookup_key,
        "metadata": dict(p.metadata),
        "nickname": p.nickname,
        "product": p.product,
        "recurring": recurring,
        "tax_behavior": p.tax_behavior,
        "tiers_mode": p.tiers_mode,
        "transform_quantity": None,
        "type": "recurring" if p.recurring is not None else "one_time",
        "unit_amount": p.unit_amount,
        "unit_amount_decimal": None if decimal is None else format(decimal, "f"),
    }


def session_line_item(sim: StripeSimulator, item: LineItem) -> JSONDict:
    """An ``item`` of a Checkout Session's ``line_items``."""
    p = sim.prices[item.price]
    metered = p.recurring is not None and p.recurring.usage_type == "metered"
    amount = 0 if metered else price_amount(p, _qty(item.quantity))
    return {
        "id": item.id,
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": p.currency,
        "description": sim.products[p.product].name,
        "price": price(sim, p),
        "quantity": item.quantity,
    }


def checkout_session(sim: StripeSimulator, s: CheckoutSession) -> JSONDict:
    """A ``checkout.session`` (``line_items`` only when expanded)."""
    amounts = [session_line_item(sim, item)["amount_total"] for item in s.line_items]
    total = 0 if s.trial_period_days else sum(amounts)
    currency = sim.prices[s.line_items[0].price].currency if s.line_items else None
    return {
        "id": s.id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": s.allow_promotion_codes,
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": s.cancel_url,
        "client_reference_id": s.client_reference_id,
        "client_secret": None,
        "created": s.created,
        "currency": currency,
        "customer": s.customer,
        "customer_creation": None,
        "customer_details": s.customer_details,
        "customer_email": s.customer_email,
        "expires_at": s.expires_at,
        "invoice": None,
        "livemode": False,
        "locale": s.locale,
        "metadata": dict(s.metadata),
        "mode": s.mode,
        "payment_intent": None,
        "payment_method_types": ["card"],
        "payment_status": s.payment_status,
        "status": s.status,
        "submit_type": None,
        "subscription": s.subscription,
        "success_url": s.success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": s.ui_mode,
        "url": f"{s.base_url}/_sim/checkout/{s.id}" if s.status == "open" else None,
    }


def portal_session(sim: StripeSimulator, s: PortalSession) -> JSONDict:
    """A ``billing_portal.session``."""
    return {
        "id": s.id,
        "object": "billing_portal.session",
        "configuration": s.configuration,
        "created": s.created,
        "customer": s.customer,
        "flow": s.flow,
        "livemode": False,
        "locale": s.locale,
        "on_behalf_of": None,
        "return_url": s.return_url,
        "url": f"{s.base_url}/_sim/portal/{s.id}",
    }


def item(sim: StripeSimulator, i: Item) -> JSONDict:
    """A ``subscription_item`` (with its billing period, as of basil)."""
    return {
        "id": i.id,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": i.created,
        "current_period_end": i.current_period_end,
        "current_period_start": i.current_period_start,
        "discounts": [],
        "metadata": dict(i.metadata),
        "price": price(sim, sim.prices[i.price]),
        "quantity": i.quantity,
        "subscription": i.subscription,
        "tax_rates": [],
    }


def items_list(sim: StripeSimulator, s: Subscription) -> JSONDict:
    """A subscription's ``items`` list."""
    return {
        "object": "list",
        "data": [item(sim, i) for i in s.items],
        "has_more": False,
        "total_count": len(s.items),
        "url": f"/v1/subscription_items?subscription={s.id}",
    }


def subscription(sim: StripeSimulator, s: Subscription) -> JSONDict:
    """A ``subscription``: no top-level ``current_period_*`` in this API version."""
    return {
        "id": s.id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": s.billing_cycle_anchor,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"type": "flexible", "flexible": {"proration_discounts": "included"}},
        "billing_thresholds": None,
        "cancel_at": s.cancel_at,
        "cancel_at_period_end": s.cancel_at_period_end,
        "canceled_at": s.canceled_at,
        "cancellation_details": dict(s.cancellation),
        "collection_method": "charge_automatically",
        "created": s.created,
        "currency": s.currency,
        "customer": s.customer,
        "days_until_due": None,
        "default_payment_method": None,
        "default_source": None,
        "description": s.description,
        "discounts": [],
        "ended_at": s.ended_at,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": items_list(sim, s),
        "latest_invoice": s.latest_invoice,
        "livemode": False,
        "metadata": dict(s.metadata),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": s.start_date,
        "status": s.status,
        "status_details": None,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": s.trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": s.trial_start,
    }


def _qty(quantity: int | None) -> Decimal:
    return Decimal(quantity if quantity is not None else 0)
