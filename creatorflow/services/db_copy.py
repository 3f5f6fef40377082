"""Moving a store to another database: ``creatorflow db copy --to URL``.

The usual move is from the SQLite file of one packing station to a PostgreSQL database that
several stations will share. The target must be empty; it is migrated to this version's schema
through the same path as ``db upgrade``, then every table is copied in one transaction and the
row counts are checked table by table (``store.copy``). The source is only read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from creatorflow.errors import UsageError
from creatorflow.services.configuration import redact
from creatorflow.services.context import Services

__all__ = ["CopiedTable", "DatabaseCopy", "copy_database"]

#: Called as the copy goes: the table being copied, rows copied so far, total rows.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class CopiedTable:
    """One table's rows in the source and, after the copy, in the target."""

    table: str
    source_rows: int
    target_rows: int


@dataclass(frozen=True)
class DatabaseCopy:
    """What ``copy_database`` did."""

    source: str
    target: str
    revision: str
    tables: list[CopiedTable]
    rows: int
    seconds: float


def copy_database(
    services: Services, to_url: str, *, progress: Progress | None = None
) -> DatabaseCopy:
    """Copy the whole store into the empty database at ``to_url``, then verify row counts.

    Raises:
        SchemaMismatchError: the source is not at this version's schema (upgrade it first),
            or the target was migrated by a newer CreatorFlow.
        UsageError: ``to_url`` is not a SQLite or PostgreSQL URL, or names the store itself.
        TargetNotEmptyError: the target already holds CreatorFlow rows; nothing is changed.
        StoreError: either database cannot be reached, or the copy failed (the target is
            left without any copied row).
    """
    from creatorflow.store.copy import copy_tables, stored_rows, target_not_empty
    from creatorflow.store.engine import make_engine
    from creatorflow.store.schema import HEAD_REVISION, upgrade

    _check_url(to_url)
    started = time.monotonic()
    source = services.store.engine
    target = make_engine(to_url)
    try:
        if source.url.render_as_string(False) == target.url.render_as_string(False):
            raise UsageError(
                "The target is the database this CreatorFlow already uses.",
                hint="Pass the URL of a new, empty database to --to.",
            )
        filled = {table: rows for table, rows in stored_rows(target).items() if rows}
        if filled:
            raise target_not_empty(filled)
        upgrade(target, backup_dir=None)
        counts = copy_tables(source, target, progress=progress)
    finally:
        target.dispose()
    tables = [CopiedTable(c.table, c.source_rows, c.target_rows) for c in counts]
    return DatabaseCopy(
        source=str(redact(services.database_url)),
        target=str(redact(to_url)),
        revision=HEAD_REVISION,
        tables=tables,
        rows=sum(t.target_rows for t in tables),
        seconds=round(time.monotonic() - started, 2),
    )


def _check_url(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    hint = "Pass e.g. --to postgresql+psycopg://user@host/creatorflow (or sqlite:///path.db)."
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise UsageError(f"{redact(url)!r} is not a database URL.", hint=hint) from None
    if backend not in ("postgresql", "sqlite"):
        raise UsageError(f"CreatorFlow cannot use a {backend} database.", hint=hint)
