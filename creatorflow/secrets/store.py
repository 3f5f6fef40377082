"""``SecretStore``: one front for every backend, asked as env → systemd → keyring → file."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from creatorflow.config.paths import Paths
from creatorflow.errors import SecretError, SecretMissingError
from creatorflow.secrets.backends import Backend, EnvBackend, SystemdCredentialsBackend
from creatorflow.secrets.file_backend import FileBackend
from creatorflow.secrets.keyring_backend import KeyringBackend
from creatorflow.secrets.names import (
    KNOWN_SECRETS,
    env_var_for,
    validate_secret_name,
    validate_secret_value,
)


@dataclass(frozen=True)
class SecretEntry:
    """One line of ``creatorflow secrets list``: never the value, only where it comes from."""

    name: str
    source: str | None
    description: str
    set: bool


@dataclass(frozen=True)
class BackendInfo:
    """What ``creatorflow secrets doctor`` shows about one backend."""

    name: str
    available: bool
    writable: bool
    detail: str


@dataclass(frozen=True)
class DeleteResult:
    """Where a secret was deleted from, and where it is still set (env, systemd: read-only)."""

    deleted_from: list[str] = field(default_factory=list)
    still_in: list[str] = field(default_factory=list)

    @property
    def deleted(self) -> bool:
        """Whether any backend held the secret and dropped it."""
        return bool(self.deleted_from)


def _no_writable_hint(name: str) -> str:
    return (
        "Options: run CreatorFlow in a desktop session with an unlocked system keyring; "
        f"set the environment variable {env_var_for(name)} (for a service, in a 0600 "
        f"EnvironmentFile); pass a systemd credential (LoadCredential={name}:/path/to/file); "
        "or opt in to a plain-text 0600 file with "
        "`creatorflow config set secrets.allow_file true`."
    )


class SecretStore:
    """Reads secrets from the first backend that has them and writes to the first writable one."""

    def __init__(self, backends: Sequence[Backend]) -> None:
        self._backends = tuple(backends)

    def _answering(self, name: str) -> Backend | None:
        validate_secret_name(name)
        for backend in self._backends:
            if backend.available() and backend.get(name) is not None:
                return backend
        return None

    def get(self, name: str) -> str | None:
        """The value of ``name`` from the first backend that holds it, or ``None``."""
        validate_secret_name(name)
        for backend in self._backends:
            if backend.available():
                value = backend.get(name)
                if value is not None:
                    return value
        return None

    def require(self, name: str) -> str:
        """The value of ``name``; raises ``SecretMissingError`` telling how to set it."""
        value = self.get(name)
        if value is None:
            what = KNOWN_SECRETS.get(name)
            raise SecretMissingError(
                f"The secret {name} is not set" + (f" ({what.rstrip('.')})." if what else "."),
                hint=(
                    f"Run `creatorflow secrets set {name}`, or set the environment variable "
                    f"{env_var_for(name)}."
                ),
            )
        return value

    def source(self, name: str) -> str | None:
        """The name of the backend that answers for ``name``, or ``None`` if none does."""
        backend = self._answering(name)
        return backend.name if backend is not None else None

    def _writable(self) -> Backend | None:
        for backend in self._backends:
            if backend.writable and backend.available():
                return backend
        return None

    def writable_backend(self) -> str | None:
        """The name of the backend ``set`` would write to, or ``None``."""
        backend = self._writable()
        return backend.name if backend is not None else None

    def require_writable(self, name: str) -> str:
        """The backend ``set(name, …)`` would write to; raises before anything is spent.

        Raises:
            SecretError: no backend can store it, with every option in the hint.
        """
        backend = self._writable()
        if backend is None:
            raise SecretError(
                f"There is nowhere writable to store {name}: no usable system keyring, and the "
                "plain-text secrets file is not enabled.",
                hint=_no_writable_hint(name),
            )
        return backend.name

    def set(self, name: str, value: str) -> str:
        """Store ``value`` (exactly as given) in the first writable backend; returns its name."""
        validate_secret_name(name)
        validate_secret_value(name, value)
        self.require_writable(name)
        backend = self._writable()
        assert backend is not None
        backend.set(name, value)
        return backend.name

    def delete(self, name: str) -> DeleteResult:
        """Delete ``name`` from every writable backend holding it; report where it remains."""
        validate_secret_name(name)
        deleted = [
            backend.name
            for backend in self._backends
            if backend.writable and backend.available() and backend.delete(name)
        ]
        remaining = [
            backend.name
            for backend in self._backends
            if backend.available() and backend.get(name) is not None
        ]
        return DeleteResult(deleted_from=deleted, still_in=remaining)

    def entries(self) -> list[SecretEntry]:
        """Every known secret plus any other name a backend can list; never the values."""
        extra: set[str] = set()
        for backend in self._backends:
            if backend.available():
                extra |= backend.names()
        ordered = list(KNOWN_SECRETS) + sorted(extra - KNOWN_SECRETS.keys())
        result: list[SecretEntry] = []
        for name in ordered:
            source = self.source(name)
            result.append(
                SecretEntry(
                    name=name,
                    source=source,
                    description=KNOWN_SECRETS.get(name, ""),
                    set=source is not None,
                )
            )
        return result

    def backends(self) -> list[BackendInfo]:
        """Each backend in resolution order, with whether it can be used and any warning."""
        return [
            BackendInfo(
                name=backend.name,
                available=backend.available(),
                writable=backend.writable,
                detail=backend.detail(),
            )
            for backend in self._backends
        ]

    def __repr__(self) -> str:
        return f"SecretStore(backends={list(self._backends)!r})"


def build_secret_store(
    paths: Paths, *, allow_file: bool, environ: Mapping[str, str] | None = None
) -> SecretStore:
    """The store CreatorFlow uses: env → systemd credentials → keyring → (opt-in) file."""
    env = os.environ if environ is None else environ
    backends: list[Backend] = [
        EnvBackend(env),
        SystemdCredentialsBackend(env),
        KeyringBackend(),
    ]
    if allow_file:
        backends.append(FileBackend(paths.secrets_file))
    return SecretStore(backends)
