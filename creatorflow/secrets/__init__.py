"""Secrets: the TikTok app secret and tokens, carrier API keys, the billing install token.

They are read, in order, from ``CREATORFLOW_SECRET_<NAME>`` environment variables, systemd
credentials (``$CREDENTIALS_DIRECTORY``), the OS keyring when a recommended backend is active,
and, only when the user opted in, a plain-text 0600 file. Values never reach exception
messages, ``repr`` output or logs. ``keyring`` is imported only when a keyring is used.
"""

from __future__ import annotations

from creatorflow.secrets.backends import (
    Backend,
    EnvBackend,
    MemoryBackend,
    SystemdCredentialsBackend,
)
from creatorflow.secrets.file_backend import FileBackend
from creatorflow.secrets.keyring_backend import KeyringBackend
from creatorflow.secrets.names import (
    ENV_PREFIX,
    KNOWN_SECRETS,
    env_var_for,
    is_valid_secret_name,
    validate_secret_name,
    validate_secret_value,
)
from creatorflow.secrets.store import (
    BackendInfo,
    DeleteResult,
    SecretEntry,
    SecretStore,
    build_secret_store,
)

__all__ = [
    "ENV_PREFIX",
    "KNOWN_SECRETS",
    "Backend",
    "BackendInfo",
    "DeleteResult",
    "EnvBackend",
    "FileBackend",
    "KeyringBackend",
    "MemoryBackend",
    "SecretEntry",
    "SecretStore",
    "SystemdCredentialsBackend",
    "build_secret_store",
    "env_var_for",
    "is_valid_secret_name",
    "validate_secret_name",
    "validate_secret_value",
]
