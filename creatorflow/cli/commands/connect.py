"""``creatorflow connect``: authorise CreatorFlow for a TikTok shop."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from creatorflow.cli import state

app = typer.Typer(help="Connect CreatorFlow to TikTok Shop and the label providers.")


def _can_open_browser() -> bool:
    # On a headless Linux box webbrowser falls back to a text browser inside this terminal.
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@app.command("tiktok")
def tiktok(
    ctx: typer.Context,
    auth_code: Annotated[
        str | None,
        typer.Option(
            "--auth-code", help="Authorization code from the redirect (skips the prompt)."
        ),
    ] = None,
    app_key: Annotated[
        str | None,
        typer.Option("--app-key", help="App key of your TikTok Shop app (saved to the config)."),
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the link without opening a browser.")
    ] = False,
) -> None:
    """Authorise CreatorFlow for your shop: open the link, approve, paste the redirect URL.

    The app secret comes from the secret store (`creatorflow secrets set tiktok_app_secret`);
    tokens are stored there too and renewed automatically.
    """
    from creatorflow.cli.commands.shops import show_shops
    from creatorflow.cli.output import stderr_console
    from creatorflow.errors import UsageError
    from creatorflow.services.credentials import secret_env_var, store_secret
    from creatorflow.services.tiktok_connection import (
        APP_SECRET,
        authorization_link,
        connect_tiktok,
        has_app_secret,
        redirect_code,
    )

    services = state.services(ctx)
    console = stderr_console()
    interactive = state.stdin_is_terminal()
    if not has_app_secret(services):
        if not interactive:
            raise UsageError(
                "The TikTok Shop app secret is not stored.",
                hint=f"Run `creatorflow secrets set {APP_SECRET}` or set "
                f"{secret_env_var(APP_SECRET)}.",
            )
        secret = typer.prompt("TikTok Shop app secret", hide_input=True, prompt_suffix=": ")
        stored = store_secret(services, APP_SECRET, secret)
        console.print(f"Stored {APP_SECRET} in {stored.backend}.")
    code = auth_code
    if code is None:
        if not interactive:
            raise UsageError(
                "No terminal to paste the authorization into.",
                hint="Pass --auth-code CODE (from the redirect URL after you authorise the app).",
            )
        url, expected_state = authorization_link(services)
        console.print("Open this link, sign in with your seller account and authorise the app:")
        console.print(url, markup=False, highlight=False, soft_wrap=True)
        if not no_browser and _can_open_browser():
            import webbrowser

            webbrowser.open(url)
        pasted = typer.prompt("Paste the page address you were sent to (or just the code)")
        code = redirect_code(pasted, expected_state=expected_state)
    with console.status("Connecting to TikTok Shop…"):
        result = connect_tiktok(services, auth_code=code, app_key=app_key)
    who = f" as {result.seller_name}" if result.seller_name else ""
    console.print(f"Connected{who}: {len(result.shops)} shop(s). Next: `creatorflow orders sync`.")
    show_shops(result.shops, as_json=False)


def _connect_provider(ctx: typer.Context, name: str, secret: str, from_stdin: bool) -> None:
    from creatorflow.cli.output import stderr_console
    from creatorflow.errors import UsageError
    from creatorflow.services.credentials import secret_env_var
    from creatorflow.services.label_providers import connect_provider

    if from_stdin:
        key = sys.stdin.read().strip()
    elif state.stdin_is_terminal():
        key = typer.prompt(f"{name.capitalize()} API key", hide_input=True, prompt_suffix=": ")
    else:
        raise UsageError(
            "No terminal to ask for the API key.",
            hint=f"Pipe it in (`... | creatorflow connect {name} --stdin`) or set "
            f"{secret_env_var(secret)}.",
        )
    console = stderr_console()
    with console.status(f"Checking the key with {name.capitalize()}…"):
        backend = connect_provider(state.services(ctx), name, key)
    console.print(f"{name.capitalize()} connected; the key is stored in {backend}.")


StdinOption = Annotated[
    bool, typer.Option("--stdin", help="Read the API key from standard input (for scripts).")
]


@app.command("shippo")
def shippo(ctx: typer.Context, from_stdin: StdinOption = False) -> None:
    """Connect Shippo: the API key is checked with one call, then stored as a secret."""
    _connect_provider(ctx, "shippo", "shippo_api_key", from_stdin)


@app.command("easypost")
def easypost(ctx: typer.Context, from_stdin: StdinOption = False) -> None:
    """Connect EasyPost: the API key is checked with one call, then stored as a secret."""
    _connect_provider(ctx, "easypost", "easypost_api_key", from_stdin)
