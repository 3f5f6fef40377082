"""Service units for ``creatorflow daemon run``: systemd ``--user``, launchd, Task Scheduler.

The ``render_*`` functions are pure: they take the command line to run (absolute paths, see
:func:`daemon_command`) and the environment to set, and return the file's text. :func:`install`
and :func:`uninstall` write or remove the file where its service manager looks for it and
return the commands that enable/start (or stop/disable) it; they never run those commands.

- systemd: ``~/.config/systemd/user/creatorflow.service`` (``$XDG_CONFIG_HOME`` honoured);
  output goes to the journal. Without ``loginctl enable-linger $USER`` the user's services
  only run while they are logged in.
- launchd: ``~/Library/LaunchAgents/app.creatorflow.daemon.plist``; output to the log folder.
- Windows: a Task Scheduler XML in the state folder, registered with ``schtasks /Create /XML``;
  an "at log on" task of the user, restarted on failure, with no execution time limit.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

Platform = Literal["systemd", "launchd", "windows"]
PLATFORMS: tuple[Platform, ...] = ("systemd", "launchd", "windows")

SYSTEMD_UNIT = "creatorflow.service"
LAUNCHD_LABEL = "app.creatorflow.daemon"
LAUNCHD_PLIST = f"{LAUNCHD_LABEL}.plist"
WINDOWS_TASK = "CreatorFlow"
WINDOWS_XML = "creatorflow-task.xml"
#: What launchd writes the daemon's stdout/stderr to (the daemon keeps its own ``daemon.log``).
CONSOLE_LOG = "daemon-console.log"
HOME_ENV = "CREATORFLOW_HOME"
RESTART_SECONDS = 10
STOP_TIMEOUT_SECONDS = 45

#: The tool each platform's commands need.
MANAGER_TOOL: dict[Platform, str] = {
    "systemd": "systemctl",
    "launchd": "launchctl",
    "windows": "schtasks",
}


def current_platform() -> Platform:
    """The service manager of this machine's operating system."""
    if sys.platform == "darwin":
        return "launchd"
    if sys.platform.startswith("win"):
        return "windows"
    return "systemd"


def daemon_command(executable: str | None = None) -> list[str]:
    """The absolute command line of ``creatorflow daemon run`` for this installation.

    The ``creatorflow`` script next to the interpreter when there is one (a pipx/uv/venv
    install), else ``<python> -m creatorflow``. The interpreter's path is made absolute but
    symlinks are kept: resolving a venv's ``python`` would leave the venv.
    """
    python = Path(executable or sys.executable).absolute()
    names = ("creatorflow.exe", "creatorflow") if os.name == "nt" else ("creatorflow",)
    for name in names:
        script = python.parent / name
        if script.is_file():
            return [str(script), "daemon", "run"]
    return [str(python), "-m", "creatorflow", "daemon", "run"]


def service_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables the service sets: unbuffered output, and the user's home if they set one."""
    env = {"PYTHONUNBUFFERED": "1"}
    home = environ.get(HOME_ENV, "").strip()
    if home:
        env[HOME_ENV] = str(Path(home).expanduser().absolute())
    return env


# --- systemd -----------------------------------------------------------------------------------


