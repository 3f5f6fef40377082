"""The order store: sorted indexes, keyset page tokens and the two order endpoints.

Search pages are keyset cursors on ``(sort key, id)``, not offsets, so a walk stays valid while
orders change. Under ``sort_field=update_time`` an order updated mid-walk moves to its new
``update_time``: with ``ASC`` it shows up again later, with ``DESC`` it jumps behind the cursor —
which is how TikTok behaves too, hence the advice to poll ``update_time`` ASC with an overlap.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import msgspec

from creatorflow.sandbox.tiktok.errors import ApiError, invalid_param
from creatorflow.sandbox.tiktok.model import ORDER_STATUSES, Order
from creatorflow.sandbox.tiktok.render import render_order

ENCODER = msgspec.json.Encoder()
# Three bytes that base64 to "++++" and three that give "////": real TikTok tokens carry both
# characters, and clients that forget to URL-encode page_token must fail here as they do there.
_TOKEN_MAGIC = b"\xfb\xef\xbe\xff\xff\xff"
_INDEX_KEY = tuple[int, str]


class PageTokens:
    """Opaque, tamper-evident page tokens (standard base64, always containing ``/`` and ``+``)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def encode(self, payload: list[object]) -> str:
        """Seal `payload` into a token."""
        body = msgspec.json.encode(payload)
        mac = hmac.new(self._secret, body, hashlib.sha256).digest()[:6]
        return base64.b64encode(_TOKEN_MAGIC + mac + body).decode()

    def decode(self, token: str) -> list[object]:
        """Open a token; anything forged or mangled is a 36009004."""
        bad = invalid_param("Invalid parameter. The `page_token` query parameter is invalid.")
        try:
            raw = base64.b64decode(token, validate=True)
        except (binascii.Error, ValueError):
            raise bad from None
        magic, mac, body = raw[:6], raw[6:12], raw[12:]
        expected = hmac.new(self._secret, body, hashlib.sha256).digest()[:6]
        if magic != _TOKEN_MAGIC or not hmac.compare_digest(mac, expected):
            raise bad
        try:
            payload = msgspec.json.decode(body)
        except msgspec.DecodeError:
            raise bad from None
        if not isinstance(payload, list):
            raise bad
        return payload


@dataclass(frozen=True)
class OrderQuery:
    """A validated Search Orders request."""

    page_size: int
    sort_field: str
    descending: bool
    cursor: tuple[int, str] | None
    ranges: tuple[tuple[str, int | None, int | None], ...]
    status: str | None
    shipping_type: str | None
    buyer_user_id: str | None
    buyer_cancel: bool | None
    warehouse_ids: frozenset[str] | None


