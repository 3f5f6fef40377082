"""``creatorflow daemon``: run the unattended daemon, see how it is doing, read its log, and
install it as a service (systemd --user, launchd, Windows Task Scheduler)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from creatorflow.cli import state
from creatorflow.cli.output import JsonOption

if TYPE_CHECKING:
    from creatorflow.services.daemon_units import UnitReport

app = typer.Typer(help="The daemon: orders, labels and tracking flow with no one watching.")


def parse_webhooks_address(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8787`` for IPv6) as a host and a port from 1 to 65535.

    Raises:
        UsageError: not of that form, or the port is out of range.
    """
    from creatorflow.errors import UsageError

    host, sep, port_text = value.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    port = int(port_text) if port_text.isascii() and port_text.isdigit() else 0
    # A host name is ASCII letters, digits, dots, dashes (IPv6: hex digits and colons); anything
    # else (spaces, right-to-left marks) cannot be bound and must not reach the socket.
    plain = host.isascii() and all(c.isalnum() or c in ".-:" for c in host)
    if not sep or not host or not plain or not 1 <= port <= 65535:
        raise UsageError(
            f"--webhooks {value!r} is not HOST:PORT with a port from 1 to 65535.",
            hint="For example --webhooks 127.0.0.1:8787, with an HTTPS reverse proxy in front.",
        )
    return host, port


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


WebhooksOption = Annotated[
    str | None,
    typer.Option(
        "--webhooks",
        metavar="HOST:PORT",
        help=(
            "Also receive TikTok Shop webhooks here (e.g. 127.0.0.1:8787, behind an HTTPS "
            "reverse proxy): each one syncs its order at once. Polling goes on regardless."
        ),
        show_default=False,
    ),
]


@app.command("run")
def run(ctx: typer.Context, webhooks: WebhooksOption = None) -> None:
    """Run the daemon in the foreground (what a service manager executes); Ctrl-C stops it.

    Exits 2 when another daemon already runs on this installation or --webhooks cannot listen.
    """
    address = parse_webhooks_address(webhooks) if webhooks is not None else None
    # The daemon is another front end: reached only through this lazy import.
    from creatorflow.daemon.lock import InstanceLock
    from creatorflow.daemon.scheduler import run as run_daemon

    services = state.services(ctx)
    services.paths.ensure_dirs()
    with InstanceLock(services.paths.state_dir):
        typer.echo(f"CreatorFlow daemon running (pid {os.getpid()}); Ctrl-C stops it.", err=True)
        if address is not None:
            host, port = address
            shown = f"[{host}]" if ":" in host else host
            typer.echo(f"TikTok webhooks: POST http://{shown}:{port}/webhooks/tiktok", err=True)
            if not is_loopback(host):
                typer.echo(
                    f"Warning: {host} is reachable from other machines. TikTok only calls "
                    "https:// URLs: put an HTTPS reverse proxy in front and listen on "
                    "127.0.0.1 instead.",
                    err=True,
                )
        clean = run_daemon(services, webhooks=address)
    if not clean:
        # A job is still stuck in a network call: leave without waiting for its thread.
        # Nothing is lost: the effect journal resumes it on the next start.
        services.close()
        os._exit(0)


def _when(value: object) -> str:
    from datetime import datetime

    from creatorflow.cli.output import when

    return when(value) if isinstance(value, datetime) else "—"


