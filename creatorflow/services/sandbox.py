"""The built-in simulators as a long-lived local service: try CreatorFlow without any account.

:func:`run_sandbox` (``creatorflow sandbox serve``) runs TikTok Shop, Shippo and EasyPost
simulators in this process on loopback, with a control endpoint beside them, and the Stripe
simulator with the billing service in front of it
(:func:`creatorflow.services.sandbox_billing.run_sandbox_billing`), and writes where they
listen to ``sandbox.json`` in the CreatorFlow home (removed when it stops). The other
functions read that file: :func:`sandbox_stats`, :func:`sandbox_outage` and
:func:`sandbox_auth_code` talk to the control endpoint; ``init --sandbox``
(:func:`creatorflow.services.setup.init_sandbox`) points an installation at it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from creatorflow.errors import CreatorflowError, UsageError
from creatorflow.services.context import Services
from creatorflow.services.processes import pid_alive

if TYPE_CHECKING:
    from creatorflow.sandbox.control import SandboxServers
    from creatorflow.sandbox.world import SandboxWorld
    from creatorflow.services.sandbox_billing import SandboxBilling

__all__ = [
    "RunningSandbox",
    "SandboxInfo",
    "SandboxNotRunningError",
    "give_parcels",
    "read_sandbox_info",
    "run_sandbox",
]

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
MAX_OUTAGE_SECONDS = 3600.0
START_HINT = "Start it with `creatorflow sandbox serve` (same CREATORFLOW_HOME), then retry."


class SandboxNotRunningError(CreatorflowError):
    """No ``sandbox serve`` answers for this CreatorFlow home."""

    title = "Sandbox not running"


@dataclass(frozen=True)
class SandboxInfo:
    """What ``sandbox.json`` holds: where the simulators listen and the fakes they accept."""

    pid: int
    started_at: str
    tiktok_url: str
    shippo_url: str
    easypost_url: str
    control_url: str
    stripe_url: str
    billing_url: str
    #: ``billing.trusted_keys`` for the billing service's throwaway signing key (``kid:key``).
    billing_trusted_keys: str
    tiktok_app_key: str
    tiktok_app_secret: str
    tiktok_service_id: str
    shippo_api_key: str
    easypost_api_key: str
    seed: int
    clock_speed: float
    orders_per_minute: float
    latency_ms: float
    fault_rate: float
    shop_names: tuple[str, ...]

    def to_json(self) -> str:
        """The file's text."""
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SandboxInfo:
        """Read the file's text.

        Raises:
            ValueError: not JSON, or a field is missing or of the wrong type.
        """
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        values: dict[str, Any] = {}
        for spec in fields(cls):
            value = data.get(spec.name)
            if spec.name == "shop_names":
                if not isinstance(value, list):
                    raise ValueError("shop_names is not a list")
                value = tuple(str(name) for name in value)
            elif spec.name in {"pid", "seed"}:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError(f"{spec.name} is not a whole number")
            elif spec.name in {"clock_speed", "orders_per_minute", "latency_ms", "fault_rate"}:
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise ValueError(f"{spec.name} is not a number")
                value = float(value)
            elif not isinstance(value, str):
                raise ValueError(f"{spec.name} is not text")
            values[spec.name] = value
        return cls(**values)


@dataclass(frozen=True)
class RunningSandbox:
    """A running sandbox: what it wrote to ``sandbox.json``, its world, its servers and its
    billing (the Stripe simulator and the billing service)."""

    info: SandboxInfo
    world: SandboxWorld
    servers: SandboxServers
    orders: int
    billing: SandboxBilling


def _check_knobs(
    orders: int, orders_per_minute: float, clock_speed: float, latency_ms: float, fault_rate: float
) -> None:
    if orders < 0:
        raise UsageError("--orders must be 0 or more.")
    # Upper bounds too: infinity passes "> 0" and only overflows later, deep in the simulators.
    if not 0 <= orders_per_minute <= 100_000:
        raise UsageError("--orders-per-minute must be from 0 to 100000.")
    if not 0 < clock_speed <= 100_000:
        raise UsageError("--clock-speed must be above 0 and at most 100000 (1 is real time).")
    if not 0 <= latency_ms <= 60_000:
        raise UsageError("--latency-ms must be from 0 to 60000.")
    if not 0 <= fault_rate <= 1:
        raise UsageError("--fault-rate is a share of requests, from 0 to 1 (0.2: one in five).")


