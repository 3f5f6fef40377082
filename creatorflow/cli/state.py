"""Per-invocation state of the command line: the ``--debug`` flag and the lazily built services."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from creatorflow.services.context import Services


def services(ctx: typer.Context) -> Services:
    """The ``Services`` of this invocation, built on first use and closed when the command ends."""
    root = ctx.find_root()
    if not isinstance(root.obj, dict):
        root.obj = {}
    built = root.obj.get("services")
    if built is None:
        from creatorflow.services.context import build_services

        built = build_services()
        root.obj["services"] = built
        root.call_on_close(built.close)
    return built


def stdin_is_terminal() -> bool:
    """Whether a person can answer a prompt (never true under CI or a service manager)."""
    return sys.stdin is not None and sys.stdin.isatty()
