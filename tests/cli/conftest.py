"""Run the real ``creatorflow`` application in-process and read its stdout and stderr apart."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from creatorflow.cli.app import app

Invoke = Callable[..., Result]


@pytest.fixture
def cli() -> Invoke:
    """Call ``cli("config", "show", input=None)`` to run a command."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input)

    return invoke


def parse_json(result: Result, *, exit_code: int = 0) -> Any:
    """Decode a command's stdout after checking its exit code (stderr shows on failure)."""
    assert result.exit_code == exit_code, result.stderr
    return json.loads(result.stdout)
