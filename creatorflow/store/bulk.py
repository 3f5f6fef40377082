"""Fast ``INSERT`` of many rows, with every column type's conversion still applied.

SQLAlchemy's ``execute(insert(table), rows)`` spends most of a sync's time building and
converting one parameter dictionary per row. A :class:`RowWriter` compiles the statement
once, looks each column's bind processor up once (the same converters SQLAlchemy would run:
UTC times, exact money, JSON) and converts rows in a tight loop; the converted rows go to the
driver's ``executemany``. Conversion needs no database connection, so a sync converts the
next page while the current one is being written.

``None`` is bound as NULL without calling the converter (every one of ours maps None to NULL).
Callers pass every column that has a Python-side default: such defaults are computed by
SQLAlchemy's own execution path, which this skips, so rows without them are refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Table, insert
from sqlalchemy.orm import Session

__all__ = ["RowWriter", "insert_many", "row_writer"]

Processor = Callable[[Any], Any] | None

_WRITERS: dict[tuple[int, str, tuple[str, ...]], RowWriter] = {}
_WRITERS_LOCK = threading.Lock()


class RowWriter:
    """Converts rows for one table's ``INSERT`` (given columns) and inserts converted rows."""

    def __init__(self, dialect: Dialect, table: Table, keys: Sequence[str]) -> None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        bound = list(compiled.positiontup or compiled.binds)
        missing = set(bound) - set(keys)
        if missing:
            raise ValueError(f"inserting into {table.name} needs values for {sorted(missing)}")
        self.dialect = dialect
        self.table = table
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        self._processors: list[tuple[str, Processor]] = [
            (name, table.c[name].type._cached_bind_processor(dialect)) for name in bound
        ]

    def convert(self, row: Mapping[str, Any]) -> Any:
        """The row's values as the driver takes them (a tuple, or a dict for named styles)."""
        if self.positional:
            return tuple(
                value if p is None or value is None else p(value)
                for name, p in self._processors
                for value in (row[name],)
            )
        return {
            name: value if p is None or value is None else p(value)
            for name, p in self._processors
            for value in (row[name],)
        }

    def insert(self, session: Session, converted: Sequence[Any]) -> None:
        """Insert rows made by :meth:`convert`, in the session's transaction."""
        if converted:
            session.connection().exec_driver_sql(self.sql, list(converted))


def row_writer(dialect: Dialect, table: Table, keys: Sequence[str]) -> RowWriter:
    """The (cached) writer for ``table`` with these columns on this dialect."""
    cache_key = (id(dialect), table.name, tuple(keys))
    writer = _WRITERS.get(cache_key)
    # The cached writer holds its dialect, so that id cannot be reused while it is cached.
    if writer is None or writer.dialect is not dialect or writer.table is not table:
        writer = RowWriter(dialect, table, keys)
        with _WRITERS_LOCK:
            _WRITERS[cache_key] = writer
    return writer


def insert_many(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the session's transaction.

    Raises:
        ValueError: the rows leave out a column whose default SQLAlchemy would compute.
    """
    if not rows:
        return
    writer = row_writer(session.connection().dialect, table, list(rows[0]))
    writer.insert(session, [writer.convert(row) for row in rows])
