"""Where CreatorFlow keeps its files.

The locations follow the platform's conventions (platformdirs). Setting ``CREATORFLOW_HOME``
moves config, data, state and logs under one folder, which is how tests, demos and several
installs on one machine stay apart. Nothing is created here until ``ensure_dirs`` is called.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "creatorflow"
HOME_ENV = "CREATORFLOW_HOME"


@dataclass(frozen=True)
class Paths:
    """The folders and well-known files of one CreatorFlow installation."""

    config_dir: Path
    data_dir: Path
    state_dir: Path
    log_dir: Path

    @property
    def config_file(self) -> Path:
        """The user's ``config.toml``."""
        return self.config_dir / "config.toml"

    @property
    def database_file(self) -> Path:
        """The SQLite store used unless ``database.url`` points elsewhere."""
        return self.data_dir / "creatorflow.db"

    @property
    def secrets_file(self) -> Path:
        """The opt-in 0600 secrets file for machines without a usable keyring."""
        return self.data_dir / "secrets.toml"

    @property
    def backups_dir(self) -> Path:
        """Copies of the database taken before each migration."""
        return self.data_dir / "backups"

    @property
    def heartbeat_file(self) -> Path:
        """The daemon's heartbeat, read by ``doctor`` and ``daemon status``."""
        return self.state_dir / "daemon-heartbeat.json"

    @property
    def sandbox_file(self) -> Path:
        """Where a running ``sandbox serve`` says where it listens (removed when it stops)."""
        return self.state_dir / "sandbox.json"

    def ensure_dirs(self) -> None:
        """Create every folder (owner-only where it may hold buyer data or secrets)."""
        for folder in (self.config_dir, self.data_dir, self.state_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)


def resolve_paths(environ: Mapping[str, str] | None = None) -> Paths:
    """Work out the folders from ``CREATORFLOW_HOME`` or the platform's defaults."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV, "").strip()
    if home:
        root = Path(home).expanduser().absolute()
        return Paths(
            config_dir=root / "config",
            data_dir=root / "data",
            state_dir=root / "state",
            log_dir=root / "logs",
        )
    from platformdirs import PlatformDirs

    dirs = PlatformDirs(APP_NAME, appauthor=False)
    return Paths(
        config_dir=Path(dirs.user_config_dir),
        data_dir=Path(dirs.user_data_dir),
        state_dir=Path(dirs.user_state_dir),
        log_dir=Path(dirs.user_log_dir),
    )