def _int_field(body: Mapping[str, object], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_param(f"Invalid parameter. `{name}` must be a Unix timestamp.")
    return value


def _str_field(body: Mapping[str, object], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid_param(f"Invalid parameter. `{name}` must be a string.")
    return value


def parse_order_query(
    query: Mapping[str, str], body: Mapping[str, object], tokens: PageTokens, now: int
) -> OrderQuery:
    """Validate query and body of Search Orders, resolving the documented time defaults."""
    try:
        page_size = int(query.get("page_size", ""))
    except ValueError:
        page_size = 0
    if not 1 <= page_size <= 100:
        raise invalid_param("Invalid parameter. `page_size` is required and must be 1-100.")
    sort_field = query.get("sort_field") or "create_time"
    sort_order = query.get("sort_order") or "DESC"
    if sort_field not in ("create_time", "update_time"):
        raise invalid_param("Invalid parameter. `sort_field` must be create_time or update_time.")
    if sort_order not in ("ASC", "DESC"):
        raise invalid_param("Invalid parameter. `sort_order` must be ASC or DESC.")
    cursor = None
    if query.get("page_token"):
        payload = tokens.decode(query["page_token"])
        if len(payload) != 4 or payload[:2] != [sort_field, sort_order]:
            raise invalid_param("Invalid parameter. The `page_token` does not match this query.")
        key, last_id = payload[2], payload[3]
        if not isinstance(key, int) or not isinstance(last_id, str):
            raise invalid_param("Invalid parameter. The `page_token` query parameter is invalid.")
        cursor = (key, last_id)
    ranges = []
    for name in ("create_time", "update_time"):
        ge, lt = _int_field(body, f"{name}_ge"), _int_field(body, f"{name}_lt")
        # Only _ge: _lt defaults to now on TikTok. Here it stays open: an order changed twice in
        # one second carries an update_time a second ahead (it only moves forward), and "now"
        # must not hide it. Only _lt: _ge defaults to the shop's earliest time.
        if ge is not None or lt is not None:
            ranges.append((name, ge, lt))
    status = _str_field(body, "order_status")
    if status is not None and status not in ORDER_STATUSES:
        raise invalid_param("Invalid parameter. `order_status` is not a valid order status.")
    cancel = body.get("is_buyer_request_cancel")
    warehouses = body.get("warehouse_ids")
    return OrderQuery(
        page_size=page_size,
        sort_field=sort_field,
        descending=sort_order == "DESC",
        cursor=cursor,
        ranges=tuple(ranges),
        status=status,
        shipping_type=_str_field(body, "shipping_type"),
        buyer_user_id=_str_field(body, "buyer_user_id"),
        buyer_cancel=cancel if isinstance(cancel, bool) else None,
        warehouse_ids=frozenset(str(w) for w in warehouses)
        if isinstance(warehouses, list) and warehouses
        else None,
    )


class OrderBook:
    """All orders, indexed per shop by ``(create_time, id)`` and ``(update_time, id)``."""

    def __init__(self, tokens: PageTokens) -> None:
        self.orders: dict[str, Order] = {}
        self.tokens = tokens
        self._by_create: dict[str, list[_INDEX_KEY]] = {}
        self._by_update: dict[str, list[_INDEX_KEY]] = {}
        self._counts: dict[object, tuple[int, int]] = {}
        self.version = 0

    def add(self, order: Order) -> None:
        """Store a new order."""
        self.orders[order.id] = order
        insort(self._by_create.setdefault(order.shop_id, []), (order.create_time, order.id))
        insort(self._by_update.setdefault(order.shop_id, []), (order.update_time, order.id))
        self.version += 1

    def changed(self, order: Order, when: int) -> None:
        """Record that `order` changed at `when`: bump ``update_time``, re-index, re-render."""
        index = self._by_update[order.shop_id]
        old = (order.update_time, order.id)
        order.touch(when)
        new = (order.update_time, order.id)
        if new != old:
            del index[bisect_left(index, old)]
            insort(index, new)
        self.version += 1

    def rendered(self, order: Order, *, detail: bool) -> bytes:
        """The order's JSON, cached until it next changes."""
        cached = order.cached.get(detail)
        if cached is None:
            cached = ENCODER.encode(render_order(order, detail=detail))
            order.cached[detail] = cached
        return cached

    def search(self, shop_id: str, q: OrderQuery) -> bytes:
        """One Search Orders page as the JSON of ``data``."""
        index = (self._by_create if q.sort_field == "create_time" else self._by_update).get(
            shop_id, []
        )
        lo, hi = 0, len(index)
        others = []
        for name, ge, lt in q.ranges:
            if name == q.sort_field:
                if ge is not None:
                    lo = max(lo, bisect_left(index, (ge, "")))
                if lt is not None:
                    hi = min(hi, bisect_left(index, (lt, "")))
            else:
                others.append((name, ge, lt))
        predicate = _predicate(q, others)
        total = self._count(shop_id, q, lo, hi, index, predicate)
        start, stop = lo, hi
        if q.cursor is not None:
            if q.descending:
                stop = min(stop, bisect_left(index, q.cursor))
            else:
                start = max(start, bisect_right(index, q.cursor))
        page: list[Order] = []
        more = False
        for order in self._walk(index, start, stop, q.descending):
            if predicate is None or predicate(order):
                if len(page) == q.page_size:
                    more = True
                    break
                page.append(order)
        token = ""
        if more:
            last = page[-1]
            key = last.create_time if q.sort_field == "create_time" else last.update_time
            token = self.tokens.encode(
                [q.sort_field, "DESC" if q.descending else "ASC", key, last.id]
            )
        parts = b",".join(self.rendered(o, detail=False) for o in page)
        return b"".join(
            (
                b'{"orders":[',
                parts,
                b'],"next_page_token":',
                ENCODER.encode(token),
                b',"total_count":',
                str(total).encode(),
                b"}",
            )
        )

    def _walk(
        self, index: list[_INDEX_KEY], start: int, stop: int, descending: bool
    ) -> Iterator[Order]:
        positions = range(stop - 1, start - 1, -1) if descending else range(start, stop)
        orders = self.orders
        for i in positions:
            yield orders[index[i][1]]

    def _count(
        self,
        shop_id: str,
        q: OrderQuery,
        lo: int,
        hi: int,
        index: list[_INDEX_KEY],
        predicate: Callable[[Order], bool] | None,
    ) -> int:
        if predicate is None:
            return max(0, hi - lo)
        key = (
            shop_id,
            q.sort_field,
            q.ranges,
            q.status,
            q.shipping_type,
            q.buyer_user_id,
            q.buyer_cancel,
            q.warehouse_ids,
        )
        cached = self._counts.get(key)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        count = sum(1 for o in self._walk(index, lo, hi, False) if predicate(o))
        if len(self._counts) > 256:
            self._counts.clear()
        self._counts[key] = (self.version, count)
        return count

    def detail(self, shop_id: str, ids_param: str | None) -> bytes:
        """Get Order Detail: up to 50 ids; ids of other shops or unknown ids fail as one."""
        ids = [i for i in (ids_param or "").split(",") if i]
        if not ids:
            raise invalid_param("Invalid parameter. `ids` is required.")
        if len(ids) > 50:
            raise invalid_param("Invalid parameter. `ids` accepts at most 50 order ids.")
        found = []
        for order_id in ids:
            order = self.orders.get(order_id)
            if order is None or order.shop_id != shop_id:
                raise ApiError(
                    21008111, "The order or package does not belong to the current seller."
                )
            found.append(self.rendered(order, detail=True))
        return b'{"orders":[' + b",".join(found) + b"]}"


def _time_check(name: str, low: int, high: int) -> Callable[[Order], bool]:
    if name == "create_time":
        return lambda o: low <= o.create_time < high
    return lambda o: low <= o.update_time < high


def _predicate(
    q: OrderQuery, others: list[tuple[str, int | None, int | None]]
) -> Callable[[Order], bool] | None:
    checks: list[Callable[[Order], bool]] = []
    if q.status is not None:
        status = q.status
        checks.append(lambda o: o.status == status)
    for name, ge, lt in others:
        low = ge if ge is not None else -1
        high = lt if lt is not None else 1 << 62
        checks.append(_time_check(name, low, high))
    if q.shipping_type is not None:
        shipping = q.shipping_type
        checks.append(lambda o: o.shipping_type == shipping)
    if q.buyer_user_id is not None:
        buyer = q.buyer_user_id
        checks.append(lambda o: o.user_id == buyer)
    if q.buyer_cancel:
        # No simulated buyer ever has a cancellation request pending.
        checks.append(lambda o: False)
    if q.warehouse_ids is not None:
        warehouses = q.warehouse_ids
        checks.append(lambda o: o.warehouse_id in warehouses)
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda o: all(check(o) for check in checks)
