"""What happens to subscriptions over time: checkout completion, invoices and payments,
renewals, dunning (past_due → canceled or unpaid), cancellation and plan switches.

Every change renders the subscription before and after and emits ``customer.subscription.updated``
with ``previous_attributes`` holding the fields that changed (item periods included).
Functions here run under the simulator's lock; ``at`` is the simulated time of the change.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.stripe import errors, render
from creatorflow.sandbox.stripe.meters import usage
from creatorflow.sandbox.stripe.model import (
    CheckoutSession,
    Customer,
    Invoice,
    InvoiceLine,
    Item,
    Subscription,
    add_interval,
    price_amount,
)
from creatorflow.sandbox.stripe.webhooks import emit

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

LIVE = ("active", "trialing", "past_due")


def new_customer(sim: StripeSimulator, at: int, **fields: Any) -> Customer:
    """Store a customer and emit ``customer.created``."""
    cid = sim.ids.new("cus_")
    prefix = cid[4:12].upper()
    c = Customer(cid, at, sim.ids.seq(), invoice_prefix=prefix, **fields)
    sim.customers[cid] = c
    emit(sim, "customer.created", render.customer(sim, c), at=at)
    return c


def complete_checkout(sim: StripeSimulator, session_id: str, outcome: str, at: int) -> None:
    """The buyer pays (``success``) or is declined (``fail``) on the hosted page.

    A decline leaves the session open (the buyer may try again), as Checkout does.
    """
    s = sim.checkout_sessions.get(session_id)
    if s is None:
        raise errors.no_such("checkout session", session_id)
    if outcome not in ("success", "fail"):
        raise errors.invalid("outcome must be `success` or `fail`", param="outcome")
    if s.status != "open":
        raise errors.invalid(f"This Checkout Session is not open (status: {s.status}).")
    if outcome == "fail":
        s.declined += 1
        return
    if s.customer is None:
        email = s.customer_email or "buyer@example.com"
        s.customer = new_customer(sim, at, email=email, name="Sandbox Buyer").id
    cust = sim.customers[s.customer]
    sub = _subscription_for(sim, s, cust, at)
    inv = _invoice(sim, sub, "subscription_create", at, at, at, trial=sub.status == "trialing")
    sub.latest_invoice = inv.id
    emit(sim, "customer.subscription.created", render.subscription(sim, sub), at=at)
    _finalize(sim, inv, at)
    _mark_paid(sim, inv, at)
    s.status, s.subscription = "complete", sub.id
    s.payment_status = "paid" if inv.total > 0 else "no_payment_required"
    s.customer_details = {
        "address": None,
        "email": cust.email,
        "name": cust.name,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    emit(sim, "checkout.session.completed", render.checkout_session(sim, s), at=at)


def _subscription_for(
    sim: StripeSimulator, s: CheckoutSession, cust: Customer, at: int
) -> Subscription:
    first = sim.prices[s.line_items[0].price]
    assert first.recurring is not None
    rec = first.recurring
    end = add_interval(at, rec.interval, rec.interval_count)
    trial_end = None
    if s.trial_period_days:
        end = trial_end = at + 86400 * s.trial_period_days
    sid = sim.ids.new("sub_")
    items = []
    for li in s.line_items:
        item = Item(sim.ids.new("si_"), at, sim.ids.seq(), sid, li.price, li.quantity, at, end)
        sim.items[item.id] = item
        items.append(item)
    sub = Subscription(
        sid,
        at,
        sim.ids.seq(),
        cust.id,
        first.currency,
        items,
        "trialing" if trial_end else "active",
        start_date=at,
        billing_cycle_anchor=end if trial_end else at,
        metadata=dict(s.subscription_metadata),
        description=s.subscription_description,
        trial_start=at if trial_end else None,
        trial_end=trial_end,
    )
    sim.subscriptions[sid] = sub
    return sub


def _invoice(
    sim: StripeSimulator,
    sub: Subscription,
    reason: str,
    at: int,
    period_start: int,
    period_end: int,
    *,
    trial: bool = False,
) -> Invoice:
    """A draft invoice for `sub`: licensed items for their current period, metered items for
    the usage of [`period_start`, `period_end`) (none on the first invoice)."""
    cust = sim.customers[sub.customer]
    cust.invoices_issued += 1
    lines = []
    for item in sub.items:
        p = sim.prices[item.price]
        assert p.recurring is not None
        product_name = sim.products[p.product].name
        if p.recurring.usage_type == "metered":
            used = Decimal(0)
            if reason != "subscription_create" and p.recurring.meter in sim.meters:
                used = usage(
                    sim, sim.meters[p.recurring.meter], sub.customer, period_start, period_end
                )
            qty, amount = int(used), price_amount(p, used)
            start, end = period_start, period_end
        else:
            qty = item.quantity or 1
            amount = 0 if trial else price_amount(p, Decimal(qty))
            start, end = item.current_period_start, item.current_period_end
        label = "Trial period for " if trial else f"{qty} x "
        lines.append(
            InvoiceLine(
                sim.ids.new("il_"), p.id, qty, amount, f"{label}{product_name}", start, end, item.id
            )
        )
    inv = Invoice(
        sim.ids.new("in_"),
        at,
        sim.ids.seq(),
        cust.id,
        sub.id,
        dict(sub.metadata),
        f"{cust.invoice_prefix}-{cust.invoices_issued:04d}",
        reason,
        sub.currency,
        lines,
        period_start,
        period_end,
        customer_email=cust.email,
        customer_name=cust.name,
    )
    sim.invoices[inv.id] = inv
    return inv


def _finalize(sim: StripeSimulator, inv: Invoice, at: int) -> None:
    emit(sim, "invoice.created", render.invoice(sim, inv), at=at)
    inv.status, inv.finalized_at = "open", at
    emit(sim, "invoice.finalized", render.invoice(sim, inv), at=at)


def _mark_paid(sim: StripeSimulator, inv: Invoice, at: int) -> None:
    inv.status, inv.paid_at, inv.next_payment_attempt = "paid", at, None
    if not inv.attempted:
        inv.attempted, inv.attempt_count = True, 1
    emit(sim, "invoice.paid", render.invoice(sim, inv), at=at)
    emit(sim, "invoice.payment_succeeded", render.invoice(sim, inv), at=at)


def _charge(sim: StripeSimulator, inv: Invoice, at: int) -> bool:
    """Try to collect `inv`; a zero invoice is paid without a charge."""
    inv.attempted = True
    inv.attempt_count += 1
    if inv.total > 0 and sim.payments_to_fail > 0:
        sim.payments_to_fail -= 1
        sim.payment_outcomes["failed"] += 1
        return False
    if inv.total > 0:
        sim.payment_outcomes["succeeded"] += 1
    _mark_paid(sim, inv, at)
    return True


def updated(sim: StripeSimulator, sub: Subscription, before: dict[str, Any], at: int) -> None:
    """Emit ``customer.subscription.updated`` if anything changed since `before` was rendered."""
    after = render.subscription(sim, sub)
    previous = {k: v for k, v in before.items() if after.get(k) != v}
    if previous:
        emit(sim, "customer.subscription.updated", after, previous=previous, at=at)


def _end(sim: StripeSimulator, sub: Subscription, at: int, reason: str) -> None:
    sub.status, sub.ended_at = "canceled", at
    if sub.canceled_at is None:
        sub.canceled_at = at
    if sub.cancellation.get("reason") is None:
        sub.cancellation = {**sub.cancellation, "reason": reason}
    for inv in sim.invoices.values():
        if inv.subscription == sub.id and inv.status == "open":
            inv.next_payment_attempt = None
    emit(sim, "customer.subscription.deleted", render.subscription(sim, sub), at=at)


def renew(sim: StripeSimulator, sub: Subscription, at: int) -> None:
    """`sub`'s period (or its ``cancel_at``) ended at `at`: cancel, or roll and invoice."""
    if sub.cancel_at_period_end or (sub.cancel_at is not None and sub.cancel_at <= at):
        _end(sim, sub, at, "cancellation_requested")
        return
    before = render.subscription(sim, sub)
    old_start, old_end = sub.period()
    p = sim.prices[sub.items[0].price]
    assert p.recurring is not None
    k = 1
    while (
        nxt := add_interval(
            sub.billing_cycle_anchor, p.recurring.interval, p.recurring.interval_count, k
        )
    ) <= old_end:
        k += 1
    for item in sub.items:
        item.current_period_start, item.current_period_end = old_end, nxt
    if sub.status == "trialing":
        sub.status = "active"
    inv = _invoice(sim, sub, "subscription_cycle", at, old_start, old_end)
    sub.latest_invoice = inv.id
    updated(sim, sub, before, at)
    _finalize(sim, inv, at)
    _collect(sim, sub, inv, at)


