"""Use cases for secrets: list names and backends, store one, delete one. Values never leave."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.secrets import BackendInfo, DeleteResult, SecretEntry


def secret_env_var(name: str) -> str:
    """The environment variable that supplies secret ``name`` (``CREATORFLOW_SECRET_…``)."""
    from creatorflow.secrets import env_var_for

    return env_var_for(name)


def list_secrets(services: Services) -> list[SecretEntry]:
    """Known and stored secret names, each with the backend that answers for it."""
    return services.secrets.entries()


def secret_backends(services: Services) -> list[BackendInfo]:
    """Every backend in resolution order, with whether it can be read and written."""
    return services.secrets.backends()


@dataclass(frozen=True)
class StoredSecret:
    """Where ``store_secret`` wrote, and which backend answers for the name now."""

    backend: str
    answered_by: str | None

    @property
    def shadowed(self) -> bool:
        """Whether an earlier backend (env, systemd) still wins over the stored value."""
        return self.answered_by != self.backend


def store_secret(services: Services, name: str, value: str) -> StoredSecret:
    """Store a secret in the first writable backend.

    Raises:
        SecretError: a malformed name, an empty value, or no writable backend (with options).
    """
    backend = services.secrets.set(name, value)
    return StoredSecret(backend, services.secrets.source(name))


def delete_secret(services: Services, name: str) -> DeleteResult:
    """Delete a secret from every writable backend that holds it.

    Raises:
        SecretError: a malformed name, or a backend refused the deletion.
    """
    return services.secrets.delete(name)