def _systemd_quote(value: str, *, exec_line: bool) -> str:
    """One word for a unit file: ``%`` specifiers escaped, ``$`` too on Exec lines, quoted."""
    text = value.replace("%", "%%")
    if exec_line:
        text = text.replace("$", "$$")
    if text and not any(ch in text for ch in " \t\"'\\;"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_systemd(command: Sequence[str], environment: Mapping[str, str]) -> str:
    """``creatorflow.service`` for ``systemctl --user``; output goes to the journal."""
    exec_start = " ".join(_systemd_quote(word, exec_line=True) for word in command)
    env_lines = "".join(
        f"Environment={_systemd_quote(f'{key}={value}', exec_line=False)}\n"
        for key, value in environment.items()
    )
    return (
        "# Written by `creatorflow daemon install`; `creatorflow daemon uninstall` removes it.\n"
        "[Unit]\n"
        "Description=CreatorFlow daemon: orders, labels and tracking with no one watching\n"
        "StartLimitIntervalSec=300\n"
        "StartLimitBurst=5\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"ExecStart={exec_start}\n"
        f"{env_lines}"
        "Restart=on-failure\n"
        f"RestartSec={RESTART_SECONDS}\n"
        "KillSignal=SIGTERM\n"
        f"TimeoutStopSec={STOP_TIMEOUT_SECONDS}\n"
        "StandardOutput=journal\n"
        "StandardError=journal\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


# --- launchd -----------------------------------------------------------------------------------


def render_launchd(command: Sequence[str], environment: Mapping[str, str], log_dir: Path) -> str:
    """``app.creatorflow.daemon.plist``: started at load, restarted when it exits with an error."""
    console = str(log_dir / CONSOLE_LOG)
    document = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": list(command),
        "EnvironmentVariables": dict(environment),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": RESTART_SECONDS,
        "ExitTimeOut": STOP_TIMEOUT_SECONDS,
        "ProcessType": "Background",
        "StandardOutPath": console,
        "StandardErrorPath": console,
    }
    return plistlib.dumps(document, sort_keys=False).decode("utf-8")


# --- Windows Task Scheduler --------------------------------------------------------------------


def _windows_quote(word: str) -> str:
    return f'"{word}"' if (not word or any(ch in word for ch in " \t&^|<>()")) else word


def windows_action(command: Sequence[str], environment: Mapping[str, str]) -> tuple[str, str]:
    """The task's program and arguments. Tasks carry no environment, so a ``CREATORFLOW_HOME``
    is set by ``cmd.exe /d /c set "…" && <command>`` (PYTHONUNBUFFERED is not needed there)."""
    home = environment.get(HOME_ENV)
    if not home:
        return command[0], " ".join(_windows_quote(word) for word in command[1:])
    line = " ".join(_windows_quote(word) for word in command)
    return "cmd.exe", f'/d /c set "{HOME_ENV}={home}" && {line}'


def render_windows(
    command: Sequence[str], environment: Mapping[str, str], user: str | None = None
) -> str:
    """A Task Scheduler 1.2 task: at the user's log on, restart on failure, no time limit."""
    program, arguments = windows_action(command, environment)
    user_id = f"\n      <UserId>{escape(user)}</UserId>" if user else ""
    return f"""<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>CreatorFlow daemon: orders, labels and tracking with no one watching.</Description>
    <URI>\\{WINDOWS_TASK}</URI>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>{user_id}
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">{user_id}
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{escape(program)}</Command>
      <Arguments>{escape(arguments)}</Arguments>
    </Exec>
  </Actions>
</Task>
"""


# --- placing the files -------------------------------------------------------------------------


def _home(environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME") or environ.get("USERPROFILE")
    return Path(home) if home else Path.home()


def unit_path(platform: Platform, environ: Mapping[str, str], state_dir: Path) -> Path:
    """Where the unit file of ``platform`` goes."""
    if platform == "systemd":
        config = environ.get("XDG_CONFIG_HOME", "").strip()
        base = Path(config) if config and Path(config).is_absolute() else _home(environ) / ".config"
        return base / "systemd" / "user" / SYSTEMD_UNIT
    if platform == "launchd":
        return _home(environ) / "Library" / "LaunchAgents" / LAUNCHD_PLIST
    return state_dir / WINDOWS_XML


def _uid() -> int:
    getuid = getattr(os, "getuid", None)
    return int(getuid()) if getuid is not None else 0


def render(
    platform: Platform,
    *,
    environ: Mapping[str, str],
    log_dir: Path,
    command: Sequence[str] | None = None,
) -> str:
    """The unit text of ``platform`` for this installation."""
    argv = list(command) if command is not None else daemon_command()
    env = service_environment(environ)
    if platform == "systemd":
        return render_systemd(argv, env)
    if platform == "launchd":
        return render_launchd(argv, env, log_dir)
    user = environ.get("USERNAME")
    domain = environ.get("USERDOMAIN")
    return render_windows(argv, env, f"{domain}\\{user}" if user and domain else user)


@dataclass(frozen=True)
class UnitChange:
    """What :func:`install`/:func:`uninstall` did, and the commands left to run."""

    platform: Platform
    path: Path
    commands: list[list[str]] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)

    @property
    def tool(self) -> str:
        return MANAGER_TOOL[self.platform]

    def command_lines(self) -> list[str]:
        return [shlex.join(argv) for argv in self.commands]


def enable_commands(platform: Platform, path: Path) -> list[list[str]]:
    """The commands that load and start an installed unit."""
    if platform == "systemd":
        return [
            ["systemctl", "--user", "daemon-reload"],
            ["systemctl", "--user", "enable", "--now", SYSTEMD_UNIT],
        ]
    if platform == "launchd":
        return [["launchctl", "bootstrap", f"gui/{_uid()}", str(path)]]
    return [["schtasks", "/Create", "/TN", WINDOWS_TASK, "/XML", str(path), "/F"]]


def disable_commands(platform: Platform, path: Path) -> list[list[str]]:
    """The commands that stop and unload a unit (run before its file is removed)."""
    if platform == "systemd":
        return [["systemctl", "--user", "disable", "--now", SYSTEMD_UNIT]]
    if platform == "launchd":
        return [["launchctl", "bootout", f"gui/{_uid()}", str(path)]]
    return [["schtasks", "/Delete", "/TN", WINDOWS_TASK, "/F"]]


def start_commands(platform: Platform) -> list[list[str]]:
    """Start the installed service now."""
    if platform == "systemd":
        return [["systemctl", "--user", "start", SYSTEMD_UNIT]]
    if platform == "launchd":
        return [["launchctl", "kickstart", f"gui/{_uid()}/{LAUNCHD_LABEL}"]]
    return [["schtasks", "/Run", "/TN", WINDOWS_TASK]]


def stop_commands(platform: Platform) -> list[list[str]]:
    """Stop the installed service now (it exits 0 on SIGTERM, so it is not restarted)."""
    if platform == "systemd":
        return [["systemctl", "--user", "stop", SYSTEMD_UNIT]]
    if platform == "launchd":
        return [["launchctl", "kill", "SIGTERM", f"gui/{_uid()}/{LAUNCHD_LABEL}"]]
    return [["schtasks", "/End", "/TN", WINDOWS_TASK]]


def install(
    platform: Platform,
    *,
    environ: Mapping[str, str],
    state_dir: Path,
    log_dir: Path,
    command: Sequence[str] | None = None,
) -> UnitChange:
    """Write the unit of ``platform``; return the commands that enable and start it."""
    path = unit_path(platform, environ, state_dir)
    text = render(platform, environ=environ, log_dir=log_dir, command=command)
    path.parent.mkdir(parents=True, exist_ok=True)
    if platform == "windows":
        path.write_text(text, encoding="utf-16")  # what schtasks /XML reads
    else:
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o644)  # launchd refuses a group- or world-writable plist
    hints: list[str] = []
    if platform == "systemd":
        user = environ.get("USER") or "$USER"
        hints.append(
            f"To keep it running without a login session (and start it at boot): "
            f"loginctl enable-linger {user}"
        )
        hints.append("Its output goes to the journal: journalctl --user -u creatorflow -f")
    return UnitChange(platform, path, enable_commands(platform, path), hints)


def uninstall(
    platform: Platform,
    *,
    environ: Mapping[str, str],
    state_dir: Path,
    before_removal: Callable[[list[list[str]]], object] | None = None,
) -> UnitChange:
    """Remove the unit file of ``platform`` (if any); return the commands that unload it.

    ``before_removal``, when given, is called with the stop/unload commands before the file
    goes (that is when they work best); the returned change lists every command either way.
    """
    path = unit_path(platform, environ, state_dir)
    commands = disable_commands(platform, path)
    if platform == "launchd":  # bootout by label works with the file gone too
        commands = [["launchctl", "bootout", f"gui/{_uid()}/{LAUNCHD_LABEL}"]]
    if before_removal is not None and path.exists():
        before_removal(commands)
    path.unlink(missing_ok=True)
    if platform == "systemd":
        commands = [*commands, ["systemctl", "--user", "daemon-reload"]]
    return UnitChange(platform, path, commands)
