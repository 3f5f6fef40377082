"""Secret names, the secrets CreatorFlow knows about, and the checks every value passes."""

from __future__ import annotations

import re

from creatorflow.errors import SecretError

ENV_PREFIX = "CREATORFLOW_SECRET_"

KNOWN_SECRETS: dict[str, str] = {
    "tiktok_app_secret": "TikTok Shop app secret (signs every API request).",
    "tiktok_access_token": "TikTok Shop access token (renewed automatically).",
    "tiktok_refresh_token": "TikTok Shop refresh token (renews the access token).",
    "shippo_api_key": "Shippo API key (buys labels through Shippo).",
    "easypost_api_key": "EasyPost API key (buys labels through EasyPost).",
    "billing_install_token": "CreatorFlow billing install token (checks the plan).",
}

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def is_valid_secret_name(name: str) -> bool:
    """Whether ``name`` is a well-formed secret name (``[a-z][a-z0-9_]{0,63}``)."""
    return _NAME.fullmatch(name) is not None


def validate_secret_name(name: str) -> str:
    """Return ``name`` if it is well formed, else raise ``SecretError`` with a hint."""
    if is_valid_secret_name(name):
        return name
    # The rejected text is not echoed: people paste a value where the name goes.
    raise SecretError(
        f"That is not a valid secret name ({len(name)} characters).",
        hint=(
            "Secret names use lowercase letters, digits and underscores, start with a letter "
            "and are at most 64 characters long. Known secrets: " + ", ".join(KNOWN_SECRETS) + "."
        ),
    )


def validate_secret_value(name: str, value: str) -> str:
    """Return ``value`` unchanged if it can be stored, else raise ``SecretError``.

    Empty and whitespace-only values are refused; the content is never stripped or echoed.
    """
    if not value.strip():
        raise SecretError(
            f"Refusing to store an empty value for {name}.",
            hint=f"To remove the secret, run `creatorflow secrets delete {name}`.",
        )
    # NUL cannot live in an environment variable or most keyrings.
    if "\x00" in value:
        raise SecretError(f"The value for {name} contains a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise SecretError(f"The value for {name} is not valid Unicode text.") from None
    return value


def env_var_for(name: str) -> str:
    """The environment variable that overrides secret ``name``."""
    return ENV_PREFIX + validate_secret_name(name).upper()
