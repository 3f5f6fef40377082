"""Use cases for the database schema: where it stands and bringing it up to date."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from creatorflow.services.configuration import redact
from creatorflow.services.context import Services


@dataclass(frozen=True)
class DatabaseState:
    """Where the schema stands against this version of CreatorFlow."""

    url: str
    current: str | None
    head: str
    state: str  # missing | behind | current | ahead


@dataclass(frozen=True)
class DatabaseUpgrade:
    """What ``upgrade_database`` did."""

    from_revision: str | None
    to_revision: str
    changed: bool
    backup: Path | None


def database_state(services: Services) -> DatabaseState:
    """Read the schema revision without changing anything.

    Raises:
        StoreError: the database cannot be opened.
    """
    from creatorflow.store.schema import schema_status

    status = schema_status(services.raw_store.engine)
    return DatabaseState(
        url=str(redact(services.database_url)),
        current=status.current,
        head=status.head,
        state=status.state,
    )


def upgrade_database(services: Services) -> DatabaseUpgrade:
    """Migrate the schema to this version, backing up a SQLite database first.

    Raises:
        SchemaMismatchError: the database is newer than this version of CreatorFlow.
        StoreError: the database cannot be opened or migrated.
    """
    from creatorflow.store.schema import upgrade

    result = upgrade(services.raw_store.engine, backup_dir=services.paths.backups_dir)
    return DatabaseUpgrade(
        from_revision=result.from_revision,
        to_revision=result.to_revision,
        changed=result.from_revision != result.to_revision,
        backup=result.backup_path,
    )


@dataclass(frozen=True)
class DatabaseBackup:
    """Where ``backup_database`` wrote the copy, and its size."""

    path: Path
    bytes: int
    revision: str | None


def backup_database(services: Services, to: Path | None = None) -> DatabaseBackup:
    """Copy the SQLite store online into ``to`` (a new file), or into the backups folder.

    Safe while the daemon runs: SQLite's backup API copies a consistent state, which copying
    the file (with its write-ahead log beside it) does not.

    Raises:
        UsageError: the store is PostgreSQL (back it up with ``pg_dump``).
        StoreError: ``to`` exists already, or the copy cannot be written.
    """
    from creatorflow.errors import UsageError
    from creatorflow.store.copy import backup_sqlite_to
    from creatorflow.store.schema import backup_sqlite, current_revision

    engine = services.raw_store.engine
    if engine.dialect.name != "sqlite":
        raise UsageError(
            "The store is a PostgreSQL database: its backups are made on the server.",
            hint="Run: pg_dump -Fc -f creatorflow.dump DBNAME (restore with pg_restore).",
        )
    revision = current_revision(engine)
    if to is None:
        path = backup_sqlite(engine, services.paths.backups_dir, label=revision or "unversioned")
        return DatabaseBackup(path, path.stat().st_size, revision)
    target = to.expanduser().absolute()
    return DatabaseBackup(target, backup_sqlite_to(engine, target), revision)