def _refuse_second_sandbox(services: Services) -> None:
    try:
        running = read_sandbox_info(services)
    except SandboxNotRunningError:
        return
    raise UsageError(
        f"A sandbox already runs for this CreatorFlow home (pid {running.pid}, "
        f"control {running.control_url}).",
        hint="Stop that one first (Ctrl-C or `kill` it), or set CREATORFLOW_HOME to another "
        "folder to run a second one.",
    )


def _ticker(world: SandboxWorld, stop: threading.Event) -> None:
    while not stop.wait(TICK_SECONDS):
        try:
            world.tick()
        except Exception:  # a bug in the simulator must not stop the clock for good
            log.exception("sandbox tick failed")


@contextmanager
def run_sandbox(
    services: Services,
    *,
    seed: int = 0,
    orders: int = 20,
    orders_per_minute: float = 2.0,
    clock_speed: float = 120.0,
    latency_ms: float = 0.0,
    fault_rate: float = 0.0,
    host: str = "127.0.0.1",
) -> Iterator[RunningSandbox]:
    """Serve the TikTok Shop, Shippo, EasyPost and Stripe simulators and the billing service
    until the block ends.

    ``orders`` orders are created at once over the last 20 simulated hours (most are ready to
    ship, a few still on hold or cancelled); ``orders_per_minute`` more arrive per real
    minute. Simulated time runs ``clock_speed`` times real time (120: TikTok's one-hour hold
    passes in 30 s) and a background ticker applies the lifecycle about once a second, with
    or without requests. Every request waits ``latency_ms`` and meets a fault with
    probability ``fault_rate``. The Stripe simulator and the billing service run in real time
    and take none of these knobs (nor ``sandbox outage``): entitlements must be current for
    this computer's clock. ``sandbox.json`` is written once everything listens and removed at
    the end.

    Raises:
        UsageError: a knob out of range, another sandbox runs for this home, or ``host``
            cannot be listened on.
    """
    from creatorflow.fileio import write_atomically
    from creatorflow.sandbox.control import SandboxServers, control_app
    from creatorflow.sandbox.world import SandboxWorld
    from creatorflow.services.sandbox_billing import run_sandbox_billing
    from creatorflow.services.setup import disk_error

    _check_knobs(orders, orders_per_minute, clock_speed, latency_ms, fault_rate)
    _refuse_second_sandbox(services)
    world = SandboxWorld(
        seed=seed,
        clock_speed=clock_speed,
        # Orders per real minute → per simulated hour, the rate the TikTok simulator takes.
        orders_per_hour=orders_per_minute * 60.0 / clock_speed,
        latency=latency_ms / 1000.0,
        fault_rate=fault_rate,
    )
    if orders:
        world.tiktok.generate_orders(orders, spread=timedelta(hours=20))
    with ExitStack() as stack:
        servers = SandboxServers(world.apps(), host=host)
        control = SandboxServers({"control": control_app(world, servers)}, host=host)
        stack.callback(servers.close)
        stack.callback(control.close)
        try:
            servers.start()
            control.start()
            billing = stack.enter_context(run_sandbox_billing(host=host, seed=seed))
        except OSError as exc:
            raise UsageError(
                f"The sandbox cannot listen on {host}: {exc.strerror or exc}.",
                hint="Use a local address with --host (127.0.0.1 or ::1).",
            ) from exc
        world.extra_stats["billing"] = billing.stats
        info = _info(
            world,
            servers.urls | control.urls,
            billing,
            knobs=(orders_per_minute, clock_speed, latency_ms, fault_rate),
        )
        path = services.paths.sandbox_file
        stop = threading.Event()
        ticker = threading.Thread(
            target=_ticker, args=(world, stop), name="sandbox-tick", daemon=True
        )
        stack.callback(_remove_if_ours, path, info.pid)
        stack.callback(_stop_ticker, ticker, stop)
        ticker.start()
        try:
            write_atomically(path, info.to_json())
        except OSError as exc:
            raise disk_error(path, exc) from None
        yield RunningSandbox(
            info=info, world=world, servers=servers, orders=orders, billing=billing
        )


