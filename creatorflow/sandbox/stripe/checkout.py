"""Checkout Sessions (subscription mode) and Customer Portal sessions (reference §2.2, §2.3).

A session's ``url`` is the simulator's own hosted page, ``/_sim/checkout/{id}``, where "Pay"
completes it (:func:`lifecycle.complete_checkout`); portal sessions point at
``/_sim/portal/{id}``. Only ``mode=subscription`` is simulated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.stripe import errors, lifecycle, listing, render
from creatorflow.sandbox.stripe.encoding import Call
from creatorflow.sandbox.stripe.model import CheckoutSession, LineItem, PortalSession

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

MIN_EXPIRY, MAX_EXPIRY, DEFAULT_EXPIRY = 30 * 60, 24 * 3600, 24 * 3600
DEFAULT_PORTAL_CONFIGURATION = "bpc_sandboxdefault0000000000"


def create_session(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/checkout/sessions``."""
    p = call.params
    mode = p.need("mode", choices=("payment", "setup", "subscription"))
    items = p.array("line_items") or []
    line_items: list[tuple[str, int | None, str]] = []
    for li in items:
        line_items.append((li.need("price"), li.integer("quantity", minimum=0), li.prefix))
        li.ignore("adjustable_quantity", "tax_rates", "dynamic_tax_rates")
    customer = p.text("customer")
    customer_email = p.text("customer_email")
    client_reference_id = p.text("client_reference_id", max_length=200)
    success_url = p.text("success_url", max_length=5000)
    cancel_url = p.text("cancel_url", max_length=5000)
    metadata = p.metadata({})
    sub_data = p.hash("subscription_data")
    sub_metadata: dict[str, str] = {}
    trial_days, description = None, None
    if sub_data is not None:
        sub_metadata = sub_data.metadata({})
        trial_days = sub_data.integer("trial_period_days", minimum=1)
        description = sub_data.text("description")
        sub_data.ignore(
            "proration_behavior", "billing_mode", "default_tax_rates", "invoice_settings"
        )
    expires_at = p.integer("expires_at")
    allow_promotion_codes = p.flag("allow_promotion_codes")
    locale = p.text("locale")
    ui_mode = p.text("ui_mode", choices=("hosted_page", "embedded_page", "elements", "form"))
    p.ignore(
        "payment_method_types",
        "billing_address_collection",
        "automatic_tax",
        "tax_id_collection",
        "consent_collection",
        "custom_text",
        "payment_method_collection",
    )
    p.finish()
    if mode != "subscription":
        raise errors.invalid("This simulator supports only `mode=subscription`.", param="mode")
    if not line_items:
        raise errors.missing("line_items")
    if customer is not None and customer_email is not None:
        raise errors.invalid(
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
        )
    if customer is not None and customer not in sim.customers:
        raise errors.no_such("customer", customer, param="customer")
    if ui_mode in ("embedded_page", "elements") and (success_url or cancel_url):
        raise errors.invalid(
            f"`success_url` and `cancel_url` are not allowed with ui_mode={ui_mode}.",
            param="success_url",
        )
    now = sim.timestamp()
    if expires_at is None:
        expires_at = now + DEFAULT_EXPIRY
    elif not now + MIN_EXPIRY <= expires_at <= now + MAX_EXPIRY:
        raise errors.invalid(
            "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
            param="expires_at",
        )
    lines = _check_items(sim, line_items)
    s = CheckoutSession(
        sim.ids.new("cs_test_"),
        now,
        sim.ids.seq(),
        mode,
        lines,
        sim.public_url or call.base_url,
        expires_at,
        customer=customer,
        customer_email=customer_email,
        client_reference_id=client_reference_id,
        success_url=success_url,
        cancel_url=cancel_url,
        metadata=metadata,
        subscription_metadata=sub_metadata,
        subscription_description=description,
        trial_period_days=trial_days,
        allow_promotion_codes=allow_promotion_codes,
        locale=locale,
        ui_mode=ui_mode or "hosted_page",
    )
    sim.checkout_sessions[s.id] = s
    return render.checkout_session(sim, s)


