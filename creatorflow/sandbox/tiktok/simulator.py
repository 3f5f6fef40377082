"""The TikTok Shop simulator: state, knobs and test hooks behind one ASGI app."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import msgspec

from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.tiktok.app import build_app
from creatorflow.sandbox.tiktok.checks import RateLimiter, webhook_signature
from creatorflow.sandbox.tiktok.data import IdMaker, make_catalogue, make_order, make_shops
from creatorflow.sandbox.tiktok.errors import RequestIds, business
from creatorflow.sandbox.tiktok.faults import FaultPlan
from creatorflow.sandbox.tiktok.fulfilment import PROVIDERS, Provider
from creatorflow.sandbox.tiktok.lifecycle import Lifecycle
from creatorflow.sandbox.tiktok.model import (
    ORDER_STATUSES,
    PARTIALLY_SHIPPING,
    Order,
    Package,
    Product,
    Shop,
)
from creatorflow.sandbox.tiktok.orders import OrderBook, PageTokens
from creatorflow.sandbox.tiktok.tokens import Authorization

USPS = "7117858858072016686"


class TikTokShopSimulator:
    """A faithful local TikTok Shop (Open API 202309 + v2 token endpoints + authorize page).

    ``app`` serves everything from one origin: it is both the API host and the auth host.
    All state sits behind ``lock``; the lifecycle is applied lazily on each request and on
    ``advance()``. Signing and token expiry follow the real ``wall`` clock; orders follow
    ``clock``.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        app_key: str = "sandbox-app-key",
        app_secret: str = "sandbox-app-secret",  # noqa: S107 - a sandbox-only fake
        service_id: str = "sandbox-service",
        clock: SimClock | None = None,
        region: str = "US",
        shop_count: int = 1,
        product_count: int = 12,
        qps: float = 50.0,
        hold: timedelta = timedelta(hours=1),
        cancel_rate: float = 0.05,
        orders_per_hour: float = 0.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.seed = seed
        self.app_key = app_key
        self.app_secret = app_secret
        self.service_id = service_id
        self.region = region
        self.clock = clock if clock is not None else SimClock()
        self.wall = wall
        self.lock = threading.RLock()
        self.ids = IdMaker(seed)
        self.shops: list[Shop] = make_shops(seed, shop_count, region)
        start = self.clock_now()
        self._products = {s.id: make_catalogue(seed, s, product_count, start) for s in self.shops}
        secret = hashlib.sha256(f"{seed}/{app_secret}/page-tokens".encode()).digest()
        self.page_tokens = PageTokens(secret)
        self.book = OrderBook(self.page_tokens)
        self.packages: dict[str, Package] = {}
        self.tracking_numbers: dict[str, str] = {}
        self.ship_calls: Counter[str] = Counter()
        self.label_purchases: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.request_ids = RequestIds(seed)
        self.faults = FaultPlan(seed)
        self.limiter = RateLimiter(qps, wall)
        self._seq = 0
        self.lifecycle = Lifecycle(
            self.book,
            seed=seed,
            hold_seconds=int(hold.total_seconds()),
            cancel_rate=cancel_rate,
            orders_per_hour=orders_per_hour,
            create_order=self._new_order,
            start=start,
        )
        self.auth = Authorization(
            self.ids,
            app_key=app_key,
            app_secret=app_secret,
            seller_name=self.shops[0].name if self.shops else "Sandbox seller",
            region=region,
            wall=wall,
            sim_now=self.clock_now,
        )
        self.app = build_app(self)

    # -- time -------------------------------------------------------------------------------

    def clock_now(self) -> int:
        """Simulated now, Unix seconds."""
        return int(self.clock.now().timestamp())

    def tick(self) -> None:
        """Apply every lifecycle event due by the simulated now."""
        with self.lock:
            self.lifecycle.tick(self.clock_now())

    def advance(self, delta: timedelta) -> None:
        """Move the simulated clock forward and apply the lifecycle."""
        self.clock.advance(delta)
        self.tick()

    # -- authorization ----------------------------------------------------------------------

    def issue_auth_code(self, state: str | None = None) -> str:
        """The auth code a seller's "Authorize" click yields: 30 simulated minutes, single use."""
        with self.lock:
            return self.auth.issue_code()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far now answers 105002."""
        with self.lock:
            self.auth.expire_access_tokens()

    def expire_refresh_tokens(self) -> None:
        """Refreshing now answers 36004001 "rt has expired"."""
        with self.lock:
            self.auth.expire_refresh_tokens()

    def revoke_authorization(self) -> None:
        """The seller deauthorized the app: refresh → 36004005, API calls → 36009004."""
        with self.lock:
            self.auth.revoke()

    # -- catalogue ----------------------------------------------------------------------------

    def products_of(self, shop_id: str) -> list[Product]:
        """The products of one shop."""
        return self._products.get(shop_id, [])

    def product(self, shop_id: str, product_id: str) -> Product:
        """One product of `shop_id`, or business error 12052032."""
        for product in self.products_of(shop_id):
            if product.id == product_id:
                return product
        raise business(12052032, "The product does not exist")

    # -- orders -------------------------------------------------------------------------------

    def _shop(self, shop_id: str | None) -> Shop:
        if shop_id is None:
            return self.shops[self._seq % len(self.shops)]
        for shop in self.shops:
            if shop.id == shop_id:
                return shop
        raise KeyError(f"no shop {shop_id}")

    def _new_order(self, create_time: int, shop_id: str | None = None) -> Order:
        shop = self._shop(shop_id)
        self._seq += 1
        order = make_order(
            self.seed, self._seq, shop, self.products_of(shop.id), create_time, self.ids
        )
        self.book.add(order)
        return order

    def generate_orders(
        self,
        count: int,
        *,
        spread: timedelta = timedelta(0),
        status: str | None = None,
        shop_id: str | None = None,
    ) -> list[str]:
        """Create `count` orders with create times spread evenly over the last `spread`.

        ``status=None`` starts them UNPAID to live the lifecycle (orders created in the past
        have already lived the part that is due); a status puts them straight there.
        """
        if status is not None and status not in ORDER_STATUSES:
            raise ValueError(f"unknown order status {status!r}")
        with self.lock:
            now = self.clock_now()
            self.lifecycle.tick(now)
            span = int(spread.total_seconds())
            ids = []
            for i in range(count):
                created = now - span + (span * i // (count - 1) if count > 1 else span)
                order = self._new_order(created, shop_id)
                if status is None:
                    self.lifecycle.plan_new(order)
                else:
                    self.lifecycle.force(order, status, now, self._auto_ship)
                ids.append(order.id)
            self.lifecycle.tick(now)
            return ids

    def _auto_ship(self, order: Order) -> None:
        self.new_package(order, [line.id for line in order.lines], "", PROVIDERS[USPS], live=False)
        order.packages[-1].tiktok_label = order.shipping_type == "TIKTOK"

    def new_package(
        self,
        order: Order,
        line_ids: list[str],
        tracking: str,
        provider: Provider,
        *,
        live: bool = True,
    ) -> Package:
        """Ship `line_ids` of `order` in a new package (a fresh USPS number if `tracking` is "")."""
        now = self.clock_now()
        package = Package(
            id=self.ids.package(),
            order_id=order.id,
            shop_id=order.shop_id,
            line_ids=line_ids,
            tracking_number=tracking or self.ids.usps_tracking(),
            provider_id=provider.id,
            provider_name=provider.name,
            create_time=now,
            update_time=now,
        )
        for line in order.lines:
            if line.id in line_ids:
                line.package_id = package.id
        order.packages.append(package)
        self.packages[package.id] = package
        self.tracking_numbers[package.tracking_number] = order.id
        order.rts_time = order.rts_time or now
        if live:
            if all(line.package_id for line in order.lines):
                self.lifecycle.shipped(order, now)
            else:
                order.status = PARTIALLY_SHIPPING
        self.book.changed(order, now)
        return package

    def order(self, order_id: str) -> dict[str, object]:
        """The order as Get Order Detail shows it right now (a fresh copy)."""
        with self.lock:
            self.lifecycle.tick(self.clock_now())
            decoded = msgspec.json.decode(
                self.book.rendered(self.book.orders[order_id], detail=True)
            )
            assert isinstance(decoded, dict)
            return decoded

    def set_order_status(self, order_id: str, status: str) -> None:
        """Test hook: force an order's status; ``update_time`` always moves forward."""
        if status not in ORDER_STATUSES:
            raise ValueError(f"unknown order status {status!r}")
        with self.lock:
            order = self.book.orders[order_id]
            now = max(self.clock_now(), order.update_time + 1)
            self.lifecycle.force(order, status, now, self._auto_ship)

    # -- webhooks and stats -------------------------------------------------------------------

    def signed_webhook(
        self, type_: int, shop_id: str, data: dict[str, object]
    ) -> tuple[bytes, str]:
        """A webhook body (envelope of §8.2) and its ``Authorization`` header value (§8.4)."""
        with self.lock:
            envelope = {
                "type": type_,
                "tts_notification_id": f"73{self.ids.number(17)}",
                "shop_id": shop_id,
                "timestamp": self.clock_now(),
                "data": data,
            }
        body = msgspec.json.encode(envelope)
        return body, webhook_signature(self.app_key, self.app_secret, body)

    def stats(self) -> dict[str, object]:
        """Counters for tests and benchmarks (JSON-able)."""
        with self.lock:
            statuses = Counter(o.status for o in self.book.orders.values())
            return {
                "requests": dict(self.requests),
                "errors": dict(self.errors),
                "orders": len(self.book.orders),
                "orders_by_status": dict(statuses),
                "ship_calls": dict(self.ship_calls),
                "label_purchases": dict(self.label_purchases),
                "faults": dict(self.faults.injected),
            }
