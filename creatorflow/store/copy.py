"""Copying a whole store into another database, and backing up a SQLite file to a named path.

``copy_tables`` moves every table of ``metadata`` from a source database at the schema head
into an empty target already migrated to the same head (``schema.upgrade``):

* tables go in foreign-key order, each read in chunks (``yield_per``) from one snapshot of the
  source (SQLite: one read transaction; PostgreSQL: ``REPEATABLE READ``) and inserted in
  batches, all inside **one** transaction on the target: a failure leaves the target empty;
* on PostgreSQL the target tables are locked first and found empty again under the lock (a
  daemon started against it meanwhile cannot slip rows in), and each ``SERIAL`` sequence is
  moved past the copied ids (``setval``), or the next insert would collide with a copied row;
* JSON documents are copied as the exact text stored, never decoded and encoded again;
* before committing, the rows of every table are counted on the target and must equal the
  source's count in the snapshot, else everything is rolled back.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Integer,
    Table,
    Text,
    cast,
    func,
    insert,
    select,
    text,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from creatorflow.errors import StoreError, hint_for_os_error
from creatorflow.store.engine import SQLITE_BEGIN_OPTION, store_error_from
from creatorflow.store.tables import metadata
from creatorflow.store.types import JsonText

#: Rows read and inserted at a time: memory stays flat whatever the store's size.
DEFAULT_CHUNK_ROWS = 2000

#: Called after every chunk: the table being copied, rows copied so far (all tables), total.
CopyProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TableCount:
    """Rows of one table in the source snapshot and on the target after the copy."""

    table: str
    source_rows: int
    target_rows: int


class TargetNotEmptyError(StoreError):
    """The target database already holds CreatorFlow rows."""

    title = "Target database not empty"


def copy_order() -> list[Table]:
    """Every CreatorFlow table, parents before the tables that reference them."""
    return list(metadata.sorted_tables)


def stored_rows(engine: Engine) -> dict[str, int]:
    """How many rows each CreatorFlow table of ``engine`` holds (tables absent are left out).

    Raises:
        StoreError: the database cannot be reached or read.
    """
    try:
        with engine.connect() as conn:
            present = set(sa_inspect(conn).get_table_names())
            return {
                table.name: _count(conn, table) for table in copy_order() if table.name in present
            }
    except DBAPIError as exc:
        raise store_error_from(exc) from exc


def copy_tables(
    source: Engine,
    target: Engine,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: CopyProgress | None = None,
) -> list[TableCount]:
    """Copy every table from ``source`` into the empty, migrated ``target``; the row counts.

    Raises:
        TargetNotEmptyError: the target holds rows (checked again under its table locks).
        StoreError: a read, an insert or the final count failed; nothing was committed.
    """
    tables = copy_order()
    try:
        with _snapshot(source) as src, _exclusive(target) as dst:
            _refuse_rows(dst, tables)
            totals = {table.name: _count(src, table) for table in tables}
            grand_total = sum(totals.values())
            done = 0
            for table in tables:
                for chunk in _chunks(src, table, chunk_rows):
                    dst.execute(insert(table), chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(table.name, done, grand_total)
                if progress is not None:
                    progress(table.name, done, grand_total)
            if dst.dialect.name == "postgresql":
                _advance_sequences(dst, tables)
            counts = [TableCount(t.name, totals[t.name], _count(dst, t)) for t in tables]
            _verify(counts)
    except IntegrityError as exc:
        raise StoreError(
            f"A row of the source breaks a rule of the target database: {exc.orig}",
            hint="Nothing was copied. Run `creatorflow doctor` on the source, then report this.",
        ) from exc
    except DBAPIError as exc:
        raise store_error_from(exc) from exc
    return counts


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction: every table is read as of the same instant."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


@contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """One write transaction on the target, its tables locked against other writers."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                preparer = engine.dialect.identifier_preparer
                names = ", ".join(preparer.format_table(table) for table in copy_order())
                conn.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
            yield conn


