"""Telling a person: the user's own command (``notify.command``) and the desktop's notifications.

The command
    ``notify.command`` is split like a shell would (``shlex``) but run **without** a shell, with
    the message appended as its last argument, so ``ntfy publish my-topic`` or
    ``/usr/local/bin/page-me --urgent`` just work and nothing in a message can be run. The
    alert is also in the environment: ``CREATORFLOW_EVENT`` (``needs_attention``, ``at_risk``,
    ``overdue``, ``parcel_lost``, ``auth_lost`` or ``digest``), ``CREATORFLOW_TITLE``,
    ``CREATORFLOW_MESSAGE``, ``CREATORFLOW_ORDER_ID`` and ``CREATORFLOW_SHOP_ID`` (empty when
    the alert is not about one). ``CREATORFLOW_SECRET_*`` variables are removed first. The
    command must exit 0 within :data:`COMMAND_TIMEOUT` seconds.
The desktop
    ``notify-send`` on Linux and other Unix desktops, ``osascript`` on macOS; where neither is
    installed (a headless box, Windows) :func:`send_desktop` returns False and nothing happens.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from creatorflow.errors import CreatorflowError

__all__ = [
    "COMMAND_TIMEOUT",
    "Alert",
    "NotifyError",
    "command_argv",
    "command_environment",
    "desktop_argv",
    "run_command",
    "send_desktop",
]

#: Seconds the user's command may run.
COMMAND_TIMEOUT = 30.0
#: Seconds a desktop notifier may take.
DESKTOP_TIMEOUT = 10.0
_SECRET_PREFIX = "CREATORFLOW_SECRET_"  # noqa: S105 - a variable prefix, not a secret
_MAX_OUTPUT = 300

Which = Callable[[str], str | None]


class NotifyError(CreatorflowError):
    """A notification could not be delivered (bad command, non-zero exit, timeout)."""

    title = "Notification failed"


@dataclass(frozen=True)
class Alert:
    """One thing to tell the seller."""

    event: str
    title: str
    message: str
    order_id: str | None = None
    shop_id: str | None = None


def command_argv(command: str) -> list[str]:
    """``notify.command`` split into a program and its arguments.

    Raises:
        NotifyError: the text is empty or its quotes do not close.
    """
    try:
        argv = shlex.split(command, posix=os.name != "nt")
    except ValueError as exc:
        raise NotifyError(
            f"notify.command cannot be read: {exc}.",
            hint="Check its quotes, e.g. creatorflow config set notify.command 'ntfy publish t'",
        ) from None
    if not argv:
        raise NotifyError("notify.command is empty.", hint="Set it, or leave notifications off.")
    return argv


def command_environment(environ: Mapping[str, str], alert: Alert) -> dict[str, str]:
    """The command's environment: ours without secrets, plus the alert's ``CREATORFLOW_*``."""
    env = {key: value for key, value in environ.items() if not key.startswith(_SECRET_PREFIX)}
    env.update(
        CREATORFLOW_EVENT=alert.event,
        CREATORFLOW_TITLE=alert.title,
        CREATORFLOW_MESSAGE=alert.message,
        CREATORFLOW_ORDER_ID=alert.order_id or "",
        CREATORFLOW_SHOP_ID=alert.shop_id or "",
    )
    return env


def _tail(output: bytes | None) -> str:
    text = (output or b"").decode("utf-8", "replace").strip()
    return text[-_MAX_OUTPUT:]


def _run(argv: list[str], env: Mapping[str, str] | None, timeout: float, what: str) -> None:
    try:
        done = subprocess.run(
            argv,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise NotifyError(
            f"{what}: the program {argv[0]!r} was not found.",
            hint="Give its full path in notify.command, or install it.",
        ) from None
    except PermissionError:
        raise NotifyError(
            f"{what}: {argv[0]!r} may not be run.", hint="Make it executable (chmod +x)."
        ) from None
    except OSError as exc:
        raise NotifyError(f"{what}: {argv[0]!r} could not start: {exc}.") from None
    except subprocess.TimeoutExpired:
        raise NotifyError(
            f"{what}: {argv[0]!r} did not finish within {timeout:.0f} s and was stopped.",
            hint="Make the command return quickly (send in the background if it must wait).",
        ) from None
    if done.returncode != 0:
        detail = _tail(done.stderr) or _tail(done.stdout)
        raise NotifyError(
            f"{what}: {argv[0]!r} exited with status {done.returncode}"
            + (f": {detail}" if detail else ".")
        )


def run_command(
    command: str,
    alert: Alert,
    *,
    environ: Mapping[str, str],
    timeout: float = COMMAND_TIMEOUT,
) -> None:
    """Run ``notify.command`` for ``alert`` (message as the last argument; no shell).

    Raises:
        NotifyError: the command is unreadable, missing, failed, or took too long.
    """
    argv = [*command_argv(command), alert.message]
    _run(argv, command_environment(environ, alert), timeout, "notify.command")


def desktop_argv(
    alert: Alert, *, platform: str = sys.platform, which: Which = shutil.which
) -> list[str] | None:
    """The desktop notifier's command line for ``alert``, or None where there is none."""
    if platform == "darwin":
        program = which("osascript")
        if program is None:
            return None
        # Title and message travel as arguments, never inside the script's text.
        script = [
            "on run argv",
            "display notification (item 2 of argv) with title (item 1 of argv)",
            "end run",
        ]
        return [
            program,
            *(part for line in script for part in ("-e", line)),
            alert.title,
            alert.message,
        ]
    if platform.startswith("win"):
        return None
    program = which("notify-send")
    if program is None:
        return None
    return [program, "--app-name=CreatorFlow", "--", alert.title, alert.message]


def send_desktop(
    alert: Alert,
    *,
    platform: str = sys.platform,
    which: Which = shutil.which,
    timeout: float = DESKTOP_TIMEOUT,
) -> bool:
    """Show ``alert`` on the desktop; False (and nothing done) where no notifier exists.

    Raises:
        NotifyError: the notifier exists but failed (no desktop session, for instance).
    """
    argv = desktop_argv(alert, platform=platform, which=which)
    if argv is None:
        return False
    _run(argv, None, timeout, "desktop notification")
    return True
