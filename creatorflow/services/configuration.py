"""Use cases for the configuration: show, get, set and unset keys."""

from __future__ import annotations

import re
from dataclasses import dataclass

from creatorflow.config.keys import Value
from creatorflow.config.settings import Setting, load_settings, lookup_key
from creatorflow.services.context import Services

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.\-]*://[^:/@\s]*):[^@/\s]+@", re.IGNORECASE)


@dataclass(frozen=True)
class SettingView:
    """A setting as people and scripts see it (passwords inside URLs are masked)."""

    key: str
    value: Value
    default: Value
    source: str
    origin: str
    env: str
    description: str


def redact(value: Value) -> Value:
    """Mask a password embedded in a URL (``postgresql://u:secret@h`` → ``u:***@h``)."""
    if isinstance(value, str):
        return _URL_PASSWORD.sub(r"\g<head>:***@", value)
    return value


def _view(setting: Setting) -> SettingView:
    key = setting.key
    return SettingView(
        key=key.name,
        value=redact(setting.value),
        default=key.default,
        source=setting.source,
        origin=setting.origin,
        env=key.env,
        description=key.description,
    )


def show_settings(services: Services, *, changed_only: bool = False) -> list[SettingView]:
    """Every setting with its effective value and where that value came from."""
    return [_view(s) for s in services.settings if not changed_only or s.source != "default"]


def get_setting(services: Services, name: str) -> SettingView:
    """One setting.

    Raises:
        ConfigError: no such key (with the closest names as a hint).
    """
    return _view(services.settings.setting(name))


@dataclass(frozen=True)
class SetResult:
    """What ``set_setting`` stored, and the variable that still overrides it, if any."""

    setting: SettingView
    overridden_by: str | None


def set_setting(services: Services, name: str, raw: str) -> SetResult:
    """Validate and store a value in ``config.toml``.

    Raises:
        ConfigError: unknown key, wrong type, broken or unwritable file; nothing is changed.
    """
    from creatorflow.config.writer import set_value

    stored = set_value(services.paths.config_file, name, raw)
    env = stored.key.env if stored.key.env in services.environ else None
    return SetResult(_view(stored), env)


def unset_setting(services: Services, name: str) -> SettingView:
    """Remove a key from ``config.toml``; returns the value that applies now.

    Raises:
        ConfigError: unknown key, broken or unwritable file.
    """
    from creatorflow.config.writer import unset_value

    key = lookup_key(name)
    unset_value(services.paths.config_file, key.name)
    fresh = load_settings(services.paths.config_file, services.environ)
    return _view(fresh.setting(key.name))
