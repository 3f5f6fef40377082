"""Webhook delivery: signing (reference §4.1), the transport, retries and the test switches.

Each (event, endpoint) pair is POSTed with ``Stripe-Signature: t=<wall time>,v1=<hex>`` where
``v1 = HMAC-SHA256(key=<whole whsec_ secret>, msg=f"{t}.{body}")``. ``t`` is real time (the
``wall`` clock), because receivers check it against ``time.time()`` with a 300 s tolerance.

A non-2xx answer or a transport error is retried after ``webhook_retry_schedule[attempt - 1]``
of simulated time, until the schedule runs out. Switches on the simulator:
``duplicate_deliveries`` (every delivery is queued twice), ``shuffle_deliveries`` (each batch
goes out in a seeded random order), ``sign_with_wrong_secret``.

Deliveries run in a background thread when the simulator has no ``deliver`` function (the
default, an httpx POST); with one, they run in the thread that made the change, right after it,
outside the lock (so the receiver may call the API back).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from creatorflow.sandbox.stripe import render
from creatorflow.sandbox.stripe.model import Event, WebhookEndpoint

if TYPE_CHECKING:
    from creatorflow.sandbox.stripe.simulator import StripeSimulator

log = logging.getLogger(__name__)

Deliver = Callable[[str, bytes, dict[str, str]], int]
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``Stripe-Signature`` header for `body` signed with `secret` at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def http_deliver(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url` with httpx; the HTTP status."""
    response = httpx.post(url, content=body, headers=headers, timeout=10.0)
    return response.status_code


@dataclass
class _Pending:
    event_id: str
    endpoint_id: str
    attempt: int
    due: int
    duplicate: bool
    seq: int


@dataclass
class _Prepared:
    pending: _Pending
    url: str
    body: bytes
    headers: dict[str, str]
    wrong_secret: bool


class Dispatcher:
    """The delivery queue and log of one simulator (queue changes happen under its lock)."""

    def __init__(self, sim: StripeSimulator, deliver: Deliver | None) -> None:
        self.sim = sim
        self.transport: Deliver = deliver if deliver is not None else http_deliver
        self.background = deliver is None
        self.queue: list[_Pending] = []
        self.log: list[dict[str, Any]] = []
        self.outcomes: Counter[str] = Counter()
        self._rng = random.Random(f"{sim.seed}/stripe/webhooks")  # noqa: S311 - reproducible order
        self._seq = 0
        self._inflight = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def enqueue(self, event: Event, endpoints: list[WebhookEndpoint]) -> None:
        """Queue `event` for each endpoint (twice with ``duplicate_deliveries``)."""
        copies = 2 if self.sim.duplicate_deliveries else 1
        for endpoint in endpoints:
            for copy in range(copies):
                self._seq += 1
                self.queue.append(
                    _Pending(event.id, endpoint.id, 1, event.created, copy > 0, self._seq)
                )
        if endpoints and self.background:
            self._start()
            self._wake.set()

    def reset(self) -> None:
        """Forget the queue, the log and the counters."""
        self.queue.clear()
        self.log.clear()
        self.outcomes.clear()

    def _take(self) -> list[_Prepared]:
        sim = self.sim
        now = sim.timestamp()
        due = sorted((p for p in self.queue if p.due <= now), key=lambda p: (p.due, p.seq))
        if not due:
            return []
        taken = {id(p) for p in due}
        self.queue = [p for p in self.queue if id(p) not in taken]
        if sim.shuffle_deliveries:
            self._rng.shuffle(due)
        prepared = []
        wall = int(sim.wall())
        for pending in due:
            event = sim.events.get(pending.event_id)
            endpoint = sim.webhook_endpoints.get(pending.endpoint_id)
            if event is None or endpoint is None:
                continue
            body = json.dumps(render.event(sim, event), indent=2).encode()
            wrong = sim.sign_with_wrong_secret
            secret = "whsec_wrong" + endpoint.secret[11:] if wrong else endpoint.secret
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                "Stripe-Signature": sign(secret, body, wall),
            }
            prepared.append(_Prepared(pending, endpoint.url, body, headers, wrong))
        return prepared

    def deliver_due(self) -> int:
        """Deliver everything due now, in this thread; how many attempts were made."""
        with self.sim.lock:
            batch = self._take()
            self._inflight += len(batch)
        for item in batch:
            status: int | None = None
            error: str | None = None
            try:
                status = int(self.transport(item.url, item.body, item.headers))
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
            with self.sim.lock:
                self._inflight -= 1
                self._record(item, status, error)
        return len(batch)

    def idle(self) -> bool:
        """Nothing due now and nothing being delivered (retries may still be scheduled)."""
        with self.sim.lock:
            now = self.sim.timestamp()
            return self._inflight == 0 and not any(p.due <= now for p in self.queue)

    def _record(self, item: _Prepared, status: int | None, error: str | None) -> None:
        sim = self.sim
        pending = item.pending
        ok = status is not None and 200 <= status < 300
        outcome = "succeeded" if ok else ("failed" if status is not None else "error")
        self.outcomes[outcome] += 1
        retry_at = None
        schedule = sim.webhook_retry_schedule
        if not ok and pending.attempt <= len(schedule):
            retry_at = sim.timestamp() + int(schedule[pending.attempt - 1].total_seconds())
            self._seq += 1
            self.queue.append(
                _Pending(
                    pending.event_id,
                    pending.endpoint_id,
                    pending.attempt + 1,
                    retry_at,
                    pending.duplicate,
                    self._seq,
                )
            )
        event = sim.events.get(pending.event_id)
        if event is not None and not pending.duplicate and (ok or retry_at is None):
            event.pending_webhooks = max(0, event.pending_webhooks - 1)
        self.log.append(
            {
                "seq": len(self.log) + 1,
                "event": pending.event_id,
                "type": event.type if event is not None else None,
                "endpoint": pending.endpoint_id,
                "url": item.url,
                "attempt": pending.attempt,
                "duplicate": pending.duplicate,
                "wrong_secret": item.wrong_secret,
                "signature": item.headers["Stripe-Signature"],
                "status": status,
                "outcome": outcome,
                "error": error,
                "delivered_at": sim.timestamp(),
                "next_retry": retry_at,
            }
        )

    def pending(self) -> int:
        """Deliveries queued (due or scheduled for retry)."""
        return len(self.queue)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="stripe-sim-webhooks", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=0.2)
            self._wake.clear()
            try:
                self.sim.tick()
                self.deliver_due()
            except Exception:
                log.exception("webhook delivery failed")

    def close(self) -> None:
        """Stop the background thread (queued deliveries stay queued)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._thread = None

    def wake(self) -> None:
        """Let the background thread look at the queue now."""
        if self.background and self.queue:
            self._start()
            self._wake.set()