def _collect(sim: StripeSimulator, sub: Subscription, inv: Invoice, at: int) -> None:
    before = render.subscription(sim, sub)
    if _charge(sim, inv, at):
        if sub.status == "past_due":
            sub.status = "active"
        updated(sim, sub, before, at)
        return
    exhausted = inv.attempt_count > sim.payment_retries
    inv.next_payment_attempt = (
        None if exhausted else at + int(sim.payment_retry_interval.total_seconds())
    )
    emit(sim, "invoice.payment_failed", render.invoice(sim, inv), at=at)
    if not exhausted:
        sub.status = "past_due"
        updated(sim, sub, before, at)
    elif sim.failed_subscription_outcome == "unpaid":
        sub.status = "unpaid"
        updated(sim, sub, before, at)
    else:
        _end(sim, sub, at, "payment_failed")


def retry(sim: StripeSimulator, inv: Invoice, at: int) -> None:
    """The scheduled retry of an unpaid renewal invoice."""
    assert inv.subscription is not None
    _collect(sim, sim.subscriptions[inv.subscription], inv, at)


def expire(sim: StripeSimulator, s: CheckoutSession, at: int) -> None:
    """Close an open Checkout Session (``checkout.session.expired``)."""
    s.status = "expired"
    emit(sim, "checkout.session.expired", render.checkout_session(sim, s), at=at)


