"""Lists (``limit``, ``starting_after``, ``ending_before``, a correct ``url``) and ``expand``.

``expand[]`` replaces an id with the object it names, at any depth up to 4 (``data.`` steps
into list elements); "includable" fields (``checkout.session.line_items``, ``price.tiers``)
appear only when expanded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from creatorflow.sandbox.stripe import errors
from creatorflow.sandbox.stripe.encoding import Params
from creatorflow.sandbox.stripe.render import (
    checkout_session,
    customer,
    invoice,
    item,
    meter,
    price,
    product,
    session_line_item,
    subscription,
)

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

T = TypeVar("T")
JSONDict = dict[str, Any]


def by_id(sim: StripeSimulator, object_id: str) -> JSONDict | None:
    """Any stored object by its id (what ``expand`` replaces an id with), or None."""
    table: Sequence[tuple[str, Callable[[], JSONDict | None]]] = (
        ("cus_", lambda: _maybe(sim, sim.customers.get(object_id), customer)),
        ("prod_", lambda: _maybe(sim, sim.products.get(object_id), product)),
        ("price_", lambda: _maybe(sim, sim.prices.get(object_id), price)),
        ("sub_", lambda: _maybe(sim, sim.subscriptions.get(object_id), subscription)),
        ("si_", lambda: _maybe(sim, sim.items.get(object_id), item)),
        ("in_", lambda: _maybe(sim, sim.invoices.get(object_id), invoice)),
        ("cs_", lambda: _maybe(sim, sim.checkout_sessions.get(object_id), checkout_session)),
        ("mtr_", lambda: _maybe(sim, sim.meters.get(object_id), meter)),
    )
    for prefix, render in table:
        if object_id.startswith(prefix):
            return render()
    return None


def _maybe(sim: StripeSimulator, obj: T | None, render: Callable[[Any, T], JSONDict]) -> Any:
    return None if obj is None else render(sim, obj)


def _line_items(sim: StripeSimulator, node: JSONDict) -> JSONDict:
    s = sim.checkout_sessions[node["id"]]
    return {
        "object": "list",
        "data": [session_line_item(sim, i) for i in s.line_items],
        "has_more": False,
        "url": f"/v1/checkout/sessions/{s.id}/line_items",
    }


def _tiers(sim: StripeSimulator, node: JSONDict) -> list[dict[str, Any]]:
    return [dict(t) for t in sim.prices[node["id"]].tiers]


# Fields that appear only when expanded (Stripe's "includable" properties).
_INCLUDABLE: dict[tuple[str, str], Callable[[StripeSimulator, JSONDict], Any]] = {
    ("checkout.session", "line_items"): _line_items,
    ("price", "tiers"): _tiers,
}


def expand(sim: StripeSimulator, obj: JSONDict, paths: Sequence[str]) -> JSONDict:
    """`obj` with each dotted path of ``expand[]`` replaced by the object it names."""
    for path in paths:
        parts = path.split(".")
        if len(parts) > 4:
            raise errors.invalid(
                f"You cannot expand more than 4 levels of a property. Property: {path}",
                param="expand",
            )
        _expand(sim, obj, parts, path)
    return obj


def _expand(sim: StripeSimulator, node: Any, parts: list[str], path: str) -> None:
    if not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    if node.get("object") == "list" and head == "data" and rest:
        for element in node.get("data", []):
            _expand(sim, element, rest, path)
        return
    include = _INCLUDABLE.get((str(node.get("object")), head))
    if include is not None:
        node[head] = include(sim, node)
    elif head == "id" or head not in node:
        raise errors.invalid(f"This property cannot be expanded ({path}).", param="expand")
    value = node[head]
    if isinstance(value, str):
        rendered = by_id(sim, value)
        if rendered is None:
            raise errors.invalid(f"This property cannot be expanded ({path}).", param="expand")
        node[head] = value = rendered
    elif value is not None and not isinstance(value, (dict, list)):
        raise errors.invalid(f"This property cannot be expanded ({path}).", param="expand")
    if rest:
        _expand(sim, value, rest, path)


def page(
    p: Params,
    objects: Sequence[T],
    url: str,
    render: Callable[[T], JSONDict],
    ident: Callable[[T], str],
    kind: str,
) -> JSONDict:
    """One page of `objects` (already newest first) per ``limit`` and the two cursors."""
    limit = p.integer("limit")
    if limit is None:
        limit = 10
    if not 1 <= limit <= 100:
        raise errors.invalid(
            "Invalid limit: must be between 1 and 100",
            param="limit",
            code="parameter_invalid_integer",
        )
    after, before = p.text("starting_after"), p.text("ending_before")
    ids = [ident(o) for o in objects]
    if after is not None:
        if after not in ids:
            raise errors.no_such(kind, after, param="starting_after")
        start = ids.index(after) + 1
        window = objects[start : start + limit]
        has_more = start + limit < len(objects)
    elif before is not None:
        if before not in ids:
            raise errors.no_such(kind, before, param="ending_before")
        end = ids.index(before)
        start = max(0, end - limit)
        window = objects[start:end]
        has_more = start > 0
    else:
        window = objects[:limit]
        has_more = len(objects) > limit
    return {
        "object": "list",
        "data": [render(o) for o in window],
        "has_more": has_more,
        "url": url,
    }


def newest_first(objects: Sequence[T]) -> list[T]:
    """`objects` ordered as Stripe lists them: newest ``created`` first, then newest ``seq``."""
    return sorted(objects, key=lambda o: (getattr(o, "created", 0), getattr(o, "seq", 0)))[::-1]
