"""Use cases for secrets: list names and backends, store one, delete one. Values never leave."""

from __future__ import annotations

from typing import TYPE_CHECKING

from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.secrets import BackendInfo, DeleteResult, SecretEntry


def list_secrets(services: Services) -> list[SecretEntry]:
    """Known and stored secret names, each with the backend that answers for it."""
    return services.secrets.entries()


def secret_backends(services: Services) -> list[BackendInfo]:
    """Every backend in resolution order, with whether it can be read and written."""
    return services.secrets.backends()


def store_secret(services: Services, name: str, value: str) -> str:
    """Store a secret in the first writable backend and return that backend's name.

    Raises:
        SecretError: a malformed name, an empty value, or no writable backend (with options).
    """
    return services.secrets.set(name, value)


def delete_secret(services: Services, name: str) -> DeleteResult:
    """Delete a secret from every writable backend that holds it.

    Raises:
        SecretError: a malformed name, or a backend refused the deletion.
    """
    return services.secrets.delete(name)
