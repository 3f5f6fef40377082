"""Service units for ``daemon run``: systemd, launchd and Task Scheduler files, installed into a
fake home and removed again; ``daemon stop`` without a service manager signals the lock holder."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from creatorflow.cli.app import app
from creatorflow.config.paths import resolve_paths
from creatorflow.daemon import units
from creatorflow.services import daemon_units
from creatorflow.services.context import Services

TASK_NS = "{http://schemas.microsoft.com/windows/2004/02/mit/task}"


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and XDG_CONFIG_HOME in the test folder; no service manager tool is ever run."""
    home = tmp_path / "user-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setattr(daemon_units, "_has_tool", lambda platform: False)
    return home


def test_the_daemon_command_is_absolute() -> None:
    command = units.daemon_command()
    assert Path(command[0]).is_absolute()
    assert command[-2:] == ["daemon", "run"]
    fallback = units.daemon_command("/nowhere/bin/python3")
    assert fallback == ["/nowhere/bin/python3", "-m", "creatorflow", "daemon", "run"]


def test_the_systemd_unit_runs_the_absolute_command_with_the_home(
    isolated_home: Path, tmp_path: Path
) -> None:
    text = units.render(
        "systemd", environ={"CREATORFLOW_HOME": str(isolated_home)}, log_dir=tmp_path
    )
    lines = text.splitlines()
    exec_start = next(line for line in lines if line.startswith("ExecStart="))
    program = exec_start.removeprefix("ExecStart=").split()[0]
    assert Path(program).is_absolute()
    assert Path(program).exists()
    assert exec_start.endswith(" daemon run")
    assert f"Environment=CREATORFLOW_HOME={isolated_home}" in lines
    for setting in (
        "Type=simple",
        "Restart=on-failure",
        "RestartSec=10",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=45",
        "WantedBy=default.target",
    ):
        assert setting in lines

    # Without CREATORFLOW_HOME the unit sets none.
    bare = units.render("systemd", environ={}, log_dir=tmp_path)
    assert "CREATORFLOW_HOME" not in bare

    analyze = shutil.which("systemd-analyze")
    if analyze is not None:  # only this check needs the tool
        unit = tmp_path / units.SYSTEMD_UNIT
        unit.write_text(text, encoding="utf-8")
        # System mode: `--user` needs a running user manager, which CI machines lack.
        done = subprocess.run(
            [analyze, "verify", str(unit)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert "creatorflow.service" not in done.stderr, done.stderr


def test_systemd_quoting_survives_spaces_and_specifiers(tmp_path: Path) -> None:
    text = units.render_systemd(
        ["/opt/my apps/creatorflow", "daemon", "run"], {"CREATORFLOW_HOME": "/srv/100% cf"}
    )
    assert 'ExecStart="/opt/my apps/creatorflow" daemon run' in text
    assert 'Environment="CREATORFLOW_HOME=/srv/100%% cf"' in text


def test_the_launchd_plist_parses_and_has_the_keys(isolated_home: Path, tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    text = units.render(
        "launchd", environ={"CREATORFLOW_HOME": str(isolated_home)}, log_dir=log_dir
    )
    plist = plistlib.loads(text.encode("utf-8"))
    assert plist["Label"] == "app.creatorflow.daemon"
    assert Path(plist["ProgramArguments"][0]).is_absolute()
    assert plist["ProgramArguments"][-2:] == ["daemon", "run"]
    assert plist["RunAtLoad"] is True
    assert plist["KeepAlive"] == {"SuccessfulExit": False}
    assert plist["EnvironmentVariables"]["CREATORFLOW_HOME"] == str(isolated_home)
    assert plist["StandardOutPath"] == str(log_dir / units.CONSOLE_LOG)
    assert plist["StandardErrorPath"] == str(log_dir / units.CONSOLE_LOG)


def test_the_windows_task_parses_and_restarts_on_failure(tmp_path: Path) -> None:
    text = units.render(
        "windows",
        environ={"CREATORFLOW_HOME": "/srv/ann cf", "USERNAME": "ann", "USERDOMAIN": "PACK"},
        log_dir=tmp_path,
        command=[r"C:\Program Files\cf\creatorflow.exe", "daemon", "run"],
    )
    root = ET.fromstring(text.encode("utf-16"))  # noqa: S314 (our own text)
    assert root.tag == f"{TASK_NS}Task"
    logon = root.find(f"{TASK_NS}Triggers/{TASK_NS}LogonTrigger")
    assert logon is not None
    assert logon.findtext(f"{TASK_NS}UserId") == r"PACK\ann"
    settings = root.find(f"{TASK_NS}Settings")
    assert settings is not None
    assert settings.findtext(f"{TASK_NS}ExecutionTimeLimit") == "PT0S"
    assert settings.find(f"{TASK_NS}RestartOnFailure") is not None
    exec_ = root.find(f"{TASK_NS}Actions/{TASK_NS}Exec")
    assert exec_ is not None
    arguments = exec_.findtext(f"{TASK_NS}Arguments") or ""
    assert exec_.findtext(f"{TASK_NS}Command") == "cmd.exe"
    assert 'set "CREATORFLOW_HOME=/srv/ann cf" && ' in arguments
    assert arguments.endswith(r'"C:\Program Files\cf\creatorflow.exe" daemon run')


def test_install_no_enable_writes_the_unit_and_uninstall_removes_it(
    fake_home: Path, isolated_home: Path
) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["daemon", "install", "--no-enable", "--platform", "systemd"])
    assert done.exit_code == 0, done.stderr
    unit = fake_home / ".config" / "systemd" / "user" / "creatorflow.service"
    assert unit.is_file()
    assert f"Environment=CREATORFLOW_HOME={isolated_home}" in unit.read_text(encoding="utf-8")
    assert "systemctl --user enable --now creatorflow.service" in done.stdout
    assert "loginctl enable-linger" in done.stderr

    done = runner.invoke(app, ["daemon", "uninstall", "--platform", "systemd"])
    assert done.exit_code == 0, done.stderr
    assert not unit.exists()
    assert "systemctl --user disable --now creatorflow.service" in done.stdout


@pytest.mark.parametrize("platform", ["launchd", "windows"])
def test_install_places_launchd_and_windows_files(fake_home: Path, platform: str) -> None:
    services = Services(paths=resolve_paths())
    report = daemon_units.install_unit(services, platform, enable=False)
    assert report.path is not None
    assert report.path.is_file()
    assert not report.ran
    if platform == "launchd":
        assert report.path == fake_home / "Library" / "LaunchAgents" / units.LAUNCHD_PLIST
        assert report.commands[0].startswith("launchctl bootstrap gui/")
    else:
        assert report.path.parent == services.paths.state_dir
        assert report.commands[0].startswith("schtasks /Create /TN CreatorFlow /XML ")
        ET.fromstring(report.path.read_bytes())  # noqa: S314 (our own file)
    daemon_units.uninstall_unit(services, platform)
    assert not report.path.exists()


def test_install_print_shows_the_unit_on_stdout(fake_home: Path) -> None:
    done = CliRunner().invoke(app, ["daemon", "install", "--print", "--platform", "systemd"])
    assert done.exit_code == 0, done.stderr
    assert "[Service]" in done.stdout
    assert "ExecStart=" in done.stdout
    assert not (fake_home / ".config" / "systemd").exists()


def test_install_with_webhooks_runs_the_receiver_too(fake_home: Path) -> None:
    args = ["daemon", "install", "--print", "--platform", "systemd"]
    done = CliRunner().invoke(app, [*args, "--webhooks", "127.0.0.1:8787"])
    assert done.exit_code == 0, done.stderr
    exec_start = next(line for line in done.stdout.splitlines() if line.startswith("ExecStart="))
    assert exec_start.endswith("daemon run --webhooks 127.0.0.1:8787")
    refused = CliRunner().invoke(app, [*args, "--webhooks", "8787"])
    assert refused.exit_code == 2
    assert "HOST:PORT" in refused.stderr


def test_start_without_a_service_manager_says_how(fake_home: Path) -> None:
    done = CliRunner().invoke(app, ["daemon", "start", "--platform", "systemd"])
    assert done.exit_code == 2
    assert "daemon install" in done.stderr


def test_stop_without_a_service_manager_signals_the_lock_holder(fake_home: Path) -> None:
    services = Services(paths=resolve_paths())
    services.paths.ensure_dirs()
    state_dir = services.paths.state_dir
    # Nothing runs: a stale PID file names no one.
    (state_dir / "daemon.pid").write_text("999999\n", encoding="utf-8")
    assert "not running" in daemon_units.stop_daemon(services, "systemd").message

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from creatorflow.daemon.lock import InstanceLock;"
            "lock = InstanceLock(Path(sys.argv[1])); lock.acquire(); print('ok', flush=True);"
            "time.sleep(60)",
            str(state_dir),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"ok"
        report = daemon_units.stop_daemon(services, "systemd")
        assert f"pid {holder.pid}" in report.message
        deadline = time.monotonic() + 10
        while holder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert holder.returncode is not None
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
