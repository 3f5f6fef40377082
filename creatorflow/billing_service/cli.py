"""`creatorflow-billing`: run the hosted billing service and manage its plans and keys.

    creatorflow-billing serve [--host H --port P] [--dev]
    creatorflow-billing plans list [--json]
    creatorflow-billing plans set NAME --price-lookup-key K --order-limit N
    creatorflow-billing keys generate --out FILE
    creatorflow-billing keys public [--key-file FILE] [--json]

Settings come from the environment (see `creatorflow.billing_service.settings`).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from creatorflow.billing_service.db import make_engine
from creatorflow.billing_service.records import Plan
from creatorflow.billing_service.settings import DEV_SIGNING_KEY_FILE, Settings
from creatorflow.billing_service.store import BillingStore
from creatorflow.billing_service.tokens import KeyFileError, SigningKey

app = typer.Typer(
    name="creatorflow-billing",
    help="The CreatorFlow hosted billing service (holds the Stripe key; see docs/billing-api.md).",
    no_args_is_help=True,
    add_completion=False,
)
plans_app = typer.Typer(help="The plans on sale and their order limits.", no_args_is_help=True)
keys_app = typer.Typer(help="The Ed25519 keys that sign entitlements.", no_args_is_help=True)
app.add_typer(plans_app, name="plans")
app.add_typer(keys_app, name="keys")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"creatorflow-billing: {message}", err=True)
    return typer.Exit(code)


def _describe(key: SigningKey) -> dict[str, str]:
    return {"kid": key.kid, "public_key": key.public_key_b64(), "pem": key.public_key_pem()}


def signing_key_for(settings: Settings, *, dev: bool) -> SigningKey:
    """The signing key from `CREATORFLOW_BILLING_SIGNING_KEY_FILE`; with `dev`, one is made.

    Raises:
        typer.Exit: no key file (outside dev mode), or the file holds no Ed25519 key.
    """
    path = settings.signing_key_file
    if path is None and not dev:
        raise _fail(
            "CREATORFLOW_BILLING_SIGNING_KEY_FILE is not set "
            "(create one with `creatorflow-billing keys generate --out FILE`, or use --dev)."
        )
    path = path or Path(DEV_SIGNING_KEY_FILE).absolute()
    if dev and not path.exists():
        SigningKey.generate().save(path)
        typer.echo(f"warning: generated a development signing key at {path}", err=True)
    try:
        key = SigningKey.load(path)
    except KeyFileError as exc:
        raise _fail(str(exc)) from None
    if dev:
        typer.echo(
            f"warning: development mode: entitlements are signed with kid {key.kid}; "
            f"the local tool must embed public key {key.public_key_b64()} to accept them",
            err=True,
        )
    return key


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8790,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev", help="Generated signing key, no Stripe key needed, open device approval."
        ),
    ] = False,
) -> None:
    """Run the service (uvicorn) until interrupted."""
    import uvicorn

    from creatorflow.billing_service.app import create_app

    settings = Settings.from_env()
    if dev:
        settings = replace(settings, open_approval=True)
    key = signing_key_for(settings, dev=dev)
    if not settings.stripe_api_key:
        if not dev:
            raise _fail("STRIPE_API_KEY is not set (use --dev to run without Stripe).")
        typer.echo("warning: no STRIPE_API_KEY: checkout and portal answer 503", err=True)
    if settings.open_approval:
        typer.echo(
            "warning: /device approves logins for any email typed in (open approval)", err=True
        )
    if not settings.webhook_secret:
        typer.echo("warning: no STRIPE_WEBHOOK_SECRET: /stripe/webhook answers 503", err=True)
    application = create_app(settings, signing_key=key)
    uvicorn.run(application, host=host, port=port, proxy_headers=True, log_level="info")


def _store(settings: Settings) -> BillingStore:
    store = BillingStore(make_engine(settings.database_url))
    store.create_tables()
    return store


@plans_app.command("list")
def plans_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the plans."""
    plans = _store(Settings.from_env()).plans()
    rows = [
        {
            "name": p.name,
            "price_lookup_key": p.price_lookup_key,
            "order_limit": p.order_limit,
            "price_id": p.price_id,
            "amount": p.amount,
            "currency": p.currency,
            "interval": p.interval,
        }
        for p in plans
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("No plans yet: add one with `creatorflow-billing plans set`.")
    for row in rows:
        typer.echo(f"{row['name']:<12} {row['order_limit']:>8} orders  {row['price_lookup_key']}")


@plans_app.command("set")
def plans_set(
    name: Annotated[str, typer.Argument(help="Plan name, e.g. growth.")],
    price_lookup_key: Annotated[
        str, typer.Option("--price-lookup-key", help="The Stripe price's lookup_key.")
    ],
    order_limit: Annotated[
        int, typer.Option("--order-limit", min=0, help="Labelled orders per period.")
    ],
) -> None:
    """Create or replace a plan (its Stripe price is looked up on first use)."""
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
        raise _fail("the plan name must be 1-64 letters, digits, '-' or '_'")
    store = _store(Settings.from_env())
    store.set_plan(Plan(name, price_lookup_key, order_limit), int(time.time()))
    typer.echo(f"plan {name}: {order_limit} orders per period, price {price_lookup_key}")


@keys_app.command("generate")
def keys_generate(
    out: Annotated[Path, typer.Option("--out", help="Where to write the private key (PEM).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Make a new signing key (written 0600; never overwrites) and print its public half."""
    key = SigningKey.generate()
    try:
        key.save(out)
    except FileExistsError:
        raise _fail(f"{out} exists; a key is never overwritten") from None
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}") from None
    _print_public(key, as_json)


@keys_app.command("public")
def keys_public(
    key_file: Annotated[
        Path | None,
        typer.Option("--key-file", help="Default: CREATORFLOW_BILLING_SIGNING_KEY_FILE."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the kid and public key the local tool embeds."""
    path = key_file or Settings.from_env().signing_key_file
    if path is None:
        raise _fail("give --key-file or set CREATORFLOW_BILLING_SIGNING_KEY_FILE")
    try:
        key = SigningKey.load(path)
    except KeyFileError as exc:
        raise _fail(str(exc)) from None
    _print_public(key, as_json)


def _print_public(key: SigningKey, as_json: bool) -> None:
    info = _describe(key)
    if as_json:
        typer.echo(json.dumps(info, indent=2))
    else:
        typer.echo(f"kid         {info['kid']}\npublic_key  {info['public_key']}\n{info['pem']}")


def main() -> None:
    """Entry point of the `creatorflow-billing` script."""
    app(prog_name="creatorflow-billing")
