"""Writing ``config.toml``: the commented template of ``init`` and ``config set``/``unset``.

Edits go through tomlkit so the user's comments and layout survive, and every write is atomic
(a temporary file in the same folder, fsynced, then renamed over the old one).
"""

from __future__ import annotations

from pathlib import Path

from creatorflow.config.keys import KEYS, SECTIONS, Value
from creatorflow.config.settings import (
    Setting,
    invalid_value,
    load_settings,
    locate,
    lookup_key,
)
from creatorflow.errors import ConfigError
from creatorflow.fileio import write_atomically

_HEADER = """\
# CreatorFlow configuration.
#
# Every key is optional: a commented line shows the default. Uncomment and edit, or use
#   creatorflow config set KEY VALUE
# Environment variables override this file: tiktok.api_base -> CREATORFLOW_TIKTOK_API_BASE.
# Secrets (API keys, tokens) never belong here: use `creatorflow secrets set NAME`.
"""


def _toml_value(value: Value) -> str:
    import tomlkit

    return tomlkit.item(value).as_string()


def template_text() -> str:
    """The commented ``config.toml`` that ``creatorflow init`` writes."""
    parts = [_HEADER]
    for section in SECTIONS:
        parts.append(f"\n[{section}]\n")
        for key in KEYS:
            if key.section == section:
                parts.append(f"# {key.description}\n# {key.leaf} = {_toml_value(key.default)}\n")
    return "".join(parts)


def set_value(config_file: Path, name: str, raw: str) -> Setting:
    """Validate ``raw`` for key ``name`` and store it in ``config_file``.

    Nothing is written unless the value is valid and the current file is readable.

    Raises:
        ConfigError: unknown key, a value of the wrong type, a broken file, or a failed write.
    """
    key = lookup_key(name)
    try:
        value = key.parse(raw)
    except ValueError as exc:
        raise invalid_value(key, "config set", exc) from None
    import tomlkit

    load_settings(config_file, environ={})  # refuse to edit a file that is already broken
    text = config_file.read_text(encoding="utf-8") if config_file.exists() else template_text()
    doc = tomlkit.parse(text)
    table = doc.get(key.section)
    if table is None:
        table = tomlkit.table()
        doc[key.section] = table
    table[key.leaf] = value
    new_text = tomlkit.dumps(doc)
    _write(config_file, new_text)
    return Setting(key, value, "file", f"{config_file}:{locate(new_text, key.section, key.leaf)}")


def unset_value(config_file: Path, name: str) -> bool:
    """Remove key ``name`` from ``config_file`` so its default applies again.

    Returns whether the file had the key.

    Raises:
        ConfigError: unknown key, a broken file, or a failed write.
    """
    key = lookup_key(name)
    if not config_file.exists():
        return False
    import tomlkit

    load_settings(config_file, environ={})
    doc = tomlkit.parse(config_file.read_text(encoding="utf-8"))
    table = doc.get(key.section)
    if table is None or key.leaf not in table:
        return False
    del table[key.leaf]
    _write(config_file, tomlkit.dumps(doc))
    return True


def _write(path: Path, text: str) -> None:
    try:
        write_atomically(path, text)
    except OSError as exc:
        raise ConfigError(
            f"Cannot write {path}: {exc.strerror or exc}.",
            hint="Check that the folder is writable and the disk is not full.",
        ) from None
