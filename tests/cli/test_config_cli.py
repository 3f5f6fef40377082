"""``creatorflow config``: output formats, sources, and refusals that change nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, parse_json


def test_version(cli: Invoke) -> None:
    from creatorflow import __version__

    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"creatorflow {__version__}"


def test_show_json_lists_every_key_with_its_source(cli: Invoke) -> None:
    rows = parse_json(cli("config", "show", "--json"))
    by_key = {row["key"]: row for row in rows}
    assert by_key["labels.format"]["value"] == "pdf_4x6"
    assert by_key["labels.format"]["source"] == "default"
    assert by_key["printer.port"]["value"] == 9100
    assert set(rows[0]) >= {"key", "value", "default", "source", "origin", "env", "description"}


def test_show_reports_env_overrides(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREATORFLOW_TIKTOK_API_BASE", "http://127.0.0.1:8123")
    rows = parse_json(cli("config", "show", "--changed", "--json"))
    assert rows == [
        {
            "key": "tiktok.api_base",
            "value": "http://127.0.0.1:8123",
            "default": "https://open-api.tiktokglobalshop.com",
            "source": "env",
            "origin": "CREATORFLOW_TIKTOK_API_BASE",
            "env": "CREATORFLOW_TIKTOK_API_BASE",
            "description": "TikTok Shop Open API host.",
        }
    ]


def test_show_masks_database_passwords(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREATORFLOW_DATABASE_URL", "postgresql+psycopg://cf:hunter2@db/cf")
    result = cli("config", "show", "--json")
    assert "hunter2" not in result.stdout
    assert "postgresql+psycopg://cf:***@db/cf" in result.stdout


def test_show_csv_has_a_header(cli: Invoke) -> None:
    result = cli("config", "show", "--csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0].keys() == {"key", "value", "source", "origin"}
    assert any(r["key"] == "labels.format" for r in rows)


def test_set_then_get(cli: Invoke, isolated_home: Path) -> None:
    assert cli("config", "set", "labels.format", "zpl").exit_code == 0
    result = cli("config", "get", "labels.format")
    assert result.stdout == "zpl\n"
    detail = parse_json(cli("config", "get", "labels.format", "--json"))
    assert detail["source"] == "file"
    assert detail["origin"].startswith(str(isolated_home / "config" / "config.toml"))


def test_set_warns_when_the_environment_still_wins(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREATORFLOW_LABELS_FORMAT", "pdf_4x6")
    result = cli("config", "set", "labels.format", "zpl")
    assert result.exit_code == 0
    assert "CREATORFLOW_LABELS_FORMAT" in result.stderr


def test_set_flag_accepts_words(cli: Invoke) -> None:
    assert cli("config", "set", "secrets.allow_file", "yes").exit_code == 0
    assert cli("config", "get", "secrets.allow_file").stdout == "true\n"


def test_set_with_wrong_type_exits_2_and_changes_nothing(cli: Invoke, isolated_home: Path) -> None:
    assert cli("config", "set", "printer.port", "9101").exit_code == 0
    config = isolated_home / "config" / "config.toml"
    before = config.read_bytes()
    result = cli("config", "set", "printer.port", "lots")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "printer.port" in result.stderr
    assert config.read_bytes() == before


def test_unknown_key_suggests_the_closest(cli: Invoke) -> None:
    result = cli("config", "get", "labels.fromat")
    assert result.exit_code == 2
    assert "Did you mean 'labels.format'?" in result.stderr


def test_malformed_file_names_file_and_line(cli: Invoke, isolated_home: Path) -> None:
    config = isolated_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[labels]\nformat = "zpl"\n[printer]\nport = "x"\n', encoding="utf-8")
    result = cli("config", "show")
    assert result.exit_code == 2
    assert "config.toml:4" in result.stderr
    assert "printer.port" in result.stderr


def test_unset(cli: Invoke) -> None:
    cli("config", "set", "labels.format", "zpl")
    assert cli("config", "unset", "labels.format").exit_code == 0
    assert cli("config", "get", "labels.format").stdout == "pdf_4x6\n"


def test_path(cli: Invoke, isolated_home: Path) -> None:
    assert cli("config", "path").stdout.strip() == str(isolated_home / "config" / "config.toml")


def test_table_shows_values_literally(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREATORFLOW_STATION_NAME", "[bold]bench[/] 1")
    result = cli("config", "show", "--changed")
    assert "[bold]bench[/] 1" in result.stdout
