"""The daemon's TikTok webhook receiver: answer at once, do the work behind.

``daemon run --webhooks HOST:PORT`` serves a small Starlette app (uvicorn in a thread, see
:mod:`creatorflow.http_server`):

- ``POST /webhooks/tiktok`` (and ``POST /``, for a Partner Center URL with no path) reads the
  body up to :data:`MAX_BODY` (413 beyond), verifies and parses it
  (:func:`~creatorflow.services.tiktok_webhooks.accept_webhook`: 401 for a bad signature,
  400 for a signed body that is not an event), queues it and answers an empty 200. TikTok
  wants that within 3 s and retries only four times, so nothing slow happens before it.
- ``GET /healthz`` answers 200 for a reverse proxy's or a monitor's checks.

One worker thread drains the queue and applies each webhook (re-reads its order from TikTok,
or marks the shop revoked). A failure is logged with the order and dropped: webhooks are
hints and the polling job is the backstop. Each webhook gives one log line (type, shop,
order, action); bodies, signatures and secrets are never logged.
"""

from __future__ import annotations

import errno
import logging
import queue
import threading
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from creatorflow.errors import CreatorflowError, ExitCode
from creatorflow.http_server import RunningServer, serve
from creatorflow.services.tiktok_webhooks import (
    AcceptedWebhook,
    RecentNotifications,
    WebhookMalformed,
    WebhookRejected,
    accept_webhook,
    apply_webhook,
)

if TYPE_CHECKING:
    from creatorflow.services.context import Services

log = logging.getLogger("creatorflow.daemon.webhooks")

PATH = "/webhooks/tiktok"
#: TikTok's events are a few hundred bytes; anything near this is not one of them.
MAX_BODY = 1024 * 1024
#: Webhooks waiting for the worker; beyond this the receiver answers 503 and TikTok retries.
QUEUE_SIZE = 1000
#: How long a stop waits for the webhook being applied (the daemon is a daemon thread).
STOP_GRACE = 5.0


class WebhookAddressError(CreatorflowError):
    """The webhook receiver cannot listen on the address it was given."""

    title = "Webhook receiver not started"
    exit_code = ExitCode.USAGE


def _bind_hint(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"Another program already listens on port {port}: stop it, or pick another port "
            "(--webhooks HOST:PORT) and point the reverse proxy at it."
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            "Ports below 1024 need privileges: listen on a higher port (e.g. 8787) and let an "
            "HTTPS reverse proxy forward to it."
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: use 127.0.0.1 behind a reverse proxy."
    return (
        f"Check that {host} is an address or name of this machine (127.0.0.1 is the usual "
        "choice behind a reverse proxy)."
    )


def _describe(accepted: AcceptedWebhook) -> str:
    orders = ",".join(accepted.order_ids) or "-"
    return f"webhook type={accepted.type} shop={accepted.shop_id} order={orders}"


class WebhookReceiver:
    """The receiving app, its queue and its worker; :meth:`start` and :meth:`stop` it once."""

    def __init__(
        self,
        services: Services,
        *,
        max_body: int = MAX_BODY,
        queue_size: int = QUEUE_SIZE,
        seen: RecentNotifications | None = None,
    ) -> None:
        self.services = services
        self.max_body = max_body
        self.seen = seen if seen is not None else RecentNotifications()
        self.queue: queue.Queue[AcceptedWebhook | None] = queue.Queue(queue_size)
        #: Webhooks the worker finished with (applied or failed).
        self.handled = 0
        self._stopping = threading.Event()
        self._server: RunningServer | None = None
        self._worker: threading.Thread | None = None
        self.app = Starlette(
            routes=[
                Route(PATH, self._receive, methods=["POST"]),
                Route("/", self._receive, methods=["POST"]),
                Route("/healthz", self._health, methods=["GET"]),
            ]
        )

    @property
    def url(self) -> str:
        """Where TikTok's webhooks are received (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("the webhook receiver is not running")
        return self._server.base_url + PATH

    def start(self, host: str, port: int) -> None:
        """Listen on ``host:port`` and start the worker.

        Raises:
            WebhookAddressError: the address cannot be bound (in use, not this machine's…).
        """
        try:
            self._server = serve(self.app, host=host, port=port)
        except OSError as exc:
            raise WebhookAddressError(
                f"The webhook receiver cannot listen on {host}:{port}: {exc.strerror or exc}.",
                hint=_bind_hint(exc, host, port),
            ) from exc
        self._worker = threading.Thread(target=self._work, name="creatorflow-webhooks", daemon=True)
        self._worker.start()
        log.info("webhooks listening on %s", self.url)

    def stop(self) -> None:
        """Stop listening, drop what is still queued (polling covers it), end the worker.

        Safe to call more than once.
        """
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._server is not None:
            self._server.stop()
        dropped = 0
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            dropped += item is not None
        self.queue.put_nowait(None)
        if dropped:
            log.info("webhooks stopping: %d queued left to the next poll", dropped)
        if self._worker is not None:
            self._worker.join(STOP_GRACE)
            if self._worker.is_alive():
                log.warning("webhooks stopping while one is still applied; polling covers it")
        log.info("webhooks stopped")

    # -- the HTTP side (uvicorn's event loop) ------------------------------------------------

    async def _health(self, _request: Request) -> Response:
        return PlainTextResponse("ok")

    async def _read_body(self, request: Request) -> bytes | None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return None
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_body:
                return None
        return bytes(body)

    async def _receive(self, request: Request) -> Response:
        body = await self._read_body(request)
        if body is None:
            log.warning("webhook action=refused reason=body over %d bytes", self.max_body)
            return Response(status_code=413)
        signature = request.headers.get("authorization", "")
        try:
            accepted = await run_in_threadpool(
                accept_webhook, self.services, body, signature, seen=self.seen
            )
        except WebhookRejected:
            peer = request.client.host if request.client else "?"
            log.warning("webhook action=refused reason=bad signature peer=%s", peer)
            return Response(status_code=401)
        except WebhookMalformed:
            log.warning("webhook action=refused reason=signed but not a TikTok Shop event")
            return Response(status_code=400)
        except CreatorflowError as exc:  # e.g. the secret store cannot be read: TikTok retries
            log.error("webhook action=refused reason=%s", exc.message)
            return Response(status_code=500)
        if accepted.duplicate:
            log.info("%s action=duplicate dropped", _describe(accepted))
            return Response(status_code=200)
        if self._stopping.is_set():
            self.seen.forget(accepted.key)
            return Response(status_code=503)
        try:
            self.queue.put_nowait(accepted)
        except queue.Full:
            self.seen.forget(accepted.key)  # TikTok retries it; let that count as new
            log.warning("%s action=refused reason=queue full", _describe(accepted))
            return Response(status_code=503)
        return Response(status_code=200)

    # -- the worker -----------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            accepted = self.queue.get()
            if accepted is None or self._stopping.is_set():
                return
            self._apply(accepted)

    def _apply(self, accepted: AcceptedWebhook) -> None:
        try:
            outcome = apply_webhook(self.services, accepted)
        except CreatorflowError as exc:
            log.warning("%s action=failed error=%s", _describe(accepted), exc.message)
            return
        except Exception:
            log.exception("%s action=failed unexpectedly", _describe(accepted))
            return
        finally:
            self.handled += 1
        log.info("%s action=%s", _describe(accepted), outcome.action)
