"""The composition root: ``Services`` wires paths, settings, secrets and the store once.

Front ends build one ``Services`` per process (tests pass their own pieces) and hand it to the
use-case functions. Each piece is built on first use, so a command that needs only the
configuration never opens the database or imports the keyring.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from creatorflow.config.paths import Paths, resolve_paths

if TYPE_CHECKING:
    from creatorflow.config.settings import Settings
    from creatorflow.secrets import SecretStore
    from creatorflow.store.session import Store


#: Hidden, for tests and demos: time runs this many times faster for the daemon's intervals
#: and for retry back-offs (``daemon.poll_seconds = 120`` at 120 polls every second).
SPEED_ENV = "CREATORFLOW_DAEMON_TEST_SPEED"


def time_speed(environ: Mapping[str, str]) -> float:
    """The test speed-up factor (1 unless ``CREATORFLOW_DAEMON_TEST_SPEED`` is set)."""
    raw = environ.get(SPEED_ENV, "").strip()
    try:
        value = float(raw) if raw else 1.0
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


@dataclass
class Services:
    """Everything a use case may need, built lazily."""

    paths: Paths
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    secret_store: SecretStore | None = None

    @cached_property
    def settings(self) -> Settings:
        """The merged configuration (defaults, ``config.toml``, environment)."""
        from creatorflow.config.settings import load_settings

        return load_settings(self.paths.config_file, self.environ)

    @cached_property
    def secrets(self) -> SecretStore:
        """The secret store, in the resolution order of DESIGN §4."""
        if self.secret_store is not None:
            return self.secret_store
        from creatorflow.secrets import build_secret_store

        allow_file = self.settings.flag("secrets.allow_file")
        return build_secret_store(self.paths, allow_file=allow_file, environ=self.environ)

    @property
    def database_url(self) -> str:
        """The store's URL: ``database.url`` or the SQLite file in the data folder."""
        configured = self.settings.text("database.url").strip()
        if configured:
            return configured
        from creatorflow.store.engine import sqlite_url

        return sqlite_url(self.paths.database_file)

    @property
    def time_speed(self) -> float:
        """How many times faster waits pass (1 outside tests); see :data:`SPEED_ENV`."""
        return time_speed(self.environ)

    @property
    def station(self) -> str:
        """This packing station's name: ``station.name``, or the host name."""
        import socket

        return self.settings.text("station.name").strip() or socket.gethostname()

    @cached_property
    def raw_store(self) -> Store:
        """The store without the schema check: for ``init``, ``db`` and ``doctor`` only."""
        from creatorflow.store.engine import make_engine
        from creatorflow.store.session import Store

        return Store(make_engine(self.database_url), station=self.station)

    @cached_property
    def store(self) -> Store:
        """The store, refused with a hint unless its schema matches this code."""
        from creatorflow.store.schema import check_schema

        check_schema(self.raw_store.engine)
        return self.raw_store

    def close(self) -> None:
        """Release the database connections, if any were opened."""
        if "raw_store" in self.__dict__:
            self.raw_store.dispose()


def build_services(environ: Mapping[str, str] | None = None) -> Services:
    """Build the services of this process from the environment."""
    env = dict(os.environ if environ is None else environ)
    return Services(paths=resolve_paths(env), environ=env)
