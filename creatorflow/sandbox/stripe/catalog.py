"""Customers, products and prices: ``/v1/customers``, ``/v1/products``, ``/v1/prices``."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from creatorflow.sandbox.stripe import errors, listing, render
from creatorflow.sandbox.stripe.encoding import Call, Params
from creatorflow.sandbox.stripe.lifecycle import new_customer
from creatorflow.sandbox.stripe.model import Customer, Price, Product, Recurring
from creatorflow.sandbox.stripe.webhooks import emit

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

INTERVALS = ("day", "week", "month", "year")


def _customer(sim: StripeSimulator, customer_id: str) -> Customer:
    c = sim.customers.get(customer_id)
    if c is None:
        raise errors.no_such("customer", customer_id)
    return c


def create_customer(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/customers``."""
    p = call.params
    fields = {k: p.text(k) for k in ("email", "name", "description", "phone")}
    metadata = p.metadata({})
    p.ignore("payment_method", "invoice_settings", "preferred_locales", "address")
    p.finish()
    c = new_customer(sim, sim.timestamp(), metadata=metadata, **fields)
    return render.customer(sim, c)


def get_customer(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/customers/{id}``."""
    call.params.finish()
    return render.customer(sim, _customer(sim, call.ids["id"]))


def update_customer(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/customers/{id}``."""
    c = _customer(sim, call.ids["id"])
    p = call.params
    before = render.customer(sim, c)
    changes = {k: p.text(k) for k in ("email", "name", "description", "phone") if p.has(k)}
    metadata = p.metadata(c.metadata)
    p.ignore("invoice_settings", "preferred_locales", "address")
    p.finish()
    for key, value in changes.items():
        setattr(c, key, value)
    c.metadata = metadata
    after = render.customer(sim, c)
    previous = {k: v for k, v in before.items() if after[k] != v}
    if previous:
        emit(sim, "customer.updated", after, previous=previous)
    return after


def delete_customer(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``DELETE /v1/customers/{id}`` (its live subscriptions end now)."""
    call.params.finish()
    c = _customer(sim, call.ids["id"])
    from creatorflow.sandbox.stripe.lifecycle import LIVE, cancel_now

    for sub in list(sim.subscriptions.values()):
        if sub.customer == c.id and sub.status in LIVE:
            cancel_now(sim, sub.id, sim.timestamp())
    rendered = render.customer(sim, c)
    del sim.customers[c.id]
    emit(sim, "customer.deleted", rendered)
    return {"id": c.id, "object": "customer", "deleted": True}


def list_customers(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/customers`` (``email``, ``created`` filters)."""
    p = call.params
    email = p.text("email")
    low, high = p.time_range("created")
    found = [
        c
        for c in sim.customers.values()
        if (email is None or c.email == email)
        and (low is None or c.created >= low)
        and (high is None or c.created <= high)
    ]
    result = listing.page(
        p,
        listing.newest_first(found),
        "/v1/customers",
        lambda c: render.customer(sim, c),
        lambda c: c.id,
        "customer",
    )
    p.finish()
    return result


def _product_fields(p: Params, product: Product) -> None:
    if p.has("name"):
        product.name = p.need("name")
    if (active := p.flag("active")) is not None:
        product.active = active
    if p.has("description"):
        product.description = p.text("description")
    product.metadata = p.metadata(product.metadata)


def create_product(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/products`` (an ``id`` of your own is allowed, as on Stripe)."""
    p = call.params
    now = sim.timestamp()
    product_id = p.text("id") or sim.ids.new("prod_")
    product = Product(product_id, now, sim.ids.seq(), p.need("name"), updated=now)
    _product_fields(p, product)
    p.ignore(
        "images",
        "marketing_features",
        "statement_descriptor",
        "tax_code",
        "unit_label",
        "url",
        "shippable",
    )
    p.finish()
    if product_id in sim.products:
        raise errors.invalid("Product already exists.", param="id", code="resource_already_exists")
    sim.products[product_id] = product
    emit(sim, "product.created", render.product(sim, product))
    return render.product(sim, product)


def _product(sim: StripeSimulator, product_id: str, param: str | None = None) -> Product:
    product = sim.products.get(product_id)
    if product is None:
        raise errors.no_such("product", product_id, param=param)
    return product


def get_product(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/products/{id}``."""
    call.params.finish()
    return render.product(sim, _product(sim, call.ids["id"]))


def update_product(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/products/{id}``."""
    product = _product(sim, call.ids["id"])
    p = call.params
    draft = Product(**vars(product))
    _product_fields(p, draft)
    p.finish()
    draft.updated = sim.timestamp()
    sim.products[product.id] = draft
    emit(sim, "product.updated", render.product(sim, draft))
    return render.product(sim, draft)


def list_products(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/products`` (``active``, ``ids[]`` filters)."""
    p = call.params
    active = p.flag("active")
    ids = p.strings("ids")
    found = [
        x
        for x in sim.products.values()
        if (active is None or x.active == active) and (not ids or x.id in ids)
    ]
    result = listing.page(
        p,
        listing.newest_first(found),
        "/v1/products",
        lambda x: render.product(sim, x),
        lambda x: x.id,
        "product",
    )
    p.finish()
    return result


def _tiers(p: Params) -> list[dict[str, Any]]:
    tiers = []
    for tier in p.array("tiers") or []:
        up_to = tier.need("up_to")
        flat = tier.integer("flat_amount", minimum=0)
        unit_decimal = tier.decimal("unit_amount_decimal")
        tiers.append(
            {
                "flat_amount": flat,
                "flat_amount_decimal": None if flat is None else str(flat),
                "unit_amount": tier.integer("unit_amount", minimum=0),
                "unit_amount_decimal": None if unit_decimal is None else format(unit_decimal, "f"),
                "up_to": None if up_to == "inf" else int(up_to),
            }
        )
    return tiers


def _claim_lookup_key(sim: StripeSimulator, key: str, transfer: bool, owner: str) -> None:
    holder = next((x for x in sim.prices.values() if x.lookup_key == key and x.id != owner), None)
    if holder is None:
        return
    if not transfer:
        raise errors.invalid(
            f"A price (`{holder.id}`) already uses that lookup key.", param="lookup_key"
        )
    holder.lookup_key = None


def create_price(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/prices`` (recurring licensed or metered, per-unit or tiered)."""
    p = call.params
    currency = p.need("currency").lower()
    product_id = p.text("product")
    product_data = p.hash("product_data")
    unit_amount = p.integer("unit_amount", minimum=0)
    unit_decimal = p.decimal("unit_amount_decimal")
    scheme = p.text("billing_scheme", choices=("per_unit", "tiered")) or "per_unit"
    tiers_mode = p.text("tiers_mode", choices=("graduated", "volume"))
    tiers = _tiers(p)
    recurring = None
    if (rec := p.hash("recurring")) is not None:
        recurring = Recurring(
            rec.need("interval", choices=INTERVALS),
            rec.integer("interval_count", minimum=1) or 1,
            rec.text("usage_type", choices=("licensed", "metered")) or "licensed",
            rec.text("meter"),
        )
    lookup_key = p.text("lookup_key", max_length=200)
    transfer = bool(p.flag("transfer_lookup_key"))
    nickname = p.text("nickname")
    active = p.flag("active")
    tax_behavior = p.text("tax_behavior", choices=("exclusive", "inclusive", "unspecified"))
    metadata = p.metadata({})
    name = product_data.need("name") if product_data is not None else None
    p.finish()
    if product_id is None and name is None:
        raise errors.missing("product")
    if product_id is not None:
        _product(sim, product_id, param="product")
    if scheme == "tiered" and (not tiers or tiers_mode is None):
        raise errors.missing("tiers" if not tiers else "tiers_mode")
    if scheme == "per_unit" and unit_amount is None and unit_decimal is None:
        raise errors.missing("unit_amount")
    if recurring is not None and recurring.usage_type == "metered":
        if recurring.meter is None:
            raise errors.invalid(
                "You must provide a meter when creating a metered price.", param="recurring[meter]"
            )
        if recurring.meter not in sim.meters:
            raise errors.no_such("billing.meter", recurring.meter, param="recurring[meter]")
    now = sim.timestamp()
    if product_id is None:
        assert name is not None
        product_id = sim.ids.new("prod_")
        sim.products[product_id] = Product(product_id, now, sim.ids.seq(), name, updated=now)
    price_id = sim.ids.new("price_")
    if lookup_key is not None:
        _claim_lookup_key(sim, lookup_key, transfer, price_id)
    decimal = (
        unit_decimal
        if unit_decimal is not None
        else (None if unit_amount is None else Decimal(unit_amount))
    )
    price = Price(
        price_id,
        now,
        sim.ids.seq(),
        product_id,
        currency,
        unit_amount,
        decimal,
        recurring,
        lookup_key,
        nickname,
        active is not False,
        metadata,
        scheme,
        tiers_mode,
        tiers,
        tax_behavior or "unspecified",
    )
    sim.prices[price_id] = price
    emit(sim, "price.created", render.price(sim, price))
    return render.price(sim, price)


def _price(sim: StripeSimulator, price_id: str) -> Price:
    price = sim.prices.get(price_id)
    if price is None:
        raise errors.no_such("price", price_id)
    return price


def get_price(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/prices/{id}``."""
    call.params.finish()
    return render.price(sim, _price(sim, call.ids["id"]))


def update_price(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``POST /v1/prices/{id}`` (``active``, ``lookup_key``, ``nickname``, ``metadata``)."""
    price = _price(sim, call.ids["id"])
    p = call.params
    active = p.flag("active")
    lookup_key = p.text("lookup_key", max_length=200)
    transfer = bool(p.flag("transfer_lookup_key"))
    nickname = p.text("nickname")
    metadata = p.metadata(price.metadata)
    p.finish()
    if lookup_key is not None:
        _claim_lookup_key(sim, lookup_key, transfer, price.id)
        price.lookup_key = lookup_key
    elif p.has("lookup_key"):
        price.lookup_key = None
    if active is not None:
        price.active = active
    if p.has("nickname"):
        price.nickname = nickname
    price.metadata = metadata
    emit(sim, "price.updated", render.price(sim, price))
    return render.price(sim, price)


def list_prices(sim: StripeSimulator, call: Call) -> dict[str, Any]:
    """``GET /v1/prices`` (``active``, ``currency``, ``product``, ``type``, ``lookup_keys[]``)."""
    p = call.params
    active = p.flag("active")
    currency = p.text("currency")
    product = p.text("product")
    kind = p.text("type", choices=("one_time", "recurring"))
    lookup_keys = p.strings("lookup_keys")
    if lookup_keys is not None and len(lookup_keys) > 10:
        raise errors.invalid("You can pass at most 10 lookup_keys.", param="lookup_keys")

    def wanted(x: Price) -> bool:
        return (
            (active is None or x.active == active)
            and (currency is None or x.currency == currency.lower())
            and (product is None or x.product == product)
            and (kind is None or (x.recurring is not None) == (kind == "recurring"))
            and (lookup_keys is None or x.lookup_key in lookup_keys)
        )

    found = [x for x in sim.prices.values() if wanted(x)]
    result = listing.page(
        p,
        listing.newest_first(found),
        "/v1/prices",
        lambda x: render.price(sim, x),
        lambda x: x.id,
        "price",
    )
    p.finish()
    return result
