"""Invoices, meters, webhook endpoints and events as the API renders them.

Invoices point at their subscription through ``parent.subscription_details`` (basil+), and
their lines through ``parent.subscription_item_details`` and ``pricing.price_details``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.stripe.model import Event, Invoice, InvoiceLine, Meter, WebhookEndpoint

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

JSONDict = dict[str, Any]


def invoice_line(sim: StripeSimulator, inv: Invoice, line: InvoiceLine) -> JSONDict:
    """A ``line_item`` of an invoice (basil shape: ``parent``, ``pricing``)."""
    p = sim.prices[line.price]
    return {
        "id": line.id,
        "object": "line_item",
        "amount": line.amount,
        "currency": inv.currency,
        "description": line.description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": inv.id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": inv.subscription,
                "subscription_item": line.subscription_item,
            },
            "type": "subscription_item_details",
        },
        "period": {"end": line.period_end, "start": line.period_start},
        "pricing": {
            "price_details": {"price": p.id, "product": p.product},
            "type": "price_details",
            "unit_amount_decimal": None
            if p.unit_amount_decimal is None
            else format(p.unit_amount_decimal, "f"),
        },
        "quantity": line.quantity,
        "taxes": [],
    }


def invoice(sim: StripeSimulator, inv: Invoice) -> JSONDict:
    """An ``invoice`` (``parent.subscription_details`` instead of ``subscription``)."""
    total = inv.total
    paid = total if inv.status == "paid" else 0
    parent = None
    if inv.subscription is not None:
        parent = {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(inv.subscription_metadata),
                "subscription": inv.subscription,
            },
            "type": "subscription_details",
        }
    return {
        "id": inv.id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "CreatorFlow Sandbox",
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": paid,
        "amount_remaining": total - paid,
        "amount_shipping": 0,
        "attempt_count": inv.attempt_count,
        "attempted": inv.attempted,
        "auto_advance": inv.status not in ("paid", "void", "uncollectible"),
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_reason": inv.billing_reason,
        "collection_method": "charge_automatically",
        "created": inv.created,
        "currency": inv.currency,
        "customer": inv.customer,
        "customer_email": inv.customer_email,
        "customer_name": inv.customer_name,
        "default_payment_method": None,
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": inv.finalized_at,
        "ending_balance": 0 if inv.finalized_at is not None else None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "last_finalization_error": None,
        "lines": {
            "object": "list",
            "data": [invoice_line(sim, inv, line) for line in inv.lines],
            "has_more": False,
            "total_count": len(inv.lines),
            "url": f"/v1/invoices/{inv.id}/lines",
        },
        "livemode": False,
        "metadata": dict(inv.metadata),
        "next_payment_attempt": inv.next_payment_attempt,
        "number": inv.number if inv.finalized_at is not None else None,
        "parent": parent,
        "period_end": inv.period_end,
        "period_start": inv.period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "starting_balance": 0,
        "status": inv.status,
        "status_transitions": {
            "finalized_at": inv.finalized_at,
            "marked_uncollectible_at": None,
            "paid_at": inv.paid_at,
            "voided_at": None,
        },
        "subtotal": total,
        "total": total,
    }


def meter(sim: StripeSimulator, m: Meter) -> JSONDict:
    """A ``billing.meter``."""
    return {
        "id": m.id,
        "object": "billing.meter",
        "created": m.created,
        "customer_mapping": {"event_payload_key": m.customer_key, "type": "by_id"},
        "default_aggregation": {"formula": m.formula},
        "display_name": m.display_name,
        "event_name": m.event_name,
        "event_time_window": m.event_time_window,
        "livemode": False,
        "status": m.status,
        "status_transitions": {"deactivated_at": None},
        "updated": m.updated,
        "value_settings": {"event_payload_key": m.value_key},
    }


def webhook_endpoint(sim: StripeSimulator, w: WebhookEndpoint) -> JSONDict:
    """A ``webhook_endpoint`` (its ``secret`` is added only by the create call)."""
    return {
        "id": w.id,
        "object": "webhook_endpoint",
        "api_version": w.api_version,
        "application": None,
        "created": w.created,
        "description": w.description,
        "enabled_events": list(w.enabled_events),
        "livemode": False,
        "metadata": dict(w.metadata),
        "status": w.status,
        "url": w.url,
    }


def event(sim: StripeSimulator, e: Event) -> JSONDict:
    """An ``event`` (``data.object`` is the snapshot taken when it happened)."""
    return {
        "id": e.id,
        "object": "event",
        "api_version": e.api_version,
        "created": e.created,
        "data": e.data,
        "livemode": False,
        "pending_webhooks": e.pending_webhooks,
        "request": {"id": e.request_id, "idempotency_key": e.idempotency_key},
        "type": e.type,
    }