def _check_items(
    sim: StripeSimulator, line_items: list[tuple[str, int | None, str]]
) -> list[LineItem]:
    lines = []
    cycle: tuple[str, int, str] | None = None
    for price_id, quantity, prefix in line_items:
        price = sim.prices.get(price_id)
        if price is None:
            raise errors.no_such("price", price_id, param=f"{prefix}[price]")
        if not price.active:
            raise errors.invalid(f"The price `{price_id}` is not active.", param=f"{prefix}[price]")
        rec = price.recurring
        if rec is None:
            raise errors.invalid(
                "You must provide at least one recurring price in `subscription` mode when "
                "using prices.",
                param=f"{prefix}[price]",
            )
        if rec.usage_type == "metered" and quantity is not None:
            raise errors.invalid(
                "Quantity should not be specified where usage_type is `metered`. Remove "
                f"quantity from `{prefix}`.",
                param=f"{prefix}[quantity]",
            )
        if rec.usage_type == "licensed" and quantity is None:
            raise errors.invalid(
                f"Quantity is required. Add `quantity` to `{prefix}`.",
                param=f"{prefix}[quantity]",
            )
        this = (rec.interval, rec.interval_count, price.currency)
        if cycle is not None and this != cycle:
            raise errors.invalid(
                "All prices on a subscription must have the same currency, "
                "`recurring.interval` and `recurring.interval_count`.",
                param=f"{prefix}[price]",
            )
        cycle = this
        lines.append(LineItem(sim.ids.new("li_"), price_id, quantity))
    return lines


def _session(sim: StripeSimulator, session_id: str) -> CheckoutSession:
    s = sim.checkout_sessions.get(session_id)
    if s is None:
        raise errors.no_such("checkout.session", session_id)
    return s


def get_session(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/checkout/sessions/{id}``."""
    call.params.finish()
    return render.checkout_session(sim, _session(sim, call.ids["id"]))


def list_sessions(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/checkout/sessions`` (``customer``, ``subscription``, ``status`` filters)."""
    p = call.params
    customer = p.text("customer")
    subscription = p.text("subscription")
    status = p.text("status", choices=("open", "complete", "expired"))
    found = [
        s
        for s in sim.checkout_sessions.values()
        if (customer is None or s.customer == customer)
        and (subscription is None or s.subscription == subscription)
        and (status is None or s.status == status)
    ]
    result = listing.page(
        p,
        listing.newest_first(found),
        "/v1/checkout/sessions",
        lambda s: render.checkout_session(sim, s),
        lambda s: s.id,
        "checkout.session",
    )
    p.finish()
    return result


def line_items(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/checkout/sessions/{id}/line_items``."""
    s = _session(sim, call.ids["id"])
    p = call.params
    result = listing.page(
        p,
        s.line_items,
        f"/v1/checkout/sessions/{s.id}/line_items",
        lambda li: render.session_line_item(sim, li),
        lambda li: li.id,
        "item",
    )
    p.finish()
    return result


def expire_session(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/checkout/sessions/{id}/expire``."""
    call.params.finish()
    s = _session(sim, call.ids["id"])
    if s.status != "open":
        raise errors.invalid(
            f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
            f"Session has a status of {s.status}."
        )
    lifecycle.expire(sim, s, sim.timestamp())
    return render.checkout_session(sim, s)


def create_portal_session(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/billing_portal/sessions``."""
    p = call.params
    customer = p.need("customer")
    return_url = p.text("return_url", max_length=5000)
    configuration = p.text("configuration")
    locale = p.text("locale")
    flow = None
    if (flow_data := p.hash("flow_data")) is not None:
        flow = _plain(flow_data.data)
        flow_data.ignore(*flow_data.data)
    p.ignore("on_behalf_of")
    p.finish()
    if customer not in sim.customers:
        raise errors.no_such("customer", customer, param="customer")
    if configuration is not None and configuration != DEFAULT_PORTAL_CONFIGURATION:
        raise errors.no_such("billing portal configuration", configuration, param="configuration")
    s = PortalSession(
        sim.ids.new("bps_"),
        sim.timestamp(),
        sim.ids.seq(),
        customer,
        sim.public_url or call.base_url,
        return_url,
        DEFAULT_PORTAL_CONFIGURATION,
        flow,
        locale,
    )
    sim.portal_sessions[s.id] = s
    return render.portal_session(sim, s)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    return node
