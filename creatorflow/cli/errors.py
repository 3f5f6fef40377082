"""The command line's single error boundary: every failure becomes a panel on stderr.

A ``CreatorflowError`` is shown with its title, message and hint and exits with its own exit
code; anything unexpected is shown the same way with exit code 1 and a pointer to ``--debug``,
which re-raises to print the traceback. Typer's own usage errors and exits pass through.
"""

from __future__ import annotations

import os
from typing import Any

import typer
from typer.core import TyperGroup

from creatorflow.errors import CreatorflowError, ExitCode

DEBUG_ENV = "CREATORFLOW_DEBUG"


def debug_requested(ctx: typer.Context | None) -> bool:
    """Whether ``--debug`` or ``CREATORFLOW_DEBUG=1`` asks for tracebacks."""
    root = ctx.find_root() if ctx is not None else None
    if root is not None and isinstance(root.obj, dict) and root.obj.get("debug"):
        return True
    return os.environ.get(DEBUG_ENV, "").strip().lower() in {"1", "true", "yes"}


def show_error(title: str, message: str, hint: str | None) -> None:
    """Print an error panel on stderr."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    from creatorflow.cli.output import stderr_console

    body: list[Text] = [Text(message)]
    if hint:
        body.append(Text.assemble(("\nHint: ", "bold"), hint))
    panel = Panel(Group(*body), title=title, title_align="left", border_style="red", expand=False)
    stderr_console().print(panel)


def _detach_stdout() -> None:
    """Point stdout at the null device, so the final flush at exit cannot fail again."""
    import os
    import sys

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (tests capture stdout)
        pass


class BoundaryGroup(TyperGroup):
    """The root command group: runs the chosen command inside the error boundary."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        """Run the command, turning errors into a panel and an exit code."""
        try:
            return super().invoke(ctx)
        except CreatorflowError as error:
            if debug_requested(ctx):
                raise
            show_error(error.title, error.message, error.hint)
            raise typer.Exit(error.exit_code) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except BrokenPipeError:
            # Whoever read stdout left (`creatorflow report --csv | head`): stop quietly.
            _detach_stdout()
            raise typer.Exit(ExitCode.FAILURE) from None
        except Exception as error:
            if debug_requested(ctx):
                raise
            show_error(
                "Unexpected error",
                f"{type(error).__name__}: {error}",
                "Run the command again with --debug to see the traceback, and report it.",
            )
            raise typer.Exit(ExitCode.FAILURE) from None