def _due(sim: StripeSimulator) -> tuple[int, int, Callable[[int], None]] | None:
    """The earliest pending change as (when, tie-break, action)."""
    best: tuple[int, int, Callable[[int], None]] | None = None

    def offer(when: int, seq: int, action: Callable[[int], None]) -> None:
        nonlocal best
        if best is None or (when, seq) < best[:2]:
            best = (when, seq, action)

    for s in sim.checkout_sessions.values():
        if s.status == "open":
            offer(s.expires_at, s.seq, partial(expire, sim, s))
    for sub in sim.subscriptions.values():
        if sub.status in LIVE:
            when = sub.period()[1]
            if sub.cancel_at is not None:
                when = min(when, sub.cancel_at)
            offer(when, sub.seq, partial(renew, sim, sub))
    for inv in sim.invoices.values():
        if inv.status == "open" and inv.next_payment_attempt is not None:
            owner = sim.subscriptions.get(inv.subscription or "")
            if owner is not None and owner.status == "past_due":
                offer(inv.next_payment_attempt, inv.seq, partial(retry, sim, inv))
    return best


def catch_up(sim: StripeSimulator, now: int) -> None:
    """Apply, in time order, everything due at or before `now`."""
    for _ in range(10_000):
        due = _due(sim)
        if due is None or due[0] > now:
            return
        due[2](due[0])


def _live(sim: StripeSimulator, subscription_id: str) -> Subscription:
    sub = sim.subscriptions.get(subscription_id)
    if sub is None:
        raise errors.no_such("subscription", subscription_id)
    if sub.status not in LIVE:
        raise errors.invalid(
            "A canceled subscription can only update its cancellation_details and metadata."
            if sub.status == "canceled"
            else f"This subscription is {sub.status}."
        )
    return sub


def set_cancel_at_period_end(
    sim: StripeSimulator, subscription_id: str, cancel: bool, at: int
) -> Subscription:
    """Ask for (or withdraw) cancellation at the end of the current period."""
    sub = _live(sim, subscription_id)
    before = render.subscription(sim, sub)
    apply_cancel_at_period_end(sub, cancel, at)
    updated(sim, sub, before, at)
    return sub


def apply_cancel_at_period_end(sub: Subscription, cancel: bool, at: int) -> None:
    """Set the fields Stripe sets for ``cancel_at_period_end`` (no event)."""
    sub.cancel_at_period_end = cancel
    sub.cancel_at = sub.period()[1] if cancel else None
    sub.canceled_at = at if cancel else None
    sub.cancellation = {**sub.cancellation, "reason": "cancellation_requested" if cancel else None}


def cancel_now(sim: StripeSimulator, subscription_id: str, at: int) -> Subscription:
    """End the subscription immediately (``customer.subscription.deleted``)."""
    sub = _live(sim, subscription_id)
    sub.canceled_at = at
    _end(sim, sub, at, "cancellation_requested")
    return sub


def switch_price(
    sim: StripeSimulator, subscription_id: str, price_ref: str, at: int
) -> Subscription:
    """Move the first item to another recurring price (id or lookup key); periods unchanged."""
    sub = _live(sim, subscription_id)
    target = sim.find_price(price_ref)
    if target is None or not target.active or target.recurring is None:
        raise errors.invalid(f"No such active recurring price: '{price_ref}'", param="price")
    if target.currency != sub.currency:
        raise errors.invalid("The new price must use the subscription's currency.", param="price")
    before = render.subscription(sim, sub)
    item = sub.items[0]
    item.price = target.id
    if target.recurring.usage_type == "metered":
        item.quantity = None
    elif item.quantity is None:
        item.quantity = 1
    updated(sim, sub, before, at)
    return sub
