"""Which schema revision a database is at, and bringing it up to date.

``check_schema`` is what the daemon and the TUI call at start: it reads ``alembic_version``
with one plain SELECT, so Alembic itself is imported only when a migration actually runs
(``upgrade``). ``KNOWN_REVISIONS`` lists every migration in order; a test keeps it equal to
the scripts in ``migrations/versions``.

To write the next migration: change ``tables_*.py``, then call ``autogenerate_revision`` on a
database at head, clean the generated file, and add its id to ``KNOWN_REVISIONS``.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from creatorflow.errors import SchemaMismatchError, StoreError
from creatorflow.store.engine import SQLITE_BEGIN_OPTION, store_error_from

if TYPE_CHECKING:
    from alembic.config import Config

#: Every migration id, oldest first.
KNOWN_REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006")
HEAD_REVISION = "0006"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"

#: Serialises migrations from several stations on one PostgreSQL database ("cflo" in ASCII).
_PG_MIGRATION_LOCK = 0x63666C6F

SchemaState = Literal["missing", "behind", "current", "ahead"]


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema stands against this version of CreatorFlow."""

    current: str | None
    head: str
    state: SchemaState


@dataclass(frozen=True)
class UpgradeResult:
    """What ``upgrade`` did."""

    from_revision: str | None
    to_revision: str
    backup_path: Path | None

    @property
    def changed(self) -> bool:
        """Whether any migration ran."""
        return self.from_revision != self.to_revision


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, or None for a database without our tables.

    Raises:
        StoreError: the database cannot be read, or holds more than one revision.
    """
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(VERSION_TABLE):
                return None
            rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()  # noqa: S608
    except DBAPIError as exc:
        raise store_error_from(exc) from exc
    if len(rows) > 1:
        found = ", ".join(str(row[0]) for row in rows)
        raise StoreError(f"The database is stamped with several schema revisions: {found}.")
    return str(rows[0][0]) if rows else None


def schema_status(engine: Engine) -> SchemaStatus:
    """Compare the database's revision with the newest one this code knows."""
    current = current_revision(engine)
    state: SchemaState
    if current is None:
        state = "missing"
    elif current == HEAD_REVISION:
        state = "current"
    elif current in KNOWN_REVISIONS:
        state = "behind"
    else:
        state = "ahead"
    return SchemaStatus(current=current, head=HEAD_REVISION, state=state)


def check_schema(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not exactly the one this code expects.

    Raises:
        SchemaMismatchError: the schema is missing, older, or newer than this code.
        StoreError: the database cannot be read.
    """
    status = schema_status(engine)
    if status.state == "current":
        return
    if status.state == "missing":
        raise SchemaMismatchError(
            "The database has no CreatorFlow tables yet.", hint="Run: creatorflow db upgrade"
        )
    if status.state == "behind":
        raise SchemaMismatchError(
            f"The database schema is at revision {status.current}; "
            f"this CreatorFlow needs {status.head}.",
            hint="Run: creatorflow db upgrade",
        )
    raise _ahead_error(status)


def upgrade(engine: Engine, *, backup_dir: Path | None) -> UpgradeResult:
    """Migrate the database to ``HEAD_REVISION``, all in one transaction.

    A SQLite database that already holds tables is first copied online into ``backup_dir``
    (when given) as ``creatorflow-<old revision>-<UTC time>.db``. PostgreSQL is not copied:
    its backups are the server operator's job.

    Raises:
        SchemaMismatchError: the database is newer than this code.
        StoreError: the backup or the migration failed; the database is left unchanged.
    """
    status = schema_status(engine)
    if status.state == "ahead":
        raise _ahead_error(status)
    if status.state == "current":
        return UpgradeResult(status.current, HEAD_REVISION, None)
    backup = None
    if engine.dialect.name == "sqlite" and backup_dir is not None and _has_tables(engine):
        backup = backup_sqlite(engine, backup_dir, label=status.current or "unversioned")
    try:
        _migrate(engine)
    except DBAPIError as exc:
        raise store_error_from(exc) from exc
    reached = current_revision(engine)
    if reached != HEAD_REVISION:
        raise StoreError(f"The migration ended at revision {reached}, not {HEAD_REVISION}.")
    return UpgradeResult(status.current, HEAD_REVISION, backup)


def backup_sqlite(engine: Engine, backup_dir: Path, *, label: str) -> Path:
    """Copy the live SQLite database into a new owner-only file in ``backup_dir``.

    Uses SQLite's online backup, which is safe while other processes read and write
    (copying the file itself is not, with a WAL beside it).

    Raises:
        StoreError: the folder or the copy cannot be written.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = _new_private_file(backup_dir, f"creatorflow-{label}-{stamp}", ".db")
        with engine.connect() as conn:
            source = _driver(conn)
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(
            f"Could not back up the database into {backup_dir}: {exc}.",
            hint="Free some disk space or choose another backup folder; nothing was migrated.",
        ) from exc
    return target


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for the packaged migrations (there is no ``alembic.ini``)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_revisions() -> list[str]:
    """Every revision id found in the migration scripts, oldest first (imports Alembic)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def autogenerate_revision(engine: Engine, *, message: str, rev_id: str) -> Path:
    """Write a new migration script from the difference between the tables and the database.

    A developer tool: run it on a database at head, then review and clean the file.
    """
    from alembic import command

    with engine.connect() as conn:
        script = command.revision(
            alembic_config(conn), message=message, autogenerate=True, rev_id=rev_id
        )
    if script is None or isinstance(script, list):
        raise StoreError("Alembic did not write exactly one migration script.")
    return Path(script.path)


def _migrate(engine: Engine) -> None:
    from alembic import command

    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        try:
            if sqlite:
                # Batch migrations copy and drop tables that others reference; the PRAGMA is
                # ignored inside a transaction, so it goes to the driver before BEGIN.
                _driver(conn).execute("PRAGMA foreign_keys=OFF")
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                if not sqlite:
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                    )
                command.upgrade(alembic_config(conn), "head")
                if sqlite:
                    _check_foreign_keys(conn)
        finally:
            if sqlite:
                # Never hand a connection with foreign keys off back to the pool.
                conn.invalidate()


def _check_foreign_keys(conn: Connection) -> None:
    broken: list[Any] = list(conn.exec_driver_sql("PRAGMA foreign_key_check").all())
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise StoreError(
            f"The migration would leave broken references in: {', '.join(tables)}.",
            hint="Nothing was changed. Report this with the output of: creatorflow doctor",
        )


def _driver(conn: Connection) -> sqlite3.Connection:
    raw = conn.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _has_tables(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            return bool(inspect(conn).get_table_names())
    except DBAPIError as exc:
        raise store_error_from(exc) from exc


def _new_private_file(folder: Path, stem: str, suffix: str) -> Path:
    for attempt in range(1, 100):
        path = folder / (f"{stem}{suffix}" if attempt == 1 else f"{stem}-{attempt}{suffix}")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            continue
        return path
    raise StoreError(f"Too many backups named {stem} in {folder}.")


def _ahead_error(status: SchemaStatus) -> SchemaMismatchError:
    return SchemaMismatchError(
        f"The database was upgraded by a newer CreatorFlow (schema revision {status.current}; "
        f"this version knows up to {status.head}).",
        hint="Upgrade CreatorFlow itself: pip install -U creatorflow",
    )
