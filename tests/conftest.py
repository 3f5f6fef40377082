"""Isolation for every test: a private CREATORFLOW_HOME, no real keyring, stable terminal output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.postgres import postgres_url

__all__ = ["postgres_url"]  # the fixture, for every test folder


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point CreatorFlow at a fresh folder and strip the developer's own settings."""
    for name in list(os.environ):
        if name.startswith("CREATORFLOW_") and name != "CREATORFLOW_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    home = tmp_path / "cf-home"
    monkeypatch.setenv("CREATORFLOW_HOME", str(home))
    # Never reach the developer's keychain, in this process or in subprocesses.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERMINAL_WIDTH", "200")
    monkeypatch.setenv("COLUMNS", "200")
    return home
