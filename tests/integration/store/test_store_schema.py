"""Migrations: they build exactly tables.py, know their head, and guard old or new schemas."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command as alembic_command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from creatorflow.errors import SchemaMismatchError, StoreError
from creatorflow.store import schema
from creatorflow.store.engine import make_engine, sqlite_url
from creatorflow.store.schema import (
    HEAD_REVISION,
    KNOWN_REVISIONS,
    SchemaStatus,
    check_schema,
    current_revision,
    schema_status,
    script_revisions,
    upgrade,
)
from creatorflow.store.tables import metadata


@pytest.fixture
def sqlite_store_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(sqlite_url(tmp_path / "data" / "creatorflow.db"))
    upgrade(engine, backup_dir=None)
    yield engine
    engine.dispose()


def _stamp(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_migration_creates_every_table(migrated: Engine) -> None:
    tables = set(inspect(migrated).get_table_names())
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_migration_matches_the_tables_exactly(migrated: Engine) -> None:
    with migrated.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    assert diffs == []


def test_drift_would_be_noticed(migrated: Engine) -> None:
    with migrated.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_orders_status")
    with migrated.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [diff[0] for diff in diffs] == ["add_index"]


def test_head_revision_constant_matches_the_scripts() -> None:
    revisions = script_revisions()
    assert revisions[-1] == HEAD_REVISION
    assert tuple(revisions) == KNOWN_REVISIONS


def test_schema_module_does_not_import_alembic() -> None:
    code = (
        "import sys, creatorflow.store.schema, creatorflow.store.session; "
        "sys.exit('alembic' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_status_of_an_empty_database_is_missing(engine: Engine) -> None:
    assert current_revision(engine) is None
    assert schema_status(engine) == SchemaStatus(None, HEAD_REVISION, "missing")
    with pytest.raises(SchemaMismatchError) as info:
        check_schema(engine)
    assert info.value.hint == "Run: creatorflow db upgrade"


def test_status_after_upgrade_is_current(migrated: Engine) -> None:
    assert current_revision(migrated) == HEAD_REVISION
    assert schema_status(migrated).state == "current"
    check_schema(migrated)


def test_status_of_an_older_schema_is_behind(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(schema.alembic_config(connection), "0001")
    migrated = engine
    assert schema_status(migrated) == SchemaStatus("0001", HEAD_REVISION, "behind")
    with pytest.raises(SchemaMismatchError) as info:
        check_schema(migrated)
    assert "0001" in info.value.message
    assert info.value.hint == "Run: creatorflow db upgrade"
    result = upgrade(migrated, backup_dir=None)
    assert (result.from_revision, result.to_revision) == ("0001", HEAD_REVISION)
    check_schema(migrated)


def test_status_of_a_newer_schema_is_ahead(migrated: Engine) -> None:
    _stamp(migrated, "9f1c2d3e4a5b")
    assert schema_status(migrated) == SchemaStatus("9f1c2d3e4a5b", HEAD_REVISION, "ahead")
    with pytest.raises(SchemaMismatchError) as info:
        check_schema(migrated)
    assert info.value.hint is not None
    assert "pip install -U creatorflow" in info.value.hint
    with pytest.raises(SchemaMismatchError):
        upgrade(migrated, backup_dir=None)


def test_upgrading_a_current_database_does_nothing(migrated: Engine, tmp_path: Path) -> None:
    result = upgrade(migrated, backup_dir=tmp_path / "backups")
    assert result.from_revision == result.to_revision == HEAD_REVISION
    assert not result.changed
    assert result.backup_path is None
    assert not (tmp_path / "backups").exists()


def test_first_upgrade_of_an_empty_file_takes_no_backup(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "creatorflow.db"))
    try:
        result = upgrade(engine, backup_dir=tmp_path / "backups")
        assert result.from_revision is None
        assert result.to_revision == HEAD_REVISION
        assert result.changed
        assert result.backup_path is None
        assert not (tmp_path / "backups").exists()
    finally:
        engine.dispose()


def _revision_in(path: Path) -> str | None:
    copy = sqlite3.connect(path)
    try:
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
        if "alembic_version" not in tables:
            return None
        return str(copy.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        copy.close()


def test_upgrade_of_a_database_with_tables_backs_it_up_first(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "creatorflow.db"))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE precious (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO precious VALUES (42)")
        result = upgrade(engine, backup_dir=tmp_path / "backups")
    finally:
        engine.dispose()
    backup = result.backup_path
    assert backup is not None
    assert backup.parent == tmp_path / "backups"
    assert backup.name.startswith("creatorflow-unversioned-")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    copy = sqlite3.connect(backup)
    try:
        assert copy.execute("SELECT x FROM precious").fetchall() == [(42,)]
        assert copy.execute("SELECT name FROM sqlite_master WHERE name = 'orders'").fetchall() == []
    finally:
        copy.close()


def test_upgrade_from_an_older_revision_backs_up_with_its_name(
    sqlite_store_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stamp(sqlite_store_engine, "0001")
    monkeypatch.setattr(schema, "_migrate", lambda engine: _stamp(engine, HEAD_REVISION))
    result = upgrade(sqlite_store_engine, backup_dir=tmp_path / "backups")
    assert (result.from_revision, result.to_revision) == ("0001", HEAD_REVISION)
    assert result.backup_path is not None
    assert result.backup_path.name.startswith("creatorflow-0001-")
    assert result.backup_path.name.endswith("Z.db")
    assert _revision_in(result.backup_path) == "0001"
    again = upgrade(sqlite_store_engine, backup_dir=tmp_path / "backups")
    assert again.backup_path is None


def test_two_backups_in_the_same_second_get_distinct_files(
    sqlite_store_engine: Engine, tmp_path: Path
) -> None:
    first = schema.backup_sqlite(sqlite_store_engine, tmp_path, label="0001")
    second = schema.backup_sqlite(sqlite_store_engine, tmp_path, label="0001")
    assert first != second
    assert _revision_in(first) == _revision_in(second) == HEAD_REVISION


def test_backup_into_an_impossible_folder_is_a_store_error(
    sqlite_store_engine: Engine, tmp_path: Path
) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="back up"):
        schema.backup_sqlite(sqlite_store_engine, blocker / "backups", label="0001")


def test_foreign_keys_are_back_on_after_migrating(sqlite_store_engine: Engine) -> None:
    with sqlite_store_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_migrations_run_with_foreign_keys_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real_upgrade = alembic_command.upgrade

    def spying_upgrade(config: Config, revision: str) -> None:
        conn = config.attributes["connection"]
        seen.append(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())
        real_upgrade(config, revision)

    monkeypatch.setattr(alembic_command, "upgrade", spying_upgrade)
    engine = make_engine(sqlite_url(tmp_path / "creatorflow.db"))
    try:
        upgrade(engine, backup_dir=None)
        assert seen == [0]
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_a_failed_migration_leaves_the_database_untouched(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_upgrade = alembic_command.upgrade

    def failing_upgrade(config: Config, revision: str) -> None:
        real_upgrade(config, revision)
        raise RuntimeError("power cut after the last CREATE TABLE")

    monkeypatch.setattr(alembic_command, "upgrade", failing_upgrade)
    with pytest.raises(RuntimeError):
        upgrade(engine, backup_dir=None)
    assert inspect(engine).get_table_names() == []
    assert current_revision(engine) is None
