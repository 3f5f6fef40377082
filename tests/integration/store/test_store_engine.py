"""The SQLite engine: pragmas, file permissions, BEGIN IMMEDIATE writes, readable errors."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text

from creatorflow.errors import StoreError
from creatorflow.store.engine import make_engine, sqlite_url
from creatorflow.store.session import Store
from creatorflow.store.tables import Shop

T0 = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(sqlite_url(tmp_path / "nested" / "folder" / "creatorflow.db"))
    yield engine
    engine.dispose()


def _pragma(engine: Engine, name: str) -> Any:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_connections_get_the_pragmas(sqlite_engine: Engine) -> None:
    assert _pragma(sqlite_engine, "journal_mode") == "wal"
    assert _pragma(sqlite_engine, "synchronous") == 2  # FULL
    assert _pragma(sqlite_engine, "foreign_keys") == 1
    assert _pragma(sqlite_engine, "busy_timeout") == 15000


def test_database_file_is_created_owner_only_with_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "creatorflow.db"
    engine = make_engine(sqlite_url(path))
    try:
        assert path.is_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with engine.begin() as conn:  # the WAL and shared-memory files inherit the mode
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            assert stat.S_IMODE(Path(f"{path}-wal").stat().st_mode) == 0o600
    finally:
        engine.dispose()


def test_existing_world_readable_database_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "creatorflow.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    make_engine(sqlite_url(path)).dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_sqlite_url_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert sqlite_url("rel.db") == f"sqlite:///{tmp_path / 'rel.db'}"


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    return seen


def test_write_sessions_begin_immediate_and_read_sessions_deferred(
    sqlite_engine: Engine,
) -> None:
    store = Store(sqlite_engine)
    seen = _statements(sqlite_engine)
    with store.write() as session:
        session.execute(select(1))
    assert seen[0] == "BEGIN IMMEDIATE"
    seen.clear()
    with store.read() as session:
        session.execute(select(1))
    assert seen[0] == "BEGIN DEFERRED"


def _try_to_write(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        refusal = str(exc)
    else:
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()
    assert refusal == "database is locked"
    return False


def test_an_open_write_session_holds_the_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "creatorflow.db"
    store = Store(make_engine(sqlite_url(path)))
    try:
        with store.write() as session:
            session.execute(select(1))  # reads only, yet the lock is taken at BEGIN
            assert not _try_to_write(path)
        assert _try_to_write(path)
        with store.read() as session:
            session.execute(select(1))
            assert _try_to_write(path)  # readers never block writers in WAL mode
    finally:
        store.dispose()


def _add_shop_then_fail(store: Store) -> None:
    with store.write() as session:
        session.add(Shop(id="2", cipher="c", name="lost", region="US", authorized_at=T0))
        session.flush()
        raise RuntimeError("boom")


def test_write_commits_on_success_and_rolls_back_on_error(sqlite_store: Store) -> None:
    with sqlite_store.write() as session:
        session.add(Shop(id="1", cipher="c", name="kept", region="US", authorized_at=T0))
    with pytest.raises(RuntimeError, match="boom"):
        _add_shop_then_fail(sqlite_store)
    with sqlite_store.read() as session:
        assert session.scalars(select(Shop.name)).all() == ["kept"]


def test_read_sessions_never_commit(sqlite_store: Store) -> None:
    with sqlite_store.read() as session:
        session.add(Shop(id="1", cipher="c", name="x", region="US", authorized_at=T0))
        session.flush()
    with sqlite_store.read() as session:
        assert session.scalars(select(Shop)).all() == []


def test_lock_held_too_long_becomes_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "creatorflow.db"
    store = Store(make_engine(sqlite_url(path), busy_timeout=0.1))
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError) as info, store.write() as session:
            session.execute(select(1))
        assert info.value.title == "Database busy"
    finally:
        holder.close()
        store.dispose()


def test_objects_stay_readable_after_the_session(sqlite_store: Store) -> None:
    with sqlite_store.write() as session:
        shop = Shop(id="1", cipher="c", name="Mine", region="US", authorized_at=T0)
        session.add(shop)
    assert shop.name == "Mine"
    assert shop.created_at.tzinfo is not None


def test_dialect_name(sqlite_store: Store) -> None:
    assert sqlite_store.dialect == "sqlite"


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.EACCES, "permissions"), (errno.EROFS, "read-only"), (errno.ENOSPC, "disk is full")],
)
def test_unwritable_folder_gives_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str
) -> None:
    """Forbidden, read-only or full (simulated: root ignores chmod): a StoreError with a hint."""
    path = tmp_path / "creatorflow.db"
    real_open = os.open

    def refuse(target: str | os.PathLike[str], *args: object, **kwargs: object) -> int:
        if Path(target) == path:
            raise OSError(code, os.strerror(code), str(path))
        return real_open(target, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(StoreError) as info:
        make_engine(sqlite_url(path))
    assert str(path) in info.value.message
    assert info.value.hint is not None
    assert words in info.value.hint


def test_file_in_the_way_of_the_folder_gives_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    path = blocker / "creatorflow.db"
    with pytest.raises(StoreError) as info:
        make_engine(sqlite_url(path))
    assert str(path) in info.value.message
    assert info.value.hint is not None
    assert "CREATORFLOW_HOME" in info.value.hint


def test_too_old_sqlite_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    with pytest.raises(StoreError, match=r"needs 3\.35\.0"):
        make_engine(sqlite_url(tmp_path / "creatorflow.db"))
    assert not (tmp_path / "creatorflow.db").exists()


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(StoreError):
        make_engine(url)


def test_postgres_url_without_driver_uses_psycopg() -> None:
    engine = make_engine("postgresql://user@127.0.0.1:1/none")
    try:
        assert engine.url.drivername == "postgresql+psycopg"
    finally:
        engine.dispose()


def test_missing_table_error_points_at_db_upgrade(tmp_path: Path) -> None:
    store = Store(make_engine(sqlite_url(tmp_path / "empty.db")))
    try:
        with pytest.raises(StoreError) as info, store.read() as session:
            session.execute(text("SELECT * FROM orders"))
        assert info.value.hint == "Run: creatorflow db upgrade"
    finally:
        store.dispose()
