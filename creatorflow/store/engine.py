"""Build the database engine: SQLite tuned for three local processes, or PostgreSQL.

SQLite (the default) runs in WAL mode with ``synchronous=FULL`` (money records must survive a
power cut), foreign keys on, a 15 s busy timeout, and a file readable by its owner only (it
holds buyer addresses). Transactions are begun by us, not by the ``sqlite3`` module, so that a
write can start with ``BEGIN IMMEDIATE``: see ``creatorflow.store.session.Store.write``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from creatorflow.errors import StoreError, hint_for_os_error
from creatorflow.store.types import JsonText

#: ``RETURNING`` (used to claim work atomically) arrived in SQLite 3.35.
MIN_SQLITE_VERSION = (3, 35, 0)
BUSY_TIMEOUT_SECONDS = 15

#: Execution option read by the ``begin`` hook: ``"DEFERRED"`` (default) or ``"IMMEDIATE"``.
SQLITE_BEGIN_OPTION = "sqlite_begin"
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
#: Execution option read by the ``begin`` hook: ``"FULL"`` (default) or ``"NORMAL"``.
SQLITE_SYNCHRONOUS_OPTION = "sqlite_synchronous"
_SYNCHRONOUS_MODES = frozenset({"FULL", "NORMAL"})


def sqlite_url(path: Path | str) -> str:
    """The SQLAlchemy URL of the SQLite database file at ``path`` (made absolute)."""
    absolute = Path(path).expanduser().absolute()
    return URL.create("sqlite", database=str(absolute)).render_as_string()


def make_engine(url: str | URL, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> Engine:
    """Create the engine for ``url``: a SQLite file or a ``postgresql+psycopg`` server.

    For SQLite the file (and its folder) is created first with owner-only permissions;
    ``busy_timeout`` is how many seconds a statement waits for another process's lock.

    Raises:
        StoreError: the URL is not usable, the SQLite library is too old, the database file
            cannot be created, or the PostgreSQL driver is not installed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            "The database URL is not valid.",
            hint="Use sqlite:///path/to/file.db or postgresql+psycopg://user@host/dbname.",
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, busy_timeout)
    if backend == "postgresql":
        return _postgres_engine(parsed)
    raise StoreError(
        f"Unsupported database '{backend}'.",
        hint="CreatorFlow works with SQLite (the default) or PostgreSQL (postgresql+psycopg://…).",
    )


def _json_text(value: object) -> str:
    if isinstance(value, JsonText):
        return str.__str__(value)
    # msgspec writes JSON several times faster than json.dumps.
    return msgspec.json.encode(value).decode()


def _sqlite_engine(url: URL, busy_timeout: float) -> Engine:
    if sqlite3.sqlite_version_info < MIN_SQLITE_VERSION:
        wanted = ".".join(map(str, MIN_SQLITE_VERSION))
        raise StoreError(
            f"This Python uses SQLite {sqlite3.sqlite_version}; "
            f"CreatorFlow needs {wanted} or newer.",
            hint="Install a newer Python (python.org builds bundle a recent SQLite).",
        )
    if url.drivername != "sqlite" and url.drivername != "sqlite+pysqlite":
        raise StoreError(
            f"Unsupported SQLite driver '{url.drivername}'.",
            hint="Use a plain sqlite:///path URL.",
        )
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        path = Path(database).expanduser().absolute()
        prepare_sqlite_file(path)
        url = url.set(database=str(path))
    engine = create_engine(url, connect_args={"timeout": busy_timeout}, json_serializer=_json_text)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (see _on_sqlite_begin): the sqlite3 module's legacy implicit
        # transactions would defer every write and then fail with "database is locked".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        finally:
            cursor.close()

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _postgres_engine(url: URL) -> Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    try:
        # A daemon must not hang forever on an unreachable server.
        return create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 10},
            json_serializer=_json_text,
        )
    except ImportError:
        raise StoreError(
            "The PostgreSQL driver (psycopg) is not installed.",
            hint='Install it with: pip install "creatorflow[postgres]"',
        ) from None


def prepare_sqlite_file(path: Path) -> None:
    """Create ``path``'s folder and the empty database file with mode 0600 if missing.

    An existing file readable by others is tightened to 0600 when we own it.

    Raises:
        StoreError: the folder or the file cannot be created (read-only disk, permissions,
            disk full, a path component that is a file).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        existed = path.exists()
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            if existed and os.name == "posix" and os.fstat(fd).st_mode & 0o077:
                with contextlib.suppress(PermissionError):  # not ours: opening still works
                    os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError as exc:
        raise StoreError(
            f"Cannot create the database file {path}: {exc.strerror or exc}.",
            hint=hint_for_os_error(exc, path),
        ) from exc


def _on_sqlite_begin(connection: Connection) -> None:
    options = connection.get_execution_options()
    mode = str(options.get(SQLITE_BEGIN_OPTION, "DEFERRED")).upper()
    if mode not in _BEGIN_MODES:
        raise ValueError(f"unknown {SQLITE_BEGIN_OPTION} mode {mode!r}")
    synchronous = str(options.get(SQLITE_SYNCHRONOUS_OPTION, "FULL")).upper()
    if synchronous not in _SYNCHRONOUS_MODES:
        raise ValueError(f"unknown {SQLITE_SYNCHRONOUS_OPTION} mode {synchronous!r}")
    # The PRAGMA only takes effect outside a transaction, so it goes right before BEGIN; the
    # connection remembers its mode to skip the statement when nothing changes.
    if connection.info.get(SQLITE_SYNCHRONOUS_OPTION, "FULL") != synchronous:
        connection.exec_driver_sql(f"PRAGMA synchronous={synchronous}")
        connection.info[SQLITE_SYNCHRONOUS_OPTION] = synchronous
    connection.exec_driver_sql(f"BEGIN {mode}")


def store_error_from(exc: DBAPIError) -> StoreError:
    """A ``StoreError`` a person can act on, for a driver error the database raised."""
    detail = str(exc.orig).strip() or type(exc.orig).__name__
    lowered = detail.lower()
    if "locked" in lowered or "busy" in lowered:
        return StoreError(
            "The database stayed busy for too long: another CreatorFlow process is writing.",
            title="Database busy",
            hint="Try again in a moment. If it keeps happening, look for a stuck process.",
        )
    if "no such table" in lowered or "no such column" in lowered:
        return StoreError(
            f"The database is missing part of its schema ({detail}).",
            hint="Run: creatorflow db upgrade",
        )
    return StoreError(
        f"The database could not be used: {detail}",
        hint="Check free disk space and permissions, or that the database server is reachable.",
    )
