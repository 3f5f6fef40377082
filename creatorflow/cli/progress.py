"""A progress bar on stderr for long work; silent when stderr is not a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Advance(Protocol):
    """Moves the bar: ``done`` of ``total`` (None while unknown), with a short label."""

    def __call__(self, done: int, total: int | None, label: str) -> None: ...


@contextmanager
def progress_bar(description: str) -> Iterator[Advance]:
    """A Rich progress bar on stderr; yields a function that moves it."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from creatorflow.cli.output import stderr_console

    console = stderr_console()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=None)

        def advance(done: int, total: int | None, label: str) -> None:
            progress.update(
                task,
                completed=done,
                total=max(total, done) if total else None,
                description=f"{description} {label}".strip(),
            )

        yield advance
