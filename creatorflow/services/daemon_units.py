"""``daemon install|uninstall|start|stop``: the daemon as a systemd/launchd/Task Scheduler service.

The unit files come from :mod:`creatorflow.daemon.units` (pure rendering and file placement);
this module decides whether the service manager's commands run (only when asked to and when
its tool is on ``PATH``) and falls back to signalling the lock holder when there is no
service to stop.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from creatorflow.daemon import units
from creatorflow.daemon.units import Platform
from creatorflow.errors import CreatorflowError, UsageError

if TYPE_CHECKING:
    from creatorflow.services.context import Services


@dataclass(frozen=True)
class UnitReport:
    """What happened: the unit file, the commands, whether they ran, what to tell the user."""

    platform: Platform
    path: Path | None
    commands: list[str] = field(default_factory=list)
    ran: bool = False
    tool_missing: bool = False
    hints: list[str] = field(default_factory=list)
    message: str = ""


class ServiceCommandError(CreatorflowError):
    """The service manager refused a command."""

    title = "Service manager error"


def _platform(platform: str | None) -> Platform:
    if platform is None:
        return units.current_platform()
    for known in units.PLATFORMS:
        if known == platform:
            return known
    raise UsageError(f"Unknown service platform {platform!r}; one of {', '.join(units.PLATFORMS)}.")


def _has_tool(platform: Platform) -> bool:
    return shutil.which(units.MANAGER_TOOL[platform]) is not None


def _run(commands: list[list[str]]) -> None:
    for argv in commands:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip()
            raise ServiceCommandError(
                f"`{' '.join(argv)}` failed (exit {done.returncode})"
                + (f": {detail}" if detail else "."),
            )


def _command(webhooks: str | None) -> list[str]:
    """``creatorflow daemon run``, with ``--webhooks HOST:PORT`` when asked for."""
    return units.daemon_command() + (["--webhooks", webhooks] if webhooks else [])


def unit_text(
    services: Services, platform: str | None = None, *, webhooks: str | None = None
) -> str:
    """The unit file ``daemon install`` would write, for printing."""
    return units.render(
        _platform(platform),
        environ=services.environ,
        log_dir=services.paths.log_dir,
        command=_command(webhooks),
    )


def install_unit(
    services: Services,
    platform: str | None = None,
    *,
    enable: bool = True,
    webhooks: str | None = None,
) -> UnitReport:
    """Write the unit; enable and start it when ``enable`` and the service manager is here.

    ``webhooks`` (``HOST:PORT``, already checked by the caller) makes the service run the
    webhook receiver too.
    """
    chosen = _platform(platform)
    change = units.install(
        chosen,
        environ=services.environ,
        state_dir=services.paths.state_dir,
        log_dir=services.paths.log_dir,
        command=_command(webhooks),
    )
    missing = not _has_tool(chosen)
    ran = enable and not missing
    if ran:
        _run(change.commands)
    return UnitReport(chosen, change.path, change.command_lines(), ran, missing, list(change.hints))


def uninstall_unit(
    services: Services, platform: str | None = None, *, disable: bool = True
) -> UnitReport:
    """Stop and unload the service (when its manager is here) and remove its unit file."""
    chosen = _platform(platform)
    path = units.unit_path(chosen, services.environ, services.paths.state_dir)
    existed = path.exists()
    missing = not _has_tool(chosen)
    ran = disable and not missing and existed
    before: list[list[str]] = []

    def unload(commands: list[list[str]]) -> None:
        before.extend(commands)
        for argv in commands:  # the service may already be stopped or unloaded: not fatal
            subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)

    change = units.uninstall(
        chosen,
        environ=services.environ,
        state_dir=services.paths.state_dir,
        before_removal=unload if ran else None,
    )
    if ran:
        _run(change.commands[len(before) :])
    message = f"Removed {path}." if existed else f"No unit installed at {path}."
    return UnitReport(
        chosen, path, change.command_lines() if existed else [], ran, missing, message=message
    )


def _installed(services: Services, platform: Platform) -> bool:
    return units.unit_path(platform, services.environ, services.paths.state_dir).exists()


def start_daemon(services: Services, platform: str | None = None) -> UnitReport:
    """Start the installed service through its manager."""
    chosen = _platform(platform)
    if not _has_tool(chosen) or not _installed(services, chosen):
        raise UsageError(
            "The daemon is not installed as a service here.",
            hint="Run `creatorflow daemon install`, or `creatorflow daemon run` in the foreground.",
        )
    commands = units.start_commands(chosen)
    _run(commands)
    return UnitReport(chosen, None, [" ".join(argv) for argv in commands], ran=True)


def _lock_holder(state_dir: Path) -> int | None:
    """The PID of the running daemon, or ``None`` when the lock is free (a stale PID file)."""
    from filelock import FileLock, Timeout

    from creatorflow.daemon.lock import LOCK_NAME, InstanceLock

    pid = InstanceLock(state_dir).holder_pid()
    if pid is None or not (state_dir / LOCK_NAME).exists():
        return None
    probe = FileLock(str(state_dir / LOCK_NAME), thread_local=False)
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return pid  # someone holds it, and the PID file names them
    probe.release()
    return None


def stop_daemon(services: Services, platform: str | None = None) -> UnitReport:
    """Stop the service through its manager; without one, SIGTERM the lock holder's PID."""
    chosen = _platform(platform)
    if _has_tool(chosen) and _installed(services, chosen):
        commands = units.stop_commands(chosen)
        _run(commands)
        return UnitReport(chosen, None, [" ".join(argv) for argv in commands], ran=True)
    pid = _lock_holder(services.paths.state_dir)
    if pid is None:
        return UnitReport(chosen, None, message="The daemon is not running.")
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return UnitReport(chosen, None, message="The daemon is not running.")
    return UnitReport(
        chosen,
        None,
        message=f"Sent SIGTERM to the daemon (pid {pid}); it finishes running jobs, then exits.",
    )
