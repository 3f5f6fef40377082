"""``init``, ``doctor`` and ``db``: a fresh installation, its checks and its schema."""

from __future__ import annotations

import errno
import os
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from creatorflow.errors import ConfigError
from tests.cli.conftest import Invoke, parse_json
from tests.postgres import postgres_schema


def checks_by_name(cli: Invoke) -> dict[str, dict[str, str]]:
    result = cli("doctor", "--json")
    checks = parse_json(result, exit_code=result.exit_code)  # doctor exits 1 on a failed check
    return {check["name"]: check for check in checks}


def test_init_creates_config_and_database(cli: Invoke, isolated_home: Path) -> None:
    result = cli("init")
    assert result.exit_code == 0, result.stderr
    config = isolated_home / "config" / "config.toml"
    database = isolated_home / "data" / "creatorflow.db"
    assert str(config) in result.stdout
    assert str(database) in result.stdout
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    with sqlite3.connect(database) as raw:
        assert raw.execute("select version_num from alembic_version").fetchone() == ("0006",)
        tables = {row[0] for row in raw.execute("select name from sqlite_master")}
    assert {"orders", "shipments", "effects", "order_events"} <= tables


def test_init_twice_keeps_the_config(cli: Invoke, isolated_home: Path) -> None:
    first = parse_json(cli("init", "--json"))
    assert first["config_created"] is True
    assert first["schema"]["changed"] is True
    assert cli("config", "set", "labels.format", "zpl").exit_code == 0
    second = parse_json(cli("init", "--json"))
    assert second["config_created"] is False
    assert second["schema"] == {
        "from_revision": "0006",
        "to_revision": "0006",
        "changed": False,
        "backup": None,
    }
    assert cli("config", "get", "labels.format").stdout == "zpl\n"


