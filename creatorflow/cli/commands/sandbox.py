"""``creatorflow sandbox``: the built-in TikTok Shop simulator as a local service."""

from __future__ import annotations

import shlex
import sys
import time
from typing import Annotated

import typer

app = typer.Typer(help="Local simulators of TikTok Shop (and later the label providers).")


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0: any free).")] = 8787,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    orders: Annotated[int, typer.Option("--orders", help="Orders to start with.")] = 50,
    orders_per_hour: Annotated[
        float, typer.Option("--orders-per-hour", help="New orders per simulated hour.")
    ] = 0.0,
    speed: Annotated[
        float, typer.Option("--speed", help="Simulated time runs this many times faster.")
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same shop and orders.")] = 0,
) -> None:
    """Run the TikTok Shop simulator until Ctrl-C.

    Prints `export` lines on stdout (save them, then `source` the file in the shell you use
    CreatorFlow from) and an authorization code on stderr.
    """
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.sandbox import run_tiktok_sandbox

    console = stderr_console()
    with run_tiktok_sandbox(
        host=host, port=port, seed=seed, orders=orders, orders_per_hour=orders_per_hour, speed=speed
    ) as info:
        for name, value in info.environment.items():
            sys.stdout.write(f"export {name}={shlex.quote(value)}\n")
        sys.stdout.flush()
        console.print(
            f"TikTok Shop sandbox on {info.base_url} with {info.orders} order(s) "
            f"for {', '.join(info.shop_names)}.",
            markup=False,
            soft_wrap=True,
        )
        console.print(
            "With the variables above set, connect with:\n"
            f"  creatorflow connect tiktok --auth-code {info.auth_code}\n"
            "(the code works once, for 30 minutes; `creatorflow connect tiktok` without it "
            "prints a link to this sandbox that hands out new ones). Ctrl-C stops it.",
            markup=False,
            soft_wrap=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("Sandbox stopped.")
