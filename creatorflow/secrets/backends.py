"""The secret backend interface and the simple backends: environment, systemd, memory.

Every backend answers ``get``/``names`` without ever putting a value in an exception, a
``repr`` or a log line. Read-only backends refuse ``set``/``delete`` with ``SecretError``.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path

from creatorflow.errors import SecretError
from creatorflow.secrets.names import (
    ENV_PREFIX,
    env_var_for,
    is_valid_secret_name,
    validate_secret_name,
    validate_secret_value,
)

CREDENTIALS_ENV = "CREDENTIALS_DIRECTORY"


class Backend(ABC):
    """One place secrets can live. Subclasses set ``writable`` and implement the reads."""

    writable: bool = False

    @property
    @abstractmethod
    def name(self) -> str:
        """What users see: ``env``, ``keyring (<class>)``, ``file (<path>)``…"""

    @abstractmethod
    def get(self, name: str) -> str | None:
        """The value of secret ``name``, or ``None`` when this backend does not hold it."""

    @abstractmethod
    def names(self) -> builtins.set[str]:
        """The secret names this backend can list (a keyring only probes the known ones)."""

    def available(self) -> bool:
        """Whether the backend can be used at all on this machine right now."""
        return True

    def detail(self) -> str:
        """Why the backend is unavailable, or a warning about it; empty when all is well."""
        return ""

    def set(self, name: str, value: str) -> None:
        """Store ``value`` under ``name``; read-only backends raise ``SecretError``."""
        raise SecretError(f"The {self.name} secret source is read-only.")

    def delete(self, name: str) -> bool:
        """Remove ``name``; ``True`` if it was there. Read-only backends raise ``SecretError``."""
        raise SecretError(f"The {self.name} secret source is read-only.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class EnvBackend(Backend):
    """Secrets from ``CREATORFLOW_SECRET_<NAME>`` environment variables (read-only)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    @property
    def name(self) -> str:
        """Always ``env``."""
        return "env"

    def get(self, name: str) -> str | None:
        """The variable's value; an empty or blank variable counts as unset."""
        value = self._environ.get(env_var_for(name))
        return value if value and value.strip() else None

    def names(self) -> builtins.set[str]:
        """Every well-formed name with a non-empty ``CREATORFLOW_SECRET_*`` variable."""
        found: builtins.set[str] = builtins.set()
        for key, value in self._environ.items():
            if not key.startswith(ENV_PREFIX) or not value.strip():
                continue
            candidate = key[len(ENV_PREFIX) :].lower()
            if is_valid_secret_name(candidate) and key == env_var_for(candidate):
                found.add(candidate)
        return found


class SystemdCredentialsBackend(Backend):
    """Secrets passed by systemd as files in ``$CREDENTIALS_DIRECTORY`` (read-only)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        folder = environ.get(CREDENTIALS_ENV, "")
        self._folder = Path(folder) if folder else None

    @property
    def name(self) -> str:
        """Always ``systemd-credentials``."""
        return "systemd-credentials"

    def available(self) -> bool:
        """Only under a systemd unit that loads credentials."""
        return self._folder is not None and self._folder.is_dir()

    def detail(self) -> str:
        """Why there are no credentials to read, if so."""
        if self._folder is None:
            return f"${CREDENTIALS_ENV} is not set (not a systemd unit with credentials)."
        if not self._folder.is_dir():
            return f"${CREDENTIALS_ENV} points to {self._folder}, which is not a folder."
        return ""

    def get(self, name: str) -> str | None:
        """The credential file's text without one trailing newline; empty counts as unset."""
        validate_secret_name(name)
        if not self.available():
            return None
        assert self._folder is not None
        path = self._folder / name
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None
        except OSError as exc:
            raise SecretError(
                f"Could not read the systemd credential {path}: {exc.strerror or exc}."
            ) from None
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretError(f"The systemd credential {path} is not UTF-8 text.") from None
        if value.endswith("\r\n"):
            value = value[:-2]
        elif value.endswith("\n"):
            value = value[:-1]
        return value if value.strip() else None

    def names(self) -> builtins.set[str]:
        """Credential files whose names are well-formed secret names."""
        if not self.available():
            return set()
        assert self._folder is not None
        try:
            entries = list(self._folder.iterdir())
        except OSError:
            return set()
        return {p.name for p in entries if is_valid_secret_name(p.name) and p.is_file()}


class MemoryBackend(Backend):
    """A writable in-process backend for tests and dry runs."""

    writable = True

    def __init__(self, initial: Mapping[str, str] | None = None) -> None:
        self._values: dict[str, str] = {}
        for key, value in (initial or {}).items():
            self.set(key, value)

    @property
    def name(self) -> str:
        """Always ``memory``."""
        return "memory"

    def get(self, name: str) -> str | None:
        """The stored value, if any."""
        return self._values.get(validate_secret_name(name))

    def set(self, name: str, value: str) -> None:
        """Store ``value`` exactly as given."""
        self._values[validate_secret_name(name)] = validate_secret_value(name, value)

    def delete(self, name: str) -> bool:
        """Forget ``name``."""
        return self._values.pop(validate_secret_name(name), None) is not None

    def names(self) -> builtins.set[str]:
        """Every stored name."""
        return set(self._values)