def _info(
    world: SandboxWorld,
    urls: dict[str, str],
    billing: SandboxBilling,
    *,
    knobs: tuple[float, float, float, float],
) -> SandboxInfo:
    from creatorflow.sandbox.world import EASYPOST_KEY, SHIPPO_KEY

    orders_per_minute, clock_speed, latency_ms, fault_rate = knobs
    return SandboxInfo(
        pid=os.getpid(),
        started_at=datetime.now(UTC).isoformat(),
        tiktok_url=urls["tiktok"],
        shippo_url=urls["shippo"],
        easypost_url=urls["easypost"] + "/v2",
        control_url=urls["control"],
        stripe_url=billing.stripe_url,
        billing_url=billing.billing_url,
        billing_trusted_keys=billing.trusted_keys,
        tiktok_app_key=world.tiktok.app_key,
        tiktok_app_secret=world.tiktok.app_secret,
        tiktok_service_id=world.tiktok.service_id,
        shippo_api_key=SHIPPO_KEY,
        easypost_api_key=EASYPOST_KEY,
        seed=world.seed,
        clock_speed=clock_speed,
        orders_per_minute=orders_per_minute,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        shop_names=tuple(shop.name for shop in world.tiktok.shops),
    )


def _stop_ticker(ticker: threading.Thread, stop: threading.Event) -> None:
    stop.set()
    if ticker.is_alive():
        ticker.join()


def _remove_if_ours(path: Path, pid: int) -> None:
    try:
        if SandboxInfo.from_json(path.read_text(encoding="utf-8")).pid == pid:
            path.unlink(missing_ok=True)
    except (OSError, ValueError):
        pass


def read_sandbox_info(services: Services) -> SandboxInfo:
    """What the running sandbox of this home wrote to ``sandbox.json``.

    Raises:
        SandboxNotRunningError: no file, an unreadable one, or its process is gone.
    """
    path = services.paths.sandbox_file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SandboxNotRunningError(
            f"No sandbox is running for this CreatorFlow home ({path} does not exist).",
            hint=START_HINT,
        ) from None
    except OSError as exc:
        raise SandboxNotRunningError(
            f"Cannot read {path}: {exc.strerror or exc}.", hint=START_HINT
        ) from None
    try:
        info = SandboxInfo.from_json(text)
    except ValueError as exc:
        raise SandboxNotRunningError(
            f"{path} is not what `sandbox serve` writes ({exc}).", hint=START_HINT
        ) from None
    if not pid_alive(info.pid):
        raise SandboxNotRunningError(
            f"The sandbox that wrote {path} (pid {info.pid}) is no longer running.",
            hint=START_HINT,
        )
    return info


def give_parcels(
    services: Services, *, skip_last: bool = False, keep_existing: bool = False
) -> int:
    """Give the synced SKUs weights, sizes and a box preset; returns how many were set.

    ``skip_last`` leaves the last SKU without (the demo shows it held); ``keep_existing``
    leaves SKUs that already have a weight (and presets that exist) as they are.
    """
    from creatorflow.services.parcels import add_preset, list_presets, set_parcel
    from creatorflow.services.product_sync import list_products

    existing = {preset.name for preset in list_presets(services)} if keep_existing else set()
    for name, weight, dims in (("mailer", "1.5oz", "10x7x2in"), ("box-m", "6oz", "12x10x6in")):
        if name not in existing:
            add_preset(services, name, weight=weight, dims=dims)
    skus = list_products(services)
    given = 0
    for index, sku in enumerate(skus[:-1] if skip_last else skus):
        if keep_existing and sku.weight:
            continue
        ounces = 4 + (index * 7) % 20
        set_parcel(
            services,
            sku.sku_id,
            weight=f"{ounces}oz",
            dims=f"{6 + index % 4}x{4 + index % 3}x{1 + index % 2}in",
            preset="mailer" if ounces < 12 else "box-m",
        )
        given += 1
    return given
