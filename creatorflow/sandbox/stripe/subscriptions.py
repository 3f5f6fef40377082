"""Subscriptions, subscription items and invoices as the API serves them.

``POST /v1/subscriptions/{id}`` takes ``cancel_at_period_end``, ``cancel_at``, ``metadata``,
``description``, ``cancellation_details`` and ``items`` (``id`` + ``price``/``quantity``/
``deleted``, or a new ``price``); ``proration_behavior`` and ``payment_behavior`` are accepted
and have no effect (no prorations are simulated). ``DELETE`` cancels now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.stripe import errors, lifecycle, listing, render
from creatorflow.sandbox.stripe.encoding import Call, Params
from creatorflow.sandbox.stripe.model import Invoice, Item, Subscription

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

STATUSES = (
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
    "all",
    "ended",
)


def _subscription(sim: StripeSimulator, subscription_id: str) -> Subscription:
    sub = sim.subscriptions.get(subscription_id)
    if sub is None:
        raise errors.no_such("subscription", subscription_id)
    return sub


def get_subscription(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/subscriptions/{id}``."""
    call.params.finish()
    return render.subscription(sim, _subscription(sim, call.ids["id"]))


def list_subscriptions(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/subscriptions``: not canceled unless ``status`` says otherwise."""
    p = call.params
    customer = p.text("customer")
    price = p.text("price")
    status = p.text("status", choices=STATUSES)
    low, high = p.time_range("created")

    def wanted(s: Subscription) -> bool:
        if status is None and s.status in ("canceled", "incomplete_expired"):
            return False
        if status == "ended" and s.status not in ("canceled", "incomplete_expired"):
            return False
        if status not in (None, "all", "ended") and s.status != status:
            return False
        return (
            (customer is None or s.customer == customer)
            and (price is None or any(i.price == price for i in s.items))
            and (low is None or s.created >= low)
            and (high is None or s.created <= high)
        )

    found = [s for s in sim.subscriptions.values() if wanted(s)]
    result = listing.page(
        p,
        listing.newest_first(found),
        "/v1/subscriptions",
        lambda s: render.subscription(sim, s),
        lambda s: s.id,
        "subscription",
    )
    p.finish()
    return result


def _item_changes(sim: StripeSimulator, sub: Subscription, items: list[Params]) -> list[Item]:
    """The subscription's items after `items` (checked before anything changes)."""
    result = [Item(**vars(i)) for i in sub.items]
    for spec in items:
        item_id = spec.text("id")
        price_id = spec.text("price")
        quantity = spec.integer("quantity", minimum=0)
        deleted = spec.flag("deleted")
        metadata_given = spec.has("metadata")
        spec.ignore("clear_usage", "tax_rates", "discounts")
        price = None
        if price_id is not None:
            price = sim.prices.get(price_id)
            if price is None:
                raise errors.no_such("price", price_id, param=spec.name("price"))
            if price.recurring is None or not price.active:
                raise errors.invalid(
                    f"The price `{price_id}` is not an active recurring price.",
                    param=spec.name("price"),
                )
            if price.currency != sub.currency:
                raise errors.invalid(
                    "All items must use the subscription's currency.", param=spec.name("price")
                )
        if item_id is None:
            if price is None:
                raise errors.missing(spec.name("price"))
            start, end = sub.period()
            new = Item(
                sim.ids.new("si_"),
                sim.timestamp(),
                sim.ids.seq(),
                sub.id,
                price.id,
                None
                if price.recurring and price.recurring.usage_type == "metered"
                else (quantity or 1),
                start,
                end,
                spec.metadata({}),
            )
            result.append(new)
            continue
        current = next((i for i in result if i.id == item_id), None)
        if current is None:
            raise errors.no_such("subscription item", item_id, param=spec.name("id"))
        if deleted:
            result.remove(current)
            continue
        if price is not None:
            current.price = price.id
            if price.recurring is not None and price.recurring.usage_type == "metered":
                current.quantity = None
            elif current.quantity is None:
                current.quantity = 1
        if quantity is not None:
            current.quantity = quantity
        if metadata_given:
            current.metadata = spec.metadata(current.metadata)
    if not result:
        raise errors.invalid("A subscription must have at least one active plan.", param="items")
    return result


def update_subscription(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/subscriptions/{id}``."""
    sub = _subscription(sim, call.ids["id"])
    p = call.params
    cancel_at_period_end = p.flag("cancel_at_period_end")
    cancel_at = p.integer("cancel_at") if p.has("cancel_at") else None
    clear_cancel_at = p.has("cancel_at") and cancel_at is None
    metadata = p.metadata(sub.metadata)
    description = p.text("description")
    details = p.hash("cancellation_details")
    comment = details.text("comment") if details is not None else None
    feedback = details.text("feedback") if details is not None else None
    items = p.array("items")
    p.ignore("proration_behavior", "payment_behavior", "proration_date", "default_payment_method")
    new_items = _item_changes(sim, sub, items) if items else None
    p.finish()
    now = sim.timestamp()
    only_notes = new_items is None and cancel_at_period_end is None and not p.has("cancel_at")
    if sub.status not in lifecycle.LIVE and not (only_notes and not p.has("description")):
        raise errors.invalid(
            "A canceled subscription can only update its cancellation_details and metadata."
        )
    if cancel_at is not None and cancel_at <= now:
        raise errors.invalid("cancel_at must be in the future.", param="cancel_at")
    before = render.subscription(sim, sub)
    sub.metadata = metadata
    if p.has("description"):
        sub.description = description
    if details is not None:
        sub.cancellation = {**sub.cancellation, "comment": comment, "feedback": feedback}
    if new_items is not None:
        for item in new_items:
            sim.items[item.id] = item
        kept = {i.id for i in new_items}
        for old in sub.items:
            if old.id not in kept:
                sim.items.pop(old.id, None)
        sub.items = new_items
    if cancel_at_period_end is not None:
        lifecycle.apply_cancel_at_period_end(sub, cancel_at_period_end, now)
    elif cancel_at is not None or clear_cancel_at:
        sub.cancel_at = cancel_at
        sub.canceled_at = now if cancel_at is not None else None
        sub.cancellation = {
            **sub.cancellation,
            "reason": "cancellation_requested" if cancel_at else None,
        }
    lifecycle.updated(sim, sub, before, now)
    return render.subscription(sim, sub)


def cancel_subscription(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``DELETE /v1/subscriptions/{id}`` (``invoice_now``/``prorate`` accepted, no effect)."""
    sub = _subscription(sim, call.ids["id"])
    p = call.params
    details = p.hash("cancellation_details")
    notes = {}
    if details is not None:
        notes = {"comment": details.text("comment"), "feedback": details.text("feedback")}
    p.ignore("invoice_now", "prorate")
    p.finish()
    if sub.status not in lifecycle.LIVE:
        raise errors.invalid(f"This subscription is already {sub.status}.")
    sub.cancellation = {**sub.cancellation, **notes}
    lifecycle.cancel_now(sim, sub.id, sim.timestamp())
    return render.subscription(sim, sub)


def get_item(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/subscription_items/{id}``."""
    call.params.finish()
    item = sim.items.get(call.ids["id"])
    if item is None:
        raise errors.no_such("subscription item", call.ids["id"])
    return render.item(sim, item)


def list_items(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/subscription_items?subscription=…``."""
    p = call.params
    sub = sim.subscriptions.get(p.need("subscription"))
    if sub is None:
        raise errors.no_such("subscription", str(p.data.get("subscription")), param="subscription")
    result = listing.page(
        p,
        sub.items,
        f"/v1/subscription_items?subscription={sub.id}",
        lambda i: render.item(sim, i),
        lambda i: i.id,
        "subscription item",
    )
    p.finish()
    return result


def _invoice(sim: StripeSimulator, invoice_id: str) -> Invoice:
    inv = sim.invoices.get(invoice_id)
    if inv is None:
        raise errors.no_such("invoice", invoice_id)
    return inv


def get_invoice(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/invoices/{id}``."""
    call.params.finish()
    return render.invoice(sim, _invoice(sim, call.ids["id"]))


def list_invoices(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/invoices`` (``customer``, ``subscription``, ``status``, ``created``)."""
    p = call.params
    customer = p.text("customer")
    subscription = p.text("subscription")
    status = p.text("status", choices=("draft", "open", "paid", "uncollectible", "void"))
    low, high = p.time_range("created")
    p.ignore("collection_method")
    found = [
        i
        for i in sim.invoices.values()
        if (customer is None or i.customer == customer)
        and (subscription is None or i.subscription == subscription)
        and (status is None or i.status == status)
        and (low is None or i.created >= low)
        and (high is None or i.created <= high)
    ]
    result = listing.page(
        p,
        listing.newest_first(found),
        "/v1/invoices",
        lambda i: render.invoice(sim, i),
        lambda i: i.id,
        "invoice",
    )
    p.finish()
    return result


def invoice_lines(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/invoices/{id}/lines``."""
    inv = _invoice(sim, call.ids["id"])
    p = call.params
    result = listing.page(
        p,
        inv.lines,
        f"/v1/invoices/{inv.id}/lines",
        lambda line: render.invoice_line(sim, inv, line),
        lambda line: line.id,
        "line item",
    )
    p.finish()
    return result