@app.command("status")
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Is the daemon running, how did each job go, how deep are the queues."""
    from creatorflow.cli.output import plain, print_json, stdout_console
    from creatorflow.services.daemon_status import daemon_status

    report = daemon_status(state.services(ctx))
    if as_json:
        print_json(plain(report))
        return
    from rich.table import Table
    from rich.text import Text

    console = stdout_console()
    if report.running:
        console.print(
            f"Daemon running: pid {report.pid} on {report.station}, up {report.uptime_s} s, "
            f"last heartbeat {_when(report.last_beat_at)}.",
            markup=False,
        )
    else:
        seen = f" (last seen pid {report.pid}, {_when(report.last_beat_at)})" if report.pid else ""
        console.print(f"Daemon not running{seen}.", markup=False)
    queues = ", ".join(f"{name} {count}" for name, count in report.queues.items())
    console.print(f"Queues: {queues}.", markup=False)
    if not report.jobs:
        return
    table = Table(show_edge=False, pad_edge=False)
    for header in ("Job", "Last run", "Outcome", "Next run", "Error"):
        table.add_column(header)
    for name, job in report.jobs.items():
        table.add_row(
            Text(name),
            Text(_when(job.last_run)),
            Text(job.outcome or ""),
            Text(job.next_run or ""),
            Text(job.error or ""),
        )
    console.print(table)


def _tail(path: Path, lines: int) -> list[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            block = min(size, max(lines, 1) * 400 + 4096)
            handle.seek(size - block)
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    found = text.splitlines()
    if block < size:
        found = found[1:]  # the first line read may be cut
    return found[-lines:] if lines > 0 else []


@app.command("logs")
def logs(
    ctx: typer.Context,
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Keep printing new lines.")
    ] = False,
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="Lines to show.")] = 50,
) -> None:
    """Show the end of the daemon's log (-f to follow it)."""
    from creatorflow.daemon.log import log_file

    path = log_file(state.services(ctx).paths.log_dir)
    if not path.exists() and not follow:
        typer.echo(f"No daemon log yet ({path}).", err=True)
        return
    for line in _tail(path, lines):
        typer.echo(line)
    if not follow:
        return
    handle = None
    inode = None
    try:
        while True:
            if handle is None:
                try:
                    handle = path.open("r", encoding="utf-8", errors="replace")
                    inode = os.fstat(handle.fileno()).st_ino
                    handle.seek(0, os.SEEK_END)
                except FileNotFoundError:
                    time.sleep(0.5)
                    continue
            line = handle.readline()
            if line:
                typer.echo(line.rstrip("\n"))
                continue
            try:
                rotated = path.stat().st_ino != inode
            except FileNotFoundError:
                rotated = True
            if rotated:  # the log rotated: read the new file from its start
                handle.close()
                handle = path.open("r", encoding="utf-8", errors="replace")
                inode = os.fstat(handle.fileno()).st_ino
                continue
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if handle is not None:
            handle.close()


PlatformOption = Annotated[
    str | None,
    typer.Option(
        "--platform",
        help="systemd, launchd or windows (default: this machine's).",
        show_default=False,
    ),
]


def _print_commands(report: UnitReport, verb: str) -> None:
    """The service manager's commands: reported when they ran, printed to copy when not."""
    if not report.commands:
        return
    if report.ran:
        typer.echo(f"{verb}:", err=True)
        for line in report.commands:
            typer.echo(f"  {line}", err=True)
        return
    tool = report.commands[0].split()[0]
    why = f"`{tool}` is not on PATH here" if report.tool_missing else "Not run"
    typer.echo(f"{why}; to finish, run:", err=True)
    for line in report.commands:
        typer.echo(line)


@app.command("install")
def install(
    ctx: typer.Context,
    no_enable: Annotated[
        bool, typer.Option("--no-enable", help="Write the unit only; print the commands.")
    ] = False,
    print_only: Annotated[
        bool, typer.Option("--print", help="Print the unit on stdout; write nothing.")
    ] = False,
    platform: PlatformOption = None,
    webhooks: WebhooksOption = None,
) -> None:
    """Install the daemon as a service: systemd --user, a launchd agent, or a Windows task."""
    from creatorflow.services import daemon_units

    if webhooks is not None:
        parse_webhooks_address(webhooks)  # refuse a bad address before writing anything
    services = state.services(ctx)
    if print_only:
        typer.echo(daemon_units.unit_text(services, platform, webhooks=webhooks), nl=False)
        return
    report = daemon_units.install_unit(services, platform, enable=not no_enable, webhooks=webhooks)
    typer.echo(f"Wrote {report.path}.", err=True)
    _print_commands(report, "Enabled with")
    for hint in report.hints:
        typer.echo(hint, err=True)


@app.command("uninstall")
def uninstall(
    ctx: typer.Context,
    no_disable: Annotated[
        bool, typer.Option("--no-disable", help="Remove the unit only; print the commands.")
    ] = False,
    platform: PlatformOption = None,
) -> None:
    """Stop the daemon's service and remove its unit."""
    from creatorflow.services import daemon_units

    report = daemon_units.uninstall_unit(state.services(ctx), platform, disable=not no_disable)
    typer.echo(report.message, err=True)
    _print_commands(report, "Unloaded with")


@app.command("start")
def start(ctx: typer.Context, platform: PlatformOption = None) -> None:
    """Start the installed service (systemctl, launchctl or schtasks)."""
    from creatorflow.services import daemon_units

    report = daemon_units.start_daemon(state.services(ctx), platform)
    typer.echo(f"Started: {'; '.join(report.commands)}", err=True)


@app.command("stop")
def stop(ctx: typer.Context, platform: PlatformOption = None) -> None:
    """Stop the daemon: through its service manager, or SIGTERM to the running daemon."""
    from creatorflow.services import daemon_units

    report = daemon_units.stop_daemon(state.services(ctx), platform)
    typer.echo(report.message or f"Stopped: {'; '.join(report.commands)}", err=True)
