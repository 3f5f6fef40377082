"""The built-in simulators as a local service: try CreatorFlow without any account.

``run_tiktok_sandbox`` serves the TikTok Shop simulator on loopback and says how to point
CreatorFlow at it: the settings (as ``CREATORFLOW_*`` variables) and a fresh authorization
code for ``creatorflow connect tiktok --auth-code``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["SandboxInfo", "run_tiktok_sandbox"]


@dataclass(frozen=True)
class SandboxInfo:
    """Where the simulator listens and what to configure to use it."""

    base_url: str
    app_key: str
    service_id: str
    auth_code: str
    shop_names: tuple[str, ...]
    orders: int
    environment: dict[str, str]


@contextmanager
def run_tiktok_sandbox(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 0,
    orders: int = 50,
    orders_per_hour: float = 0.0,
    speed: float = 1.0,
) -> Iterator[SandboxInfo]:
    """Serve the TikTok Shop simulator until the block ends.

    ``orders`` are created at once over the last two days and live their lifecycle; with
    ``orders_per_hour`` more arrive as (simulated) time passes, ``speed`` times real time.

    Raises:
        UsageError: the address is taken or the numbers make no sense.
    """
    from creatorflow.errors import UsageError
    from creatorflow.http_server import serve
    from creatorflow.sandbox.clock import SimClock
    from creatorflow.sandbox.tiktok import TikTokShopSimulator

    if orders < 0 or orders_per_hour < 0 or speed <= 0:
        raise UsageError("--orders and --orders-per-hour must be ≥ 0, and --speed above 0.")
    sim = TikTokShopSimulator(
        seed=seed, clock=SimClock(speed=speed), orders_per_hour=orders_per_hour
    )
    if orders:
        sim.generate_orders(orders, spread=timedelta(days=2))
    try:
        server = serve(sim.app, host=host, port=port)
    except OSError as exc:
        raise UsageError(
            f"The sandbox cannot listen on {host}:{port}.",
            hint="Another program uses that port: pick another with --port (0: any free port).",
        ) from exc
    with server:
        environment = {
            "CREATORFLOW_TIKTOK_API_BASE": server.base_url,
            "CREATORFLOW_TIKTOK_AUTH_BASE": server.base_url,
            "CREATORFLOW_TIKTOK_AUTHORIZE_BASE": server.base_url,
            "CREATORFLOW_TIKTOK_APP_KEY": sim.app_key,
            "CREATORFLOW_TIKTOK_SERVICE_ID": sim.service_id,
            "CREATORFLOW_SECRET_TIKTOK_APP_SECRET": sim.app_secret,
        }
        yield SandboxInfo(
            base_url=server.base_url,
            app_key=sim.app_key,
            service_id=sim.service_id,
            auth_code=sim.issue_auth_code(),
            shop_names=tuple(shop.name for shop in sim.shops),
            orders=orders,
            environment=environment,
        )
