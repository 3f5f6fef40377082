"""One way to print results for every command: a Rich table, ``--json`` or ``--csv``.

stdout carries data only; diagnostics, progress and errors go to stderr. JSON output uses
stable keys, ISO-8601 times and amounts as strings, so scripts can rely on it.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON: stable keys, ISO times, amounts as strings.")
]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV with a header row.")]


@dataclasses.dataclass(frozen=True)
class Column:
    """A column of a listing: the row key it shows and its header."""

    key: str
    header: str
    justify: str = "left"
    #: Ids are copied and pasted whole: never fold them across lines.
    no_wrap: bool = False


def plain(value: object) -> Any:
    """Turn a value into what JSON carries: ISO times, amounts as strings, enums as values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def when(value: datetime | None) -> str:
    """A time for a table: local, to the minute (JSON and CSV keep full ISO-8601 UTC)."""
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def _cell(value: object) -> str:
    shown = plain(value)
    if shown is None:
        return ""
    if isinstance(shown, bool):
        return "yes" if shown else "no"
    if isinstance(shown, list | dict):
        return json.dumps(shown, ensure_ascii=False)
    return str(shown)


def stdout_console() -> Console:
    """The console for data (stdout)."""
    from rich.console import Console

    return Console(soft_wrap=False)


def stderr_console() -> Console:
    """The console for diagnostics (stderr)."""
    from rich.console import Console

    return Console(stderr=True)


def print_json(data: object) -> None:
    """Write ``data`` as indented JSON to stdout."""
    sys.stdout.write(json.dumps(plain(data), indent=2, ensure_ascii=False) + "\n")


def emit_rows(
    rows: Sequence[Mapping[str, object]],
    columns: Sequence[Column],
    *,
    as_json: bool = False,
    as_csv: bool = False,
    title: str | None = None,
    empty: str = "Nothing to show.",
) -> None:
    """Print a listing as a table, JSON array (every key of each row) or CSV (the columns).

    Raises:
        typer.BadParameter: both ``--json`` and ``--csv`` were given.
    """
    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv")
    if as_json:
        print_json(list(rows))
        return
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([c.key for c in columns])
        for row in rows:
            writer.writerow([_cell(row.get(c.key)) for c in columns])
        return
    if not rows:
        stderr_console().print(empty)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, header_style="bold", show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(
            column.header,
            justify=column.justify,  # type: ignore[arg-type]
            overflow="fold",
            no_wrap=column.no_wrap,
        )
    for row in rows:
        table.add_row(*(Text(_cell(row.get(c.key))) for c in columns))
    stdout_console().print(table)


def emit_object(
    data: Mapping[str, object], *, as_json: bool = False, title: str | None = None
) -> None:
    """Print one record as JSON or as a two-column key/value table."""
    if as_json:
        print_json(data)
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_header=False, show_edge=False, pad_edge=False, box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in data.items():
        table.add_row(Text(key), Text(_cell(value)))
    stdout_console().print(table)
