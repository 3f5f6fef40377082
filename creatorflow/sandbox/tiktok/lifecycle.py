"""Order lifecycle on the simulated clock, applied lazily (each request, and on ``advance()``).

UNPAID → (paid after 1-10 minutes) ON_HOLD for ``hold`` → AWAITING_SHIPMENT; a ``cancel_rate``
share of orders is cancelled by the buyer while UNPAID or ON_HOLD. After Mark Package As Shipped:
AWAITING_COLLECTION → IN_TRANSIT (2-8 hours) → DELIVERED (1-3 days). Due events are applied in
time order with their own due time as ``update_time``, exactly as if they had happened live.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable

from creatorflow.sandbox.tiktok.data import seeded
from creatorflow.sandbox.tiktok.model import (
    AWAITING_COLLECTION,
    AWAITING_SHIPMENT,
    CANCELLED,
    COMPLETED,
    DELIVERED,
    IN_TRANSIT,
    ON_HOLD,
    SHIPPED_STATUSES,
    UNPAID,
    Order,
)
from creatorflow.sandbox.tiktok.orders import OrderBook

HOUR = 3600
DAY = 86400
CANCEL_REASONS = ("No longer needed", "Need to change shipping address", "Found a better price")


class Lifecycle:
    """Pending order events in a heap, plus the steady trickle of new orders."""

    def __init__(
        self,
        book: OrderBook,
        *,
        seed: int,
        hold_seconds: int,
        cancel_rate: float,
        orders_per_hour: float,
        create_order: Callable[[int], Order],
        start: int,
    ) -> None:
        self.book = book
        self.seed = seed
        self.hold = hold_seconds
        self.cancel_rate = cancel_rate
        self._create_order = create_order
        self._heap: list[tuple[int, int, str, str]] = []
        self._counter = itertools.count()
        self._interval = 3600.0 / orders_per_hour if orders_per_hour > 0 else 0.0
        self._next_order_at = start + self._interval

    def _rng(self, order: Order, stage: str) -> random.Random:
        return seeded(f"{self.seed}/plan/{order.seq}/{stage}")

    def schedule(self, when: int, order: Order, event: str) -> None:
        """Queue `event` for `order` at `when` (Unix seconds)."""
        heapq.heappush(self._heap, (when, next(self._counter), order.id, event))

    def plan_new(self, order: Order) -> None:
        """Schedule payment (and maybe a buyer cancellation) for a fresh UNPAID order."""
        rng = self._rng(order, "new")
        pay_at = order.create_time + rng.randint(60, 600)
        order.will_cancel = rng.random() < self.cancel_rate
        if order.will_cancel and (self.hold <= 0 or rng.random() < 0.5):
            self.schedule(
                order.create_time + int((pay_at - order.create_time) * 0.5), order, "cancel"
            )
        self.schedule(pay_at, order, "pay")

    def tick(self, now: int) -> None:
        """Apply everything due up to `now`, new orders included, in time order."""
        heap = self._heap
        while True:
            next_event = heap[0][0] if heap else None
            next_order = int(self._next_order_at) if self._interval else None
            if (
                next_order is not None
                and next_order <= now
                and (next_event is None or next_order <= next_event)
            ):
                self._next_order_at += self._interval
                self.plan_new(self._create_order(next_order))
                continue
            if next_event is None or next_event > now:
                return
            when, _, order_id, event = heapq.heappop(heap)
            order = self.book.orders.get(order_id)
            if order is not None:
                self._apply(order, event, when)

    def _apply(self, order: Order, event: str, when: int) -> None:
        if event == "pay" and order.status == UNPAID:
            order.paid_time = when
            if self.hold > 0:
                order.status = ON_HOLD
                order.is_on_hold_order = True
                self.schedule(when + self.hold, order, "release")
                if order.will_cancel:
                    frac = self._rng(order, "hold").uniform(0.2, 0.8)
                    self.schedule(when + max(1, int(self.hold * frac)), order, "cancel")
            else:
                order.status = AWAITING_SHIPMENT
        elif event == "release" and order.status == ON_HOLD:
            order.status = AWAITING_SHIPMENT
        elif event == "cancel" and order.status in (UNPAID, ON_HOLD):
            self.cancel(order, when)
            return
        elif event == "collect" and order.status == AWAITING_COLLECTION:
            order.status = IN_TRANSIT
            order.collection_time = when
            days = self._rng(order, "deliver").randint(1, 3)
            self.schedule(when + days * DAY + 3 * HOUR, order, "deliver")
        elif event == "deliver" and order.status == IN_TRANSIT:
            order.status = DELIVERED
            order.delivery_time = when
        else:
            return  # stale: something else moved the order on first
        self.book.changed(order, when)

    def cancel(self, order: Order, when: int, initiator: str = "BUYER") -> None:
        """Cancel `order` at `when`."""
        order.status = CANCELLED
        order.cancel_time = when
        order.cancellation_initiator = initiator
        order.cancel_reason = self._rng(order, "reason").choice(CANCEL_REASONS)
        self.book.changed(order, when)

    def shipped(self, order: Order, when: int) -> None:
        """All of `order` is shipped: wait for the carrier's first scan."""
        order.status = AWAITING_COLLECTION
        order.rts_time = order.rts_time or when
        hours = self._rng(order, f"collect{len(order.packages)}").randint(2, 8)
        self.schedule(when + hours * HOUR, order, "collect")

    def force(self, order: Order, status: str, now: int, ship: Callable[[Order], None]) -> None:
        """Put `order` straight into `status` and let its life go on from there."""
        if status not in (UNPAID, CANCELLED) and not order.paid_time:
            order.paid_time = min(
                now, order.create_time + self._rng(order, "paid").randint(60, 600)
            )
        if status == CANCELLED:
            self.cancel(order, now)
            return
        if status in SHIPPED_STATUSES and not order.packages:
            ship(order)
        order.status = status
        if status == ON_HOLD:
            order.is_on_hold_order = True
            self.schedule(now + self.hold, order, "release")
        elif status == AWAITING_COLLECTION:
            self.shipped(order, now)
        elif status == IN_TRANSIT:
            order.collection_time = order.collection_time or now
            self.schedule(now + 2 * DAY, order, "deliver")
        elif status in (DELIVERED, COMPLETED):
            order.collection_time = order.collection_time or now
            order.delivery_time = order.delivery_time or now
        # An order created in the past reached its status back then, not now: its update_time
        # says so, as TikTok's would (an incremental poll must not see every order as new).
        reached = order.create_time if status == UNPAID else (order.paid_time or order.create_time)
        if status not in (UNPAID, ON_HOLD):
            reached += self.hold
        self.book.changed(order, max(order.update_time, min(now, reached)))
