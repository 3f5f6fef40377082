"""``creatorflow billing``: sign in to CreatorFlow billing, see the plan, upgrade, sign out.

The plan's order limit applies to approvals once this install is signed in; before that
nothing is enforced. Stripe pages (checkout, portal) open in the browser; their URL is always
printed too.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from creatorflow.cli import state
from creatorflow.cli.output import JsonOption

if TYPE_CHECKING:
    from creatorflow.domain.entitlement import Entitlement
    from creatorflow.services.billing import BillingLink

app = typer.Typer(help="Your CreatorFlow plan: sign in, status, upgrade, usage.")

NoBrowserOption = Annotated[
    bool, typer.Option("--no-browser", help="Print the link without opening a browser.")
]


def _can_open_browser() -> bool:
    # On a headless Linux box webbrowser falls back to a text browser inside this terminal.
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open(url: str, no_browser: bool) -> None:
    if not no_browser and _can_open_browser():
        import webbrowser

        webbrowser.open(url)


@app.command("login")
def login(
    ctx: typer.Context,
    no_browser: NoBrowserOption = False,
    station: Annotated[
        str | None, typer.Option("--station", help="Name shown on the approval page.")
    ] = None,
) -> None:
    """Sign in this install: approve the code shown here in the browser (Ctrl-C cancels)."""
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.billing import finish_login, start_login

    services = state.services(ctx)
    console = stderr_console()
    code = start_login(services, station=station)
    console.print(
        f"To sign in, open {code.verification_uri} and enter the code "
        f"[bold]{code.user_code}[/bold] (valid {code.expires_in // 60} min).",
        highlight=False,
    )
    console.print(code.verification_uri_complete, markup=False, highlight=False, soft_wrap=True)
    _open(code.verification_uri_complete, no_browser)
    try:
        with console.status("Waiting for the approval… (Ctrl-C cancels)"):
            result = finish_login(services, code)
    except KeyboardInterrupt:
        console.print("Sign-in cancelled; nothing was stored.")
        raise typer.Exit(130) from None
    console.print(f"Signed in: install {result.install_id}, token stored in {result.stored_in}.")
    if result.shadowed_by:
        console.print(
            f"Note: {result.shadowed_by} also sets billing_install_token and wins over the "
            "stored one; remove it there."
        )
    if result.entitlement is not None:
        _describe(result.entitlement)
    else:
        console.print(f"The plan could not be fetched yet ({result.entitlement_error}).")
        console.print("Run `creatorflow billing status` to try again.")


def _status_row(entitlement: Entitlement) -> dict[str, Any]:
    claims = entitlement.claims
    return {
        "state": entitlement.state.value,
        "plan": claims.plan if claims else "none",
        "status": claims.status if claims else "none",
        "period_start": claims.period_start if claims else None,
        "period_end": claims.period_end if claims else None,
        "order_limit": entitlement.order_limit,
        "used": entitlement.used,
        "pending": entitlement.pending,
        "remaining": entitlement.remaining,
        "issued_at": claims.issued_at if claims else None,
        "expires_at": claims.expires_at if claims else None,
        "grace_until": claims.grace_until if claims else None,
        "reason": entitlement.reason,
        "warnings": list(entitlement.warnings),
    }


def _describe(entitlement: Entitlement) -> None:
    from creatorflow.cli.output import stderr_console, when

    console = stderr_console()
    claims = entitlement.claims
    if claims is not None and claims.subscribed:
        console.print(
            f"Plan {claims.plan} ({claims.status}): {entitlement.used + entitlement.pending:,} "
            f"of {entitlement.order_limit:,} orders used until {when(claims.period_end)}.",
            markup=False,
        )
    if entitlement.reason:
        console.print(entitlement.reason, markup=False)
    for warning in entitlement.warnings:
        console.print(f"Warning: {warning}", markup=False)


@app.command("status")
def status(
    ctx: typer.Context,
    as_json: JsonOption = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Show the cached plan; do not ask the service.")
    ] = False,
) -> None:
    """Plan, subscription status, period, orders used of the limit, and entitlement expiry."""
    from creatorflow.cli.output import emit_object, plain, stderr_console, when
    from creatorflow.services.billing import billing_status

    report = billing_status(state.services(ctx), refresh=not offline)
    row = {
        "signed_in": True,
        "install_id": report.install_id,
        "account_id": report.account_id,
        **_status_row(report.entitlement),
        "unsent_usage": report.unsent_usage,
        "refreshed": report.refreshed,
        "refresh_error": report.refresh_error,
    }
    if as_json:
        emit_object(plain(row), as_json=True)
        return
    shown = {
        "Plan": row["plan"],
        "Subscription": row["status"],
        "Entitlement": row["state"],
        "Period": f"{when(row['period_start'])} → {when(row['period_end'])}",
        "Orders used": f"{row['used'] + row['pending']:,} of {row['order_limit']:,}",
        "Remaining": f"{row['remaining']:,}",
        "Valid until": when(row["expires_at"]),
        "Offline grace until": when(row["grace_until"]),
        "Usage not yet reported": row["unsent_usage"],
    }
    emit_object(shown)
    console = stderr_console()
    if report.refresh_error:
        console.print(f"Showing the cached plan: {report.refresh_error}", markup=False)
    if report.entitlement.reason:
        console.print(report.entitlement.reason, markup=False)
    for warning in report.entitlement.warnings:
        console.print(f"Warning: {warning}", markup=False)


def _show_link(link: BillingLink, no_browser: bool) -> None:
    from creatorflow.cli.output import stderr_console

    console = stderr_console()
    console.print(link.note, markup=False)
    typer.echo(link.url)
    _open(link.url, no_browser)


@app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    plan: Annotated[
        str | None, typer.Argument(help="Plan name (omit to list them).", show_default=False)
    ] = None,
    no_browser: NoBrowserOption = False,
) -> None:
    """Open Stripe Checkout for a plan (the Customer Portal if you already subscribe)."""
    from creatorflow.services.billing import upgrade_link

    _show_link(upgrade_link(state.services(ctx), plan), no_browser)


@app.command("portal")
def portal(ctx: typer.Context, no_browser: NoBrowserOption = False) -> None:
    """Open the Stripe Customer Portal: change plan, cancel, update the card."""
    from creatorflow.services.billing import portal_link

    _show_link(portal_link(state.services(ctx)), no_browser)


@app.command("usage")
def usage(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """This period's labelled orders as the billing service counts them, and the local backlog."""
    from creatorflow.cli.output import emit_object, plain, when
    from creatorflow.services.billing import billing_usage

    report = billing_usage(state.services(ctx))
    row = {
        "period_start": report.period_start,
        "period_end": report.period_end,
        "used": report.used,
        "order_limit": report.order_limit,
        "unsent": report.unsent,
        "approved_not_labelled": report.approved_not_labelled,
        "remaining": report.remaining,
    }
    if as_json:
        emit_object(plain(row), as_json=True)
        return
    emit_object(
        {
            "Period": f"{when(report.period_start)} → {when(report.period_end)}",
            "Counted by the service": f"{report.used:,} of {report.order_limit:,}",
            "Labelled, not yet reported": report.unsent,
            "Approved, not yet labelled": report.approved_not_labelled,
            "Remaining": f"{report.remaining:,}",
        }
    )


@app.command("logout")
def logout(ctx: typer.Context) -> None:
    """Send pending usage, revoke this install's token, and forget the plan here."""
    from creatorflow.cli.output import stderr_console
    from creatorflow.services.billing import logout as sign_out

    result = sign_out(state.services(ctx))
    console = stderr_console()
    for problem in result.problems:
        console.print(f"Warning: {problem}.", markup=False)
    revoked = "revoked" if result.revoked else "not revoked"
    console.print(
        f"Signed out ({revoked} on the service); no plan limit applies on this install now.",
        markup=False,
    )
    if result.unsent_left:
        console.print(
            f"{result.unsent_left} labelled order(s) are not reported yet; they go at the next "
            "sign-in.",
            markup=False,
        )