def test_init_on_an_unwritable_location_is_a_clear_error(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("CREATORFLOW_HOME", str(blocker / "home"))  # fails even for root
    result = cli("init")
    assert result.exit_code == 1
    assert "Cannot set up CreatorFlow" in result.stderr
    assert "Traceback" not in result.output


def test_init_on_a_full_disk_says_so(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("creatorflow.fileio.write_atomically", full)
    result = cli("init")
    assert result.exit_code == 1
    assert "disk is full" in result.stderr
    assert "Traceback" not in result.output


def test_init_refuses_a_broken_config(cli: Invoke, isolated_home: Path) -> None:
    config = isolated_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[labels]\nformat = 3\n", encoding="utf-8")
    result = cli("init")
    assert result.exit_code == 2
    assert "labels.format" in result.stderr


def test_doctor_before_init_fails_on_the_schema(cli: Invoke) -> None:
    result = cli("doctor")
    assert result.exit_code == 1
    checks = checks_by_name(cli)
    assert list(checks) == ["config", "schema", "secrets", "tiktok", "daemon", "printer"]
    assert checks["config"]["status"] == "warn"
    assert checks["schema"]["status"] == "fail"
    assert "creatorflow db upgrade" in checks["schema"]["hint"]
    assert checks["daemon"]["status"] == "warn"
    assert "schema" in checks["daemon"]["summary"]


def test_doctor_after_init_passes(cli: Invoke) -> None:
    cli("init")
    result = cli("doctor")
    assert result.exit_code == 0, result.stdout
    checks = checks_by_name(cli)
    assert checks["config"]["status"] == "ok"
    assert checks["schema"]["status"] == "ok"
    assert checks["secrets"]["status"] == "warn"  # no keyring here, file store not allowed
    assert checks["daemon"]["status"] == "warn"
    assert checks["printer"]["status"] == "ok"


def test_doctor_warns_about_the_plain_text_file(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("init")
    monkeypatch.setenv("CREATORFLOW_SECRETS_ALLOW_FILE", "1")
    check = checks_by_name(cli)["secrets"]
    assert check["status"] == "warn"
    assert "plain" in (check["hint"] or "").lower()


def test_doctor_reads_the_daemon_heartbeat(cli: Invoke) -> None:
    from creatorflow.services.context import build_services
    from creatorflow.store.heartbeats import Heartbeat, record_heartbeat

    cli("init")
    services = build_services()
    now = datetime.now(UTC)
    beat = Heartbeat("station-1", 4242, "packing-pc", "0.1.0", now - timedelta(hours=1), now)
    record_heartbeat(services.store, beat)
    check = checks_by_name(cli)["daemon"]
    assert check["status"] == "ok"
    assert "station-1 pid 4242" in check["summary"]

    stale = Heartbeat(
        "station-1", 4242, "packing-pc", "0.1.0", beat.started_at, now - timedelta(hours=1)
    )
    record_heartbeat(services.store, stale)
    services.close()
    assert checks_by_name(cli)["daemon"]["status"] == "warn"


@pytest.fixture
def listening_port() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    yield server.getsockname()[1]
    server.close()


def test_doctor_checks_a_raw_printer(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch, listening_port: int
) -> None:
    cli("init")
    monkeypatch.setenv("CREATORFLOW_PRINTER_KIND", "raw9100")
    monkeypatch.setenv("CREATORFLOW_PRINTER_HOST", "127.0.0.1")
    monkeypatch.setenv("CREATORFLOW_PRINTER_PORT", str(listening_port))
    assert checks_by_name(cli)["printer"]["status"] == "ok"
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    monkeypatch.setenv("CREATORFLOW_PRINTER_PORT", str(port))
    assert checks_by_name(cli)["printer"]["status"] == "fail"
    assert cli("doctor").exit_code == 1


def test_db_current_and_upgrade(cli: Invoke) -> None:
    before = cli("db", "current", "--json")
    assert before.exit_code == 2
    assert parse_json(before, exit_code=2)["state"] == "missing"
    upgraded = parse_json(cli("db", "upgrade", "--json"))
    assert upgraded["from_revision"] is None
    assert upgraded["to_revision"] == "0006"
    after = parse_json(cli("db", "current", "--json"))
    assert after["state"] == "current"
    assert parse_json(cli("db", "upgrade", "--json"))["changed"] is False


def test_a_newer_database_is_refused(cli: Invoke, isolated_home: Path) -> None:
    cli("init")
    with sqlite3.connect(isolated_home / "data" / "creatorflow.db") as raw:
        raw.execute("update alembic_version set version_num = '9999'")
    current = cli("db", "current", "--json")
    assert parse_json(current, exit_code=2)["state"] == "ahead"
    refused = cli("db", "upgrade")
    assert refused.exit_code == 2
    assert "pip install -U creatorflow" in refused.stderr
    schema = checks_by_name(cli)["schema"]
    assert schema["status"] == "fail"
    assert "Upgrade CreatorFlow" in schema["hint"]


def test_debug_shows_the_exception_instead_of_a_panel(cli: Invoke) -> None:
    result = cli("--debug", "config", "get", "no.such")
    assert isinstance(result.exception, ConfigError)
    plain = cli("config", "get", "no.such")
    assert plain.exit_code == 2
    assert "Configuration error" in plain.stderr
    assert "Traceback" not in plain.output


def test_unexpected_errors_become_a_panel(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("creatorflow.services.configuration.show_settings", broken)
    result = cli("config", "show")
    assert result.exit_code == 1
    assert "Unexpected error" in result.stderr
    assert "RuntimeError: boom" in result.stderr
    assert "--debug" in result.stderr
    assert result.stdout == ""


@pytest.mark.postgres
def test_init_and_doctor_on_postgresql(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    with postgres_schema(postgres_url) as url:
        monkeypatch.setenv("CREATORFLOW_DATABASE_URL", url)
        report = parse_json(cli("init", "--json"))
        assert report["database"].startswith("postgresql")
        assert report["schema"]["to_revision"] == "0006"
        assert report["schema"]["backup"] is None  # backups are the server's job
        checks = checks_by_name(cli)
        assert checks["schema"]["status"] == "ok"
        assert checks["daemon"]["status"] == "warn"
        assert parse_json(cli("db", "current", "--json"))["state"] == "current"


def test_a_reader_that_leaves_early_ends_the_command_quietly(tmp_path: Path) -> None:
    # `creatorflow config show | head -0`: stdout's reader is gone before anything is written.
    read_end, write_end = os.pipe()
    os.close(read_end)
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CREATORFLOW_")},
        "CREATORFLOW_HOME": str(tmp_path / "home"),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "creatorflow", "config", "show", "--csv"],
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert "Unexpected error" not in done.stderr
    assert "Exception ignored" not in done.stderr
    assert "Traceback" not in done.stderr
