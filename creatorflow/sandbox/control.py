"""The long-lived sandbox's servers and its control endpoint.

:class:`SandboxServers` serves each simulator on its own loopback port and can take all of
them away for a while (``outage``): the ports stop listening, so clients meet "connection
refused", and come back on the same ports with the world's state (tokens, orders, labels)
untouched. :func:`control_app` is the small HTTP API beside them that ``creatorflow sandbox
stats``/``outage`` and ``init --sandbox`` talk to.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from creatorflow.http_server import RunningServer, serve

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.types import ASGIApp

    from creatorflow.sandbox.world import SandboxWorld

__all__ = ["MAX_OUTAGE_SECONDS", "SandboxServers", "control_app"]

log = logging.getLogger(__name__)

MAX_OUTAGE_SECONDS = 3600.0
_REBIND_SECONDS = 10.0


class SandboxServers:
    """One loopback server per app; all can go down together and come back on their ports."""

    def __init__(self, apps: Mapping[str, ASGIApp], *, host: str = "127.0.0.1") -> None:
        self._apps = dict(apps)
        self._host = host
        self._lock = threading.Lock()
        self._running: dict[str, RunningServer] = {}
        self._ports: dict[str, int] = {}
        self._back_at: float | None = None
        self._closed = threading.Event()
        self._restarter: threading.Thread | None = None

    def start(self) -> None:
        """Serve every app on a free port.

        Raises:
            OSError: an app cannot be bound (the address is not local).
        """
        with self._lock:
            try:
                for name, app in self._apps.items():
                    server = serve(app, host=self._host, port=0)
                    self._running[name] = server
                    self._ports[name] = server.port
            except BaseException:
                self._stop_running()
                raise

    @property
    def urls(self) -> dict[str, str]:
        """The base URL of each app (the same before, during and after an outage)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return {name: f"http://{host}:{port}" for name, port in self._ports.items()}

    def down_for(self) -> float:
        """Seconds until the servers are back; 0 when they are up."""
        with self._lock:
            if self._back_at is None:
                return 0.0
            return max(0.0, self._back_at - time.monotonic())

    def outage(self, seconds: float) -> None:
        """Stop listening now (returns once every port refuses) and come back after `seconds`.

        An outage during an outage extends it to whichever ends later.
        """
        if not 0 < seconds <= MAX_OUTAGE_SECONDS:
            raise ValueError(f"an outage lasts more than 0 and at most {MAX_OUTAGE_SECONDS:g} s")
        with self._lock:
            if self._closed.is_set():
                return
            back_at = time.monotonic() + seconds
            self._back_at = max(back_at, self._back_at or back_at)
            self._stop_running()
            if self._restarter is None:
                self._restarter = threading.Thread(
                    target=self._come_back, name="sandbox-outage", daemon=True
                )
                self._restarter.start()

    def _come_back(self) -> None:
        while True:
            with self._lock:
                back_at = self._back_at
            wait = 0.0 if back_at is None else back_at - time.monotonic()
            if self._closed.wait(max(0.0, wait)):
                return
            with self._lock:
                if self._closed.is_set():
                    return
                if self._back_at is not None and self._back_at > time.monotonic():
                    continue  # extended meanwhile
                self._rebind()
                self._back_at = None
                self._restarter = None
                return

    def _rebind(self) -> None:
        for name, app in self._apps.items():
            deadline = time.monotonic() + _REBIND_SECONDS
            while name not in self._running:
                try:
                    self._running[name] = serve(app, host=self._host, port=self._ports[name])
                except OSError as exc:
                    if time.monotonic() > deadline:
                        log.error("sandbox %s cannot listen on its port again: %s", name, exc)
                        break
                    time.sleep(0.1)

    def _stop_running(self) -> None:
        for server in self._running.values():
            server.stop()
        self._running.clear()

    def close(self) -> None:
        """Stop every server for good (an outage in progress never ends)."""
        self._closed.set()
        with self._lock:
            self._stop_running()
            restarter = self._restarter
        if restarter is not None and restarter is not threading.current_thread():
            restarter.join()


async def _seconds(request: Request, *, minimum: float, maximum: float) -> float:
    from starlette.exceptions import HTTPException

    try:
        body = await request.json()
    except ValueError:
        body = None
    value = body.get("seconds") if isinstance(body, dict) else None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not minimum < value <= maximum
    ):
        raise HTTPException(400, f'send {{"seconds": N}} with N above {minimum:g}, ≤ {maximum:g}')
    return float(value)


def control_app(world: SandboxWorld, servers: SandboxServers) -> Starlette:
    """The control API: ``GET /stats``, ``POST /auth-code``, ``POST /outage``, ``POST /advance``,
    ``POST /settings``.

    ``/outage`` and ``/advance`` take ``{"seconds": N}``; ``/settings`` takes ``fault_rate``
    (0-1) and/or ``latency_ms``. Every answer is JSON; errors are
    ``{"error": message}`` with status 400 or 404.
    """
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def stats(_request: Request) -> Response:
        data = await run_in_threadpool(world.stats)
        data["outage"] = {"down": servers.down_for() > 0, "seconds_left": servers.down_for()}
        data["urls"] = servers.urls
        return JSONResponse(data)

    async def auth_code(_request: Request) -> Response:
        return JSONResponse({"auth_code": await run_in_threadpool(world.issue_auth_code)})

    async def outage(request: Request) -> Response:
        seconds = await _seconds(request, minimum=0, maximum=MAX_OUTAGE_SECONDS)
        await run_in_threadpool(servers.outage, seconds)
        return JSONResponse({"down": True, "seconds_left": servers.down_for()})

    async def advance(request: Request) -> Response:
        seconds = await _seconds(request, minimum=0, maximum=366 * 86400)
        await run_in_threadpool(world.advance, timedelta(seconds=seconds))
        return JSONResponse({"now": world.clock.now().isoformat()})

    async def settings(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.keys() <= {"fault_rate", "latency_ms"}:
            raise HTTPException(400, 'send {"fault_rate": 0-1} and/or {"latency_ms": N}')
        for key, top in (("fault_rate", 1.0), ("latency_ms", 60_000.0)):
            value = body.get(key)
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value <= top
            ):
                raise HTTPException(400, f"{key} must be a number from 0 to {top:g}")
            if key == "fault_rate":
                world.fault_rate = float(value)
            else:
                world.latency = float(value) / 1000
        return JSONResponse({"fault_rate": world.fault_rate, "latency_ms": world.latency * 1000})

    async def error(_request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return JSONResponse({"error": detail}, status_code=status)

    return Starlette(
        routes=[
            Route("/stats", stats, methods=["GET"]),
            Route("/auth-code", auth_code, methods=["POST"]),
            Route("/outage", outage, methods=["POST"]),
            Route("/advance", advance, methods=["POST"]),
            Route("/settings", settings, methods=["POST"]),
        ],
        exception_handlers={HTTPException: error},
    )
