"""The opt-in plain-text secrets file for machines without a usable keyring.

The file is TOML: one ``name = "value"`` line per secret, values written as TOML basic
strings by the small writer below (``tomllib`` reads them back). It is only ever replaced
whole: the new content goes to a 0600 temporary file in the same folder, is fsynced, then
``os.replace``-d over the old one, so a crash leaves either the old or the new file. Reads
refuse a file that group or others can access, the way ssh refuses a loose private key.
"""

from __future__ import annotations

import builtins
import os
import stat
import tomllib
from pathlib import Path

from creatorflow.errors import SecretError
from creatorflow.fileio import write_atomically
from creatorflow.secrets.backends import Backend
from creatorflow.secrets.names import (
    is_valid_secret_name,
    validate_secret_name,
    validate_secret_value,
)

_POSIX = os.name == "posix"
_HEADER = (
    "# CreatorFlow secrets, stored in PLAIN TEXT because no system keyring is available.\n"
    "# Keep this file private (chmod 600). `creatorflow secrets set/delete` rewrites it.\n"
)
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out: list[str] = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char < " " or char == "\x7f":
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def render_secrets_toml(values: dict[str, str]) -> str:
    """The whole secrets file for ``values`` (names are valid TOML bare keys)."""
    lines = [f"{key} = {toml_string(values[key])}\n" for key in sorted(values)]
    return _HEADER + "".join(lines)


class FileBackend(Backend):
    """Secrets in a 0600 TOML file; only used when the user opts in (``secrets.allow_file``)."""

    writable = True

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        """Where the secrets file lives."""
        return self._path

    @property
    def name(self) -> str:
        """``file (<path>)``."""
        return f"file ({self._path})"

    def detail(self) -> str:
        """The plain-text warning, plus the permission problem if there is one."""
        warning = f"WARNING: secrets are stored in plain text at {self._path}."
        loose = self._loose_mode()
        if loose is not None:
            warning += f" Its mode is {loose:04o}; run `chmod 600 {self._path}`."
        return warning

    def get(self, name: str) -> str | None:
        """The stored value, if any; raises ``SecretError`` if the file is not private."""
        return self._read().get(validate_secret_name(name))

    def set(self, name: str, value: str) -> None:
        """Store ``value`` exactly as given, keeping every other secret in the file."""
        validate_secret_name(name)
        validate_secret_value(name, value)
        values = self._read()
        values[name] = value
        self._write(values)

    def delete(self, name: str) -> bool:
        """Remove ``name`` from the file; ``False`` if it was not there."""
        values = self._read()
        if values.pop(validate_secret_name(name), None) is None:
            return False
        self._write(values)
        return True

    def names(self) -> builtins.set[str]:
        """Every name in the file."""
        return set(self._read())

    def __repr__(self) -> str:
        return f"<FileBackend path={str(self._path)!r}>"

    def _loose_mode(self) -> int | None:
        """The permission bits if group or others have any access, else ``None``."""
        if not _POSIX:
            return None
        try:
            mode = stat.S_IMODE(self._path.stat().st_mode)
        except OSError:
            return None
        return mode if mode & 0o077 else None

    def _refuse_loose(self, mode: int) -> SecretError:
        return SecretError(
            f"The secrets file {self._path} can be read by other users (mode {mode:04o}); "
            "refusing to use it.",
            hint=f"Run `chmod 600 {self._path}`, then consider rotating the secrets in it.",
        )

    def _read(self) -> dict[str, str]:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(self._path, flags)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise SecretError(
                f"Could not open the secrets file {self._path}: {exc.strerror or exc}."
            ) from None
        with os.fdopen(fd, "rb") as handle:
            # fstat on the open file: the mode checked is the mode of what is read.
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise SecretError(f"The secrets file {self._path} is not a regular file.")
            mode = stat.S_IMODE(info.st_mode)
            if _POSIX and mode & 0o077:
                raise self._refuse_loose(mode)
            raw = handle.read()
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            # tomllib reports a line and column, never the offending text.
            where = str(exc) if isinstance(exc, tomllib.TOMLDecodeError) else "not UTF-8"
            raise SecretError(f"The secrets file {self._path} is damaged ({where}).") from None
        values: dict[str, str] = {}
        for key, value in data.items():
            if not is_valid_secret_name(key) or not isinstance(value, str):
                raise SecretError(
                    f"The secrets file {self._path} holds an entry that is not "
                    '`name = "value"` with a valid secret name.'
                )
            values[key] = value
        return values

    def _write(self, values: dict[str, str]) -> None:
        try:
            write_atomically(self._path, render_secrets_toml(values), mode=0o600)
        except OSError as exc:
            raise SecretError(
                f"Could not write the secrets file {self._path}: {exc.strerror or exc}."
            ) from None
