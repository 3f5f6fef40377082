"""The one error hierarchy every layer raises and every front end shows.

Each error carries a short ``title``, the ``message`` (what happened), an optional ``hint``
(what to do about it) and the command-line ``exit_code`` of DESIGN §11. The CLI prints them
as a panel on stderr, the TUI as a notification, the daemon as a log line and a stored reason.
"""

from __future__ import annotations

import errno
from pathlib import Path


class ExitCode:
    """Process exit codes shared by every command (DESIGN §11)."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    AUTH = 3
    NETWORK = 4
    BLOCKED = 5
    INTERRUPTED = 130


class CreatorflowError(Exception):
    """Base of every error CreatorFlow raises on purpose."""

    title = "CreatorFlow error"
    exit_code = ExitCode.FAILURE

    def __init__(self, message: str, *, title: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(CreatorflowError):
    """The configuration file, an environment override or a setting value is wrong."""

    title = "Configuration error"
    exit_code = ExitCode.USAGE


class UsageError(CreatorflowError):
    """The command was called in a way that cannot work (missing flag, no terminal to prompt)."""

    title = "Usage error"
    exit_code = ExitCode.USAGE


class NotFoundError(CreatorflowError):
    """The order, shop or record the user named is not in the local store."""

    title = "Not found"


class SecretError(CreatorflowError):
    """A secret could not be read, stored or deleted."""

    title = "Secret store error"
    exit_code = ExitCode.USAGE


class SecretMissingError(SecretError):
    """A secret the command needs is not in any backend."""

    title = "Secret missing"


class StoreError(CreatorflowError):
    """The local database cannot be opened, written or migrated."""

    title = "Database error"


class SchemaMismatchError(StoreError):
    """The database schema is older or newer than this version of CreatorFlow."""

    title = "Database schema mismatch"
    exit_code = ExitCode.USAGE


class InvalidTransitionError(CreatorflowError):
    """An order was asked to move to a stage it cannot reach from where it is."""

    title = "Not allowed in this stage"


class AuthError(CreatorflowError):
    """An account is not connected, or its credentials were refused or revoked."""

    title = "Not authorised"
    exit_code = ExitCode.AUTH


class ProviderError(CreatorflowError):
    """An outside service (TikTok, a carrier, billing) failed or could not be reached."""

    title = "Provider error"
    exit_code = ExitCode.NETWORK


class RateLimitedError(ProviderError):
    """An outside service asked us to slow down; ``retry_after`` is in seconds when known."""

    title = "Rate limited"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        title: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, title=title, hint=hint)
        self.retry_after = retry_after


class BlockedError(CreatorflowError):
    """A purchase guard or the plan's order limit refused the work."""

    title = "Blocked"
    exit_code = ExitCode.BLOCKED


def hint_for_os_error(exc: OSError, path: Path) -> str:
    """What a person can do about a failed write of ``path`` (full disk, read-only, …)."""
    if exc.errno == errno.ENOSPC:
        return "The disk is full: free some space and try again."
    if exc.errno == errno.EROFS:
        return f"{path.parent} is on a read-only file system: point CREATORFLOW_HOME elsewhere."
    if exc.errno in (errno.EACCES, errno.EPERM):
        folder = next((p for p in path.parents if p.exists()), path.parent)
        return f"You may not write to {folder}: fix its permissions or set CREATORFLOW_HOME."
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"A file is in the way of the folder {path.parent}: move it or set CREATORFLOW_HOME."
    return "Check that the folder exists and is writable, or set CREATORFLOW_HOME."