def _refuse_rows(conn: Connection, tables: list[Table]) -> None:
    filled = {table.name: rows for table in tables if (rows := _count(conn, table))}
    if filled:
        raise target_not_empty(filled)


def target_not_empty(filled: dict[str, int]) -> TargetNotEmptyError:
    """The refusal for a target that already holds rows, naming the tables."""
    listed = ", ".join(f"{name} ({rows})" for name, rows in sorted(filled.items()))
    return TargetNotEmptyError(
        f"The target database already holds CreatorFlow data: {listed}.",
        hint="Copy into a new, empty database (createdb creatorflow), or drop and recreate "
        "this one if its data is not needed. Nothing was changed.",
    )


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _chunks(conn: Connection, table: Table, size: int) -> Iterator[list[dict[str, Any]]]:
    """The rows of ``table`` in primary-key order, ``size`` at a time, as insert parameters."""
    json_keys = [c.key for c in table.columns if isinstance(c.type, JSON)]
    columns: list[ColumnElement[Any]] = [
        # JSON is read as its stored text and re-bound untouched (see JsonText).
        cast(c, Text).label(c.key) if isinstance(c.type, JSON) else c
        for c in table.columns
    ]
    query = select(*columns).order_by(*table.primary_key.columns)
    result = conn.execution_options(yield_per=size).execute(query)
    keys = [c.key for c in table.columns]
    for partition in result.partitions():
        rows = [dict(zip(keys, row, strict=True)) for row in partition]
        for row in rows:
            for key in json_keys:
                if row[key] is not None:
                    row[key] = JsonText(row[key])
        yield rows


def _advance_sequences(conn: Connection, tables: list[Table]) -> None:
    """Move each serial id sequence past the largest copied id."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        column = keys[0]
        preparer = conn.dialect.identifier_preparer
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": preparer.format_table(table), "column": column.name},
        ).scalar()
        if sequence is None:  # a fixed id (the single-row entitlement), no sequence
            continue
        top = conn.execute(select(func.max(column))).scalar()
        # setval(seq, n, false): the next id handed out is n itself.
        conn.execute(
            text("SELECT setval(:sequence, :next, false)"),
            {"sequence": sequence, "next": int(top or 0) + 1},
        )


def _verify(counts: list[TableCount]) -> None:
    wrong = [c for c in counts if c.source_rows != c.target_rows]
    if wrong:
        listed = ", ".join(f"{c.table} {c.source_rows} → {c.target_rows}" for c in wrong)
        raise StoreError(
            f"Row counts differ after the copy ({listed}); nothing was committed.",
            hint="Stop every CreatorFlow process on the target database and run the copy again.",
        )


def backup_sqlite_to(engine: Engine, path: Path) -> int:
    """Copy the live SQLite database of ``engine`` into the new file ``path`` (mode 0600).

    SQLite's online backup is used, which stays consistent while the daemon writes. Returns
    the size of the copy in bytes; a failed copy leaves no file behind.

    Raises:
        StoreError: ``path`` exists already, or the copy cannot be written.
    """
    if engine.dialect.name != "sqlite":
        raise StoreError("Only a SQLite database can be backed up to a file this way.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        raise StoreError(
            f"{path} exists already.", hint="Choose a new file name; backups never overwrite."
        ) from None
    except OSError as exc:
        raise StoreError(
            f"Cannot create {path}: {exc.strerror or exc}.", hint=hint_for_os_error(exc, path)
        ) from exc
    try:
        with engine.connect() as conn:
            source = conn.connection.driver_connection
            assert isinstance(source, sqlite3.Connection)
            copy = sqlite3.connect(path)
            try:
                source.backup(copy)
            finally:
                copy.close()
        return path.stat().st_size
    except (OSError, sqlite3.Error, DBAPIError) as exc:
        path.unlink(missing_ok=True)
        raise StoreError(
            f"Could not back up the database into {path}: {exc}.",
            hint="Free some disk space or choose another folder.",
        ) from exc
