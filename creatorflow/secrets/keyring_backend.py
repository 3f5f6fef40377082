"""The OS keyring backend, used only when keyring picked a real, recommended store.

``keyring`` is imported inside the methods: importing it costs start-up time and probes
D-Bus, and ``creatorflow --help`` must do neither. A backend counts as usable the way poetry
decides it: priority of at least 1, and not the fail/null backend, not a plaintext backend,
not a chainer with nothing real behind it. ``keyrings.alt`` and ``keyrings.cryptfile`` are
refused too: they store plain text or ask for a master password, which hangs a daemon.
"""

from __future__ import annotations

import builtins
import logging
from typing import Any

from creatorflow.errors import SecretError
from creatorflow.secrets.backends import Backend
from creatorflow.secrets.names import (
    KNOWN_SECRETS,
    validate_secret_name,
    validate_secret_value,
)

log = logging.getLogger(__name__)

SERVICE = "creatorflow"
_REFUSED_MODULES = ("keyrings.alt", "keyrings.cryptfile")
_EMPTY_MODULES = ("keyring.backends.fail.", "keyring.backends.null.")


def _class_path(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _refusal(backend: Any) -> str:
    """Why keyring backend ``backend`` must not hold our secrets; empty if it may."""
    from keyring.backends.chainer import ChainerBackend

    label = _class_path(backend)
    display = str(getattr(backend, "name", "")).lower()
    if display.split(" ")[0] in ("fail", "null") or label.startswith(_EMPTY_MODULES):
        return "no recommended keyring backend is active (no Secret Service or Keychain)."
    if "plaintext" in label.lower() or "plaintext" in display:
        return f"the keyring backend {label} stores secrets in plain text."
    if label.startswith(_REFUSED_MODULES):
        return (
            f"the keyring backend {label} is file-based (plain text or a master-password prompt)."
        )
    if isinstance(backend, ChainerBackend):
        chained = list(ChainerBackend.backends)
        if not chained:
            return "the keyring chainer has no real backend behind it."
        for inner in chained:
            reason = _refusal(inner)
            if reason:
                return f"the keyring chainer includes a refused backend: {reason}"
        return ""
    try:
        priority = float(backend.priority)
    except Exception as exc:  # keyring signals "not viable" by raising from priority
        return f"the keyring backend {label} is not usable here: {exc}"
    if priority < 1:
        return f"the keyring backend {label} has priority {priority:g}, below the recommended 1."
    return ""


class KeyringBackend(Backend):
    """Secrets in the OS keyring (Secret Service, macOS Keychain, Windows Credential Manager)."""

    writable = True

    def __init__(self, service: str = SERVICE) -> None:
        self._service = service
        self._last_error = ""

    def _active(self) -> tuple[Any, str]:
        """The active keyring backend and why it is refused ("" when usable)."""
        try:
            import keyring
        except ImportError:
            return None, "the keyring package is not installed."
        try:
            backend = keyring.get_keyring()
            return backend, _refusal(backend)
        except Exception as exc:  # a broken keyring setup must not break CreatorFlow
            return None, f"the keyring could not be initialised ({type(exc).__name__}: {exc})."

    @property
    def name(self) -> str:
        """``keyring (<active keyring backend class>)``."""
        backend, _ = self._active()
        return f"keyring ({_class_path(backend) if backend is not None else 'none'})"

    def available(self) -> bool:
        """Whether a recommended keyring backend is active."""
        backend, reason = self._active()
        return backend is not None and not reason

    def detail(self) -> str:
        """Why the keyring is not used, or the last read error."""
        _, reason = self._active()
        if reason:
            return "Not used: " + reason
        if self._last_error:
            return f"Last read failed: {self._last_error}"
        return ""

    def _usable(self) -> Any:
        backend, reason = self._active()
        return None if reason else backend

    def get(self, name: str) -> str | None:
        """The stored value; keyring errors count as "not here" and are kept for ``detail``."""
        validate_secret_name(name)
        backend = self._usable()
        if backend is None:
            return None
        try:
            value = backend.get_password(self._service, name)
        except Exception as exc:  # locked, D-Bus gone, backend bug: all mean "cannot read"
            self._last_error = f"{type(exc).__name__}: {exc}"
            log.warning("Reading %s from the keyring failed: %s", name, self._last_error)
            return None
        return value if isinstance(value, str) and value else None

    def set(self, name: str, value: str) -> None:
        """Store ``value`` in the keyring; any keyring failure becomes ``SecretError``."""
        validate_secret_name(name)
        validate_secret_value(name, value)
        backend, reason = self._active()
        if reason:
            raise SecretError(f"Cannot store {name} in the keyring: {reason}")
        try:
            backend.set_password(self._service, name, value)
        except Exception as exc:
            # Only the type: a backend may echo what it was given. `from None` keeps the
            # original (and its arguments) out of tracebacks.
            raise SecretError(
                f"The keyring ({_class_path(backend)}) refused to store {name} "
                f"({type(exc).__name__}).",
                hint="Unlock the keyring (log in to the desktop session) and try again.",
            ) from None

    def delete(self, name: str) -> bool:
        """Remove ``name`` from the keyring; ``False`` if it was not there."""
        validate_secret_name(name)
        backend, reason = self._active()
        if reason:
            raise SecretError(f"Cannot delete {name} from the keyring: {reason}")
        if self.get(name) is None:
            return False
        try:
            backend.delete_password(self._service, name)
        except Exception as exc:  # no value was handed over, so the message is safe
            raise SecretError(
                f"The keyring ({_class_path(backend)}) could not delete {name} "
                f"({type(exc).__name__}: {exc})."
            ) from None
        return True

    def names(self) -> builtins.set[str]:
        """The known secret names the keyring holds (a keyring cannot list entries)."""
        if self._usable() is None:
            return set()
        return {name for name in KNOWN_SECRETS if self.get(name) is not None}

    def __repr__(self) -> str:
        # No keyring import just to print ourselves.
        return f"<KeyringBackend service={self._service!r}>"
