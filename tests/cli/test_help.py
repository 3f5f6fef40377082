"""Every command and group explains itself in ``--help``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from typer.core import TyperGroup

from creatorflow.cli.app import app
from tests.cli.conftest import Invoke


def command_paths() -> Iterator[tuple[str, ...]]:
    """Every command path of the application, e.g. ``("config", "set")``."""

    def walk(command: object, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield path
        if isinstance(command, TyperGroup):
            for name, child in command.commands.items():
                yield from walk(child, (*path, name))

    yield from walk(typer.main.get_command(app), ())


PATHS = list(command_paths())


def test_the_walk_finds_the_commands() -> None:
    assert {
        ("init",),
        ("doctor",),
        ("config", "set"),
        ("secrets", "list"),
        ("db", "upgrade"),
    } <= set(PATHS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "root")
def test_every_command_has_help(cli: Invoke, path: tuple[str, ...]) -> None:
    result = cli(*path, "--help")
    assert result.exit_code == 0, result.output
    command = typer.main.get_command(app)
    for name in path:
        assert isinstance(command, TyperGroup)
        command = command.commands[name]
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
