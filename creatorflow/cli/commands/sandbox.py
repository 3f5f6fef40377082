"""``creatorflow sandbox``: TikTok Shop, Shippo and EasyPost simulators as a local service."""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer

from creatorflow.cli import state
from creatorflow.cli.output import JsonOption

app = typer.Typer(
    help="Local simulators of TikTok Shop, Shippo, EasyPost and Stripe (with the billing "
    "service): try CreatorFlow without accounts."
)


def _stop_on_signals(stop: threading.Event) -> None:
    def _handler(_signum: int, _frame: object) -> None:
        stop.set()

    for name in ("SIGTERM", "SIGINT", "SIGBREAK"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, _handler)


@app.command("serve")
def serve(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same shop and orders.")] = 0,
    orders: Annotated[int, typer.Option("--orders", help="Orders to start with.", min=0)] = 20,
    orders_per_minute: Annotated[
        float,
        typer.Option("--orders-per-minute", help="New orders per real minute.", min=0),
    ] = 2.0,
    clock_speed: Annotated[
        float,
        typer.Option(
            "--clock-speed",
            help="Simulated seconds per real second (120: TikTok's 1-hour hold takes 30 s).",
        ),
    ] = 120.0,
    latency_ms: Annotated[
        float, typer.Option("--latency-ms", help="Delay before every API answer.", min=0)
    ] = 0.0,
    fault_rate: Annotated[
        float,
        typer.Option(
            "--fault-rate",
            help="Share of API requests that fail (5xx, 429, slow, cut connection).",
            min=0,
            max=1,
        ),
    ] = 0.0,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Run the simulators and the billing service until Ctrl-C or SIGTERM.

    Where they listen goes to sandbox.json in the CreatorFlow home (removed on exit); then
    `creatorflow init --sandbox` points CreatorFlow at them. Orders keep arriving and the
    simulated clock keeps running, so the daemon has work to do. `creatorflow billing login`
    signs in to the sandbox's billing service (approve the code on the page it prints) and
    `billing upgrade growth` opens the simulated Stripe Checkout (Pay or Decline).
    """
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.sandbox import run_sandbox

    console = stderr_console()
    stop = threading.Event()
    _stop_on_signals(stop)
    services = state.services(ctx)
    with run_sandbox(
        services,
        seed=seed,
        orders=orders,
        orders_per_minute=orders_per_minute,
        clock_speed=clock_speed,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        host=host,
    ) as running:
        info = running.info
        knobs = [f"{orders_per_minute:g} new order(s) a minute", f"clock {clock_speed:g}x"]
        if latency_ms:
            knobs.append(f"{latency_ms:g} ms latency")
        if fault_rate:
            knobs.append(f"{fault_rate:.0%} faults")
        console.print(
            f"Sandbox for {', '.join(info.shop_names)}: {running.orders} order(s), "
            + ", ".join(knobs)
            + ".\n"
            f"  TikTok Shop  {info.tiktok_url}\n"
            f"  Shippo       {info.shippo_url}\n"
            f"  EasyPost     {info.easypost_url}\n"
            f"  control      {info.control_url}\n"
            f"  Stripe       {info.stripe_url}\n"
            f"  billing      {info.billing_url}  (plans: {_plans()})\n"
            f"Written to {services.paths.sandbox_file}.\n"
            "Now run: creatorflow init --sandbox   (Ctrl-C stops the sandbox)\n"
            "Then, for a plan: creatorflow billing login, creatorflow billing upgrade growth",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        while not stop.wait(1.0):
            pass
    console.print("Sandbox stopped.")


def _plans() -> str:
    from creatorflow.services.sandbox_billing import SANDBOX_PLANS

    return ", ".join(f"{plan.name} {plan.order_limit:,} orders" for plan in SANDBOX_PLANS)


def _billing(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    subscriptions = data.get("subscriptions") or {}
    subscribed = ", ".join(f"{status} {n}" for status, n in sorted(subscriptions.items()))
    return (
        f"{data.get('installs', 0)} signed-in install(s), "
        f"subscriptions: {subscribed or 'none'}, {data.get('usage_events', 0)} labelled "
        "order(s) reported"
    )


_STATS_ROWS = (
    ("orders_created", "Orders created"),
    ("orders_shipped", "Orders shipped"),
    ("tracking_pushes", "Tracking pushes"),
    ("duplicate_purchases", "Duplicate purchases"),
)


def _per(counts: Any) -> str:
    if not isinstance(counts, dict):
        return str(counts)
    total = counts.get("total")
    parts = [f"{name} {n}" for name, n in counts.items() if name != "total" and n]
    return f"{total}" + (f" ({', '.join(parts)})" if parts else "")


@app.command("stats")
def stats(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """What the running sandbox counted: orders, labels, duplicate purchases, pushes, voids."""
    from creatorflow.cli.output import emit_object
    from creatorflow.services.sandbox_control import sandbox_stats

    data = sandbox_stats(state.services(ctx))
    if as_json:
        emit_object(data, as_json=True)
        return
    statuses = data.get("orders_by_status") or {}
    shown: dict[str, object] = {label: data.get(key) for key, label in _STATS_ROWS}
    shown["Orders by status"] = ", ".join(f"{s} {n}" for s, n in sorted(statuses.items()))
    shown["Labels bought"] = _per(data.get("labels_bought"))
    shown["Voids"] = _per(data.get("voids"))
    shown["Faults injected"] = (data.get("faults") or {}).get("total")
    shown["Requests"] = _per(data.get("requests"))
    if (billing := _billing(data.get("billing"))) is not None:
        shown["Billing"] = billing
    clock = data.get("clock") or {}
    shown["Simulated now"] = f"{clock.get('now')} ({clock.get('speed')}x real time)"
    outage = data.get("outage") or {}
    if outage.get("down"):
        shown["Outage"] = f"down, back in {outage.get('seconds_left', 0):.0f} s"
    emit_object(shown, title="Sandbox")


@app.command("outage")
def outage(
    ctx: typer.Context,
    seconds: Annotated[
        float, typer.Argument(help="How long the simulators stay away.", min=0.1, max=3600)
    ],
) -> None:
    """Take the simulators off the network for SECONDS, then bring them back as they were.

    Their ports refuse connections meanwhile (as if TikTok, Shippo and EasyPost were
    unreachable); orders, tokens and labels survive. A way to watch the daemon ride out an
    outage: it retries, and buys no label twice.
    """
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.sandbox_control import sandbox_outage

    sandbox_outage(state.services(ctx), seconds)
    stderr_console().print(f"The sandbox is down for {seconds:g} s.")


@app.command("set")
def set_knobs(
    ctx: typer.Context,
    fault_rate: Annotated[
        float | None,
        typer.Option("--fault-rate", help="Share of requests meeting a fault (0-1).", min=0, max=1),
    ] = None,
    latency_ms: Annotated[
        float | None,
        typer.Option("--latency-ms", help="Delay before every answer (ms).", min=0, max=60_000),
    ] = None,
) -> None:
    """Change the running sandbox's fault rate and latency (5xx, 429, slow and cut answers)."""
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.sandbox_control import sandbox_settings

    now = sandbox_settings(state.services(ctx), fault_rate=fault_rate, latency_ms=latency_ms)
    stderr_console().print(
        f"The sandbox now faults {now['fault_rate']:.0%} of requests "
        f"and answers after {now['latency_ms']:g} ms."
    )


@app.command("advance")
def advance(
    ctx: typer.Context,
    duration: Annotated[str, typer.Argument(help="How far, e.g. 90m, 6h, 2d.")],
) -> None:
    """Move the sandbox's simulated clock forward: holds end, deadlines near, parcels move."""
    from creatorflow.cli.output import stderr_console
    from creatorflow.domain.durations import parse_duration
    from creatorflow.errors import UsageError
    from creatorflow.services.sandbox_control import sandbox_advance

    try:
        span = parse_duration(duration)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    moved = sandbox_advance(state.services(ctx), span.total_seconds())
    stderr_console().print(f"Sandbox time is now {moved['now']}.")
