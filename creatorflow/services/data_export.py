"""``data export``: the shop's orders, lines, labels and history as CSV files.

Four files — ``orders.csv``, ``order_lines.csv``, ``shipments.csv``, ``order_events.csv`` —
each with a header row, times in ISO-8601 UTC, amounts as exact decimal strings, booleans as
``true``/``false`` and empty cells for missing values. Rows are streamed from one read
transaction in chunks (``yield_per``), so the files agree with each other and memory stays
flat whatever the store holds. Each file is written to a temporary file beside it and only
renamed into place once all four are complete: a failed export leaves the previous files.

Nothing secret is exported: the store holds no token or key (they live in the secret store),
and TikTok's raw order payloads are left out (bulky, and everything useful in them already
has a column). The files do hold buyer names and addresses, so they are created owner-only
(mode 0600) like the database itself.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, Any

from creatorflow.domain.money import tidy
from creatorflow.errors import CreatorflowError, hint_for_os_error
from creatorflow.fileio import fsync_folder
from creatorflow.services.context import Services

__all__ = [
    "EXPORT_FILES",
    "ExportError",
    "ExportProgress",
    "ExportSummary",
    "ExportedFile",
    "export_csv",
]

#: The files written, in order.
EXPORT_FILES = ("orders.csv", "order_lines.csv", "shipments.csv", "order_events.csv")
#: Columns never exported (TikTok's raw payload; see the module docstring).
_LEFT_OUT = {"orders": frozenset({"raw"})}
CHUNK = 1_000


class ExportError(CreatorflowError):
    """The export files could not be written."""

    title = "Export failed"


@dataclass(frozen=True)
class ExportedFile:
    """One file written and how many data rows it holds (the header not counted)."""

    name: str
    path: Path
    rows: int


@dataclass(frozen=True)
class ExportSummary:
    """What ``data export`` wrote."""

    directory: Path
    files: list[ExportedFile]
    rows: int


@dataclass(frozen=True)
class ExportProgress:
    """Rows written so far of all four files (``total`` counted at the start)."""

    file: str
    done: int
    total: int


def _cell(value: Any, currency: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(tidy(value, currency or "USD"))
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _tables() -> list[tuple[str, Any]]:
    from creatorflow.store.tables import Order, OrderEvent, OrderLine, Shipment

    return list(zip(EXPORT_FILES, (Order, OrderLine, Shipment, OrderEvent), strict=True))


def _columns(model: Any) -> list[Any]:
    table = model.__table__
    skip = _LEFT_OUT.get(table.name, frozenset())
    return [column for column in table.columns if column.name not in skip]


def _write_rows(
    handle: IO[str],
    columns: list[Any],
    rows: Iterable[Any],
    on_row: Callable[[], None],
) -> int:
    names = [column.name for column in columns]
    money_currency = names.index("currency") if "currency" in names else None
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(names)
    count = 0
    for row in rows:
        currency = row[money_currency] if money_currency is not None else None
        writer.writerow([_cell(value, currency) for value in row])
        count += 1
        on_row()
    return count


def export_csv(
    services: Services,
    directory: Path,
    *,
    chunk_size: int = CHUNK,
    progress: Callable[[ExportProgress], None] | None = None,
) -> ExportSummary:
    """Write the four CSV files into ``directory`` (created if missing), replacing old ones.

    ``progress`` is called every ``chunk_size`` rows and at the end of each file.

    Raises:
        ExportError: the folder or a file could not be written (the hint says why).
        StoreError: the database could not be read.
    """
    from sqlalchemy import func, select

    target = directory.expanduser()
    try:
        target.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ExportError(
            f"Cannot create {target}: {exc.strerror or exc}.", hint=hint_for_os_error(exc, target)
        ) from None
    temps: list[tuple[Path, Path]] = []
    written: list[ExportedFile] = []
    done = 0
    try:
        with services.store.read() as session:
            tables = _tables()
            total = sum(
                int(session.scalar(select(func.count()).select_from(model)) or 0)
                for _, model in tables
            )
            for name, model in tables:
                final = target / name
                fd, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=target)
                temps.append((Path(temp_name), final))
                columns = _columns(model)
                query = (
                    select(*columns)
                    .order_by(*model.__table__.primary_key.columns)
                    .execution_options(yield_per=chunk_size)
                )

                def tick(name: str = name) -> None:
                    nonlocal done
                    done += 1
                    if progress is not None and done % chunk_size == 0:
                        progress(ExportProgress(name, done, total))

                with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                    rows = _write_rows(handle, columns, session.execute(query), tick)
                    handle.flush()
                    os.fsync(handle.fileno())
                written.append(ExportedFile(name, final, rows))
                if progress is not None:
                    progress(ExportProgress(name, done, total))
        for temp, final in temps:
            os.replace(temp, final)
        fsync_folder(target)
    except OSError as exc:
        raise ExportError(
            f"Cannot write the export into {target}: {exc.strerror or exc}.",
            hint=hint_for_os_error(exc, target / EXPORT_FILES[0]),
        ) from None
    finally:
        for temp, _ in temps:
            temp.unlink(missing_ok=True)
    return ExportSummary(target, written, sum(item.rows for item in written))
