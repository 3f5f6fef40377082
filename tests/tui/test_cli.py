"""``creatorflow tui``: which store the dashboard opens, and a clear error when there is none."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from creatorflow.cli.app import app as cli_app
from creatorflow.services.order_browse import order_page
from creatorflow.tui import CreatorflowApp


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[CreatorflowApp]:
    """The dashboards ``tui`` would have started (the terminal is not taken over in tests)."""
    apps: list[CreatorflowApp] = []

    def run(self: CreatorflowApp) -> None:
        apps.append(self)

    monkeypatch.setattr(CreatorflowApp, "run", run)
    return apps


def test_tui_opens_the_configured_store(
    started: list[CreatorflowApp], template_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREATORFLOW_HOME", str(template_home))
    result = CliRunner().invoke(cli_app, ["tui"])
    assert result.exit_code == 0, result.stderr
    [dashboard] = started
    assert dashboard.services.paths.data_dir == template_home / "data"
    assert not dashboard.sandbox


def test_tui_without_a_store_says_so_and_starts_nothing(
    started: list[CreatorflowApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREATORFLOW_HOME", str(tmp_path / "empty"))
    result = CliRunner().invoke(cli_app, ["tui"])
    assert result.exit_code != 0
    assert "no CreatorFlow tables yet" in result.stderr
    assert started == []


def test_tui_sandbox_opens_on_the_demo_store(
    started: list[CreatorflowApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo's home is a new temporary folder, never CREATORFLOW_HOME (set for every test).
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = CliRunner().invoke(cli_app, ["tui", "--sandbox", "--orders", "4"])
    assert result.exit_code == 0, result.stderr
    [dashboard] = started
    assert dashboard.sandbox
    assert dashboard.services.paths.data_dir.is_relative_to(tmp_path)
    assert not dashboard.services.paths.data_dir.is_relative_to(os.environ["CREATORFLOW_HOME"])
    assert order_page(dashboard.services).total >= 4
