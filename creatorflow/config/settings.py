"""Reading the configuration: defaults, then ``config.toml``, then ``CREATORFLOW_*`` variables.

Every value remembers where it came from, so ``creatorflow config show`` can say it, and every
mistake names the file, line and key, with the closest known key when a name is misspelt.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from creatorflow.config.keys import BY_NAME, KEYS, SECTIONS, Key, Value
from creatorflow.errors import ConfigError

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class Setting:
    """One key's effective value and where it came from."""

    key: Key
    value: Value
    source: str  # "default", "file" or "env"
    origin: str  # "", "path:line" or the variable's name


class Settings:
    """The merged configuration of one run. Immutable; reload to see changes."""

    def __init__(self, values: Mapping[str, Setting], config_file: Path) -> None:
        self._values = dict(values)
        self.config_file = config_file

    def __iter__(self) -> Iterator[Setting]:
        return iter(self._values.values())

    def setting(self, name: str) -> Setting:
        """The full record of one key.

        Raises:
            ConfigError: no such key (the hint names the closest ones).
        """
        return self._values[lookup_key(name).name]

    def get(self, name: str) -> Value:
        """The value of one key."""
        return self.setting(name).value

    def text(self, name: str) -> str:
        """The value of a text or choice key."""
        value = self.get(name)
        if not isinstance(value, str):
            raise TypeError(f"setting {name} is not text")
        return value

    def integer(self, name: str) -> int:
        """The value of a whole-number key."""
        value = self.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"setting {name} is not a whole number")
        return value

    def flag(self, name: str) -> bool:
        """The value of a true/false key."""
        value = self.get(name)
        if not isinstance(value, bool):
            raise TypeError(f"setting {name} is not true/false")
        return value


def lookup_key(name: str) -> Key:
    """Find a key by its dotted name.

    Raises:
        ConfigError: no such key; the hint suggests the closest known names.
    """
    key = BY_NAME.get(name.strip())
    if key is not None:
        return key
    raise ConfigError(f"There is no setting called '{name}'.", hint=_suggest(name))


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, list(BY_NAME), n=3, cutoff=0.6)
    if not close:
        leaf = name.rsplit(".", 1)[-1]
        close = [k.name for k in KEYS if k.leaf == leaf][:3]
    if close:
        return "Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    return "Run `creatorflow config show` to see every setting."


def invalid_value(key: Key, where: str, exc: ValueError) -> ConfigError:
    """The error for a bad value of ``key`` found at ``where`` (a file line, a variable…)."""
    return ConfigError(
        f"{where}: '{key.name}' is wrong: {exc}.",
        hint=f"{key.description} Use {key.type_text()}.",
    )


def load_settings(config_file: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Merge the defaults, ``config_file`` (if it exists) and the environment.

    Raises:
        ConfigError: the file cannot be read or parsed, names an unknown key, or holds a value
            of the wrong type; or an environment variable holds a bad value.
    """
    env = os.environ if environ is None else environ
    values = {key.name: Setting(key, key.default, "default", "") for key in KEYS}
    for key, value, line in _read_file(config_file):
        values[key.name] = Setting(key, value, "file", f"{config_file}:{line}")
    for key in KEYS:
        raw = env.get(key.env)
        if raw is None:
            continue
        try:
            parsed = key.parse(raw)
        except ValueError as exc:
            raise invalid_value(key, f"environment variable {key.env}", exc) from None
        values[key.name] = Setting(key, parsed, "env", key.env)
    return Settings(values, config_file)


def _read_file(path: Path) -> list[tuple[Key, Value, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Cannot read {path}: {exc}.", hint="Check the file's permissions and encoding."
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_POSITION.search(str(exc))
        where = f"{path}:{found.group(1)}" if found else str(path)
        reason = _TOML_POSITION.sub("", str(exc)).strip()
        raise ConfigError(
            f"{where}: this is not valid TOML ({reason}).",
            hint="Fix the line, or move the file away and run `creatorflow init` again.",
        ) from None
    return list(_flatten(path, text, data))


def _flatten(path: Path, text: str, data: Mapping[str, object]) -> Iterator[tuple[Key, Value, int]]:
    for section, table in data.items():
        if not isinstance(table, dict):
            line = locate(text, "", section)
            raise ConfigError(
                f"{path}:{line}: '{section}' must be a [section] table, not a single value.",
                hint=_suggest(section) if section not in SECTIONS else None,
            )
        for leaf, value in table.items():
            name = f"{section}.{leaf}"
            line = locate(text, section, leaf)
            key = BY_NAME.get(name)
            if key is None:
                raise ConfigError(f"{path}:{line}: unknown setting '{name}'.", hint=_suggest(name))
            try:
                checked = key.check(value)
            except ValueError as exc:
                raise invalid_value(key, f"{path}:{line}", exc) from None
            yield key, checked, line


def locate(text: str, section: str, leaf: str) -> int:
    """The 1-based line where ``leaf`` is set inside ``[section]`` (0 when not found)."""
    current = ""
    header = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-]+)\s*\]")
    for number, line in enumerate(text.splitlines(), start=1):
        match = header.match(line)
        if match:
            current = match.group(1)
            if not section and current == leaf:
                return number
            continue
        stripped = line.strip()
        if current == section and re.match(rf"^[\"']?{re.escape(leaf)}[\"']?\s*=", stripped):
            return number
        if not current and re.match(rf"^{re.escape(section)}\.{re.escape(leaf)}\s*=", stripped):
            return number
    return 0
