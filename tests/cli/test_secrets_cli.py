"""``creatorflow secrets``: storing, listing and deleting without ever printing a value."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, parse_json

VALUE = "shippo_test_5f0e1c9a8b7d"


@pytest.fixture
def file_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """No keyring on this machine (conftest), so opt in to the 0600 file store."""
    monkeypatch.setenv("CREATORFLOW_SECRETS_ALLOW_FILE", "true")


def test_set_without_a_writable_backend_explains_the_options(cli: Invoke) -> None:
    result = cli("secrets", "set", "shippo_api_key", "--stdin", input=VALUE)
    assert result.exit_code == 2
    assert "secrets.allow_file" in result.stderr
    assert "CREATORFLOW_SECRET_SHIPPO_API_KEY" in result.stderr.replace("\n", "")
    assert VALUE not in result.output


@pytest.mark.usefixtures("file_store")
def test_set_list_delete_round_trip(cli: Invoke, isolated_home: Path) -> None:
    result = cli("secrets", "set", "shippo_api_key", "--stdin", input=VALUE + "\n")
    assert result.exit_code == 0, result.stderr
    assert "file" in result.stderr
    secrets_file = isolated_home / "data" / "secrets.toml"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert f'"{VALUE}"' in secrets_file.read_text(encoding="utf-8")  # newline stripped

    listed = parse_json(cli("secrets", "list", "--json"))
    entry = next(e for e in listed if e["name"] == "shippo_api_key")
    assert entry["set"] is True
    assert entry["source"].startswith("file")
    assert VALUE not in cli("secrets", "list", "--json").stdout
    assert VALUE not in cli("secrets", "list").stdout

    deleted = cli("secrets", "delete", "shippo_api_key")
    assert deleted.exit_code == 0
    listed = parse_json(cli("secrets", "list", "--json"))
    assert next(e for e in listed if e["name"] == "shippo_api_key")["set"] is False


@pytest.mark.usefixtures("file_store")
def test_env_still_wins_and_is_reported(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREATORFLOW_SECRET_SHIPPO_API_KEY", "from-env")
    result = cli("secrets", "set", "shippo_api_key", "--stdin", input=VALUE)
    assert result.exit_code == 0
    assert "still answers" in result.stderr
    deleted = cli("secrets", "delete", "shippo_api_key")
    assert "Still set in env" in deleted.stderr


@pytest.mark.usefixtures("file_store")
def test_empty_value_is_refused(cli: Invoke) -> None:
    result = cli("secrets", "set", "shippo_api_key", "--stdin", input="  \n")
    assert result.exit_code == 2
    listed = parse_json(cli("secrets", "list", "--json"))
    assert next(e for e in listed if e["name"] == "shippo_api_key")["set"] is False


def test_no_terminal_and_no_stdin_flag_fails_with_a_hint(cli: Invoke) -> None:
    result = cli("secrets", "set", "shippo_api_key")
    assert result.exit_code == 2
    assert "--stdin" in result.stderr


def test_bad_name_is_refused(cli: Invoke) -> None:
    result = cli("secrets", "set", "Not A Name", "--stdin", input=VALUE)
    assert result.exit_code == 2


def test_backends_lists_the_resolution_order(cli: Invoke) -> None:
    rows = parse_json(cli("secrets", "backends", "--json"))
    names = [row["name"] for row in rows]
    assert names[0] == "env"
    assert any(name.startswith("keyring") for name in names)
    keyring_row = next(row for row in rows if row["name"].startswith("keyring"))
    assert keyring_row["available"] is False  # conftest forces the fail backend
