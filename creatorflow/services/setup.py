"""First-run set-up: folders, the commented ``config.toml`` and an up-to-date database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from creatorflow.config.settings import load_settings
from creatorflow.errors import CreatorflowError, hint_for_os_error
from creatorflow.services.configuration import redact
from creatorflow.services.context import Services
from creatorflow.services.database import DatabaseUpgrade, upgrade_database


@dataclass(frozen=True)
class InitReport:
    """What ``initialize`` found and created."""

    config_file: Path
    config_created: bool
    data_dir: Path
    log_dir: Path
    database: str
    schema: DatabaseUpgrade


class SetupError(CreatorflowError):
    """A folder or file of the installation cannot be created."""

    title = "Cannot set up CreatorFlow"


def disk_error(path: Path, exc: OSError) -> SetupError:
    """Explain a failed write in words a person can act on."""
    reason = exc.strerror or str(exc)
    return SetupError(f"Cannot write {path}: {reason}.", hint=hint_for_os_error(exc, path))


def initialize(services: Services) -> InitReport:
    """Create the folders, a commented config file (kept if present) and the database schema.

    Safe to run again: an existing configuration is left alone and the schema is only
    upgraded when it is behind.

    Raises:
        SetupError: a folder or file cannot be written (read-only location, full disk).
        ConfigError: an existing ``config.toml`` is invalid.
        StoreError: the database cannot be created or migrated.
    """
    from creatorflow.config.writer import template_text
    from creatorflow.fileio import write_atomically

    paths = services.paths
    for folder in (paths.config_dir, paths.data_dir, paths.state_dir, paths.log_dir):
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise disk_error(folder, exc) from None
    created = not paths.config_file.exists()
    if created:
        try:
            write_atomically(paths.config_file, template_text())
        except OSError as exc:
            raise disk_error(paths.config_file, exc) from None
    load_settings(paths.config_file, services.environ)
    schema = upgrade_database(services)
    return InitReport(
        config_file=paths.config_file,
        config_created=created,
        data_dir=paths.data_dir,
        log_dir=paths.log_dir,
        database=str(redact(services.database_url)),
        schema=schema,
    )
