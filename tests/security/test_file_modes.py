"""Files that hold buyers' data or secrets are the owner's alone (0600), in folders that are the
owner's alone (0700), after the operations that write them — run in-process here:
``sandbox serve`` (``sandbox.json``), ``init --sandbox`` with no keyring (the opt-in secrets
file), a label purchase (the database, its write-ahead log, the label files), ``data export``
and ``db backup``. POSIX only: Windows has no such mode bits.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.services.approval import approve_orders
from creatorflow.services.context import Services
from creatorflow.services.data_export import export_csv
from creatorflow.services.database import backup_database
from creatorflow.services.label_buying import buy_labels
from creatorflow.services.sandbox import run_sandbox
from creatorflow.services.setup import init_sandbox, initialize

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    # A permissive umask, as on many desktops: the modes must not depend on it.
    old = os.umask(0o002)
    try:
        yield tmp_path / "home"
    finally:
        os.umask(old)


def test_secrets_database_labels_exports_and_backups_are_0600(home: Path) -> None:
    environ = {"CREATORFLOW_HOME": str(home)}
    paths = resolve_paths(environ)
    sandbox = Services(paths=paths, environ=environ)
    services = sandbox
    try:
        with run_sandbox(sandbox, orders=4, orders_per_minute=0):
            assert _mode(paths.sandbox_file) == 0o600  # it holds the sandbox's keys
            setup = Services(paths=paths, environ=environ)
            try:
                report = init_sandbox(setup)
            finally:
                setup.close()
            assert report.secrets_file_enabled  # no keyring here: the opt-in file is used
            # The settings init wrote, read afresh (as the next command would).
            services = Services(paths=paths, environ=environ)
            approved = approve_orders(services, all_ready=True)
            assert approved.approved > 0
            bought = buy_labels(services)
            assert sum(bought.spend.values()) > 0
            database = paths.data_dir / "creatorflow.db"
            with services.store.read():  # a connection is open: WAL files exist now
                wal = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
                assert all(path.exists() for path in wal)
                for path in [database, *wal]:
                    assert _mode(path) == 0o600, path
            labels = sorted((paths.data_dir / "labels").iterdir())
            exported = export_csv(services, home / "export")
            backup = backup_database(services)
        assert labels
        owner_only = [paths.secrets_file, paths.config_file, *labels, backup.path]
        for path in [*owner_only, *(f.path for f in exported.files)]:
            assert _mode(path) == 0o600, path
        for folder in {
            paths.data_dir,
            paths.data_dir / "labels",
            paths.config_file.parent,
            home / "export",
            backup.path.parent,
            paths.sandbox_file.parent,
        }:
            assert _mode(folder) == 0o700, folder
    finally:
        services.close()
        sandbox.close()


def test_a_database_file_left_readable_by_others_is_tightened(home: Path) -> None:
    environ = {"CREATORFLOW_HOME": str(home)}
    database = resolve_paths(environ).data_dir / "creatorflow.db"
    database.parent.mkdir(parents=True)
    database.touch(mode=0o644)
    os.chmod(database, 0o644)
    services = Services(paths=resolve_paths(environ), environ=environ)
    try:
        initialize(services)
        assert _mode(database) == 0o600
    finally:
        services.close()
