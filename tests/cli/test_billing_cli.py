"""``creatorflow billing`` before sign-in: every command says so, with the command to run."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Invoke


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("status", "--json"),
        ("status", "--offline"),
        ("usage", "--json"),
        ("upgrade", "growth", "--no-browser"),
        ("portal", "--no-browser"),
        ("logout",),
    ],
)
def test_every_billing_command_says_when_not_signed_in(cli: Invoke, args: tuple[str, ...]) -> None:
    assert cli("init").exit_code == 0
    result = cli("billing", *args)
    assert result.exit_code == 3, result.stderr
    assert result.stdout == ""
    assert "not signed in" in result.stderr
    assert "creatorflow billing login" in result.stderr


def test_login_needs_somewhere_to_keep_the_token_before_anything(cli: Invoke) -> None:
    assert cli("init").exit_code == 0
    result = cli("billing", "login", "--no-browser")
    assert result.exit_code == 2, result.stderr
    assert "nowhere writable" in result.stderr
    assert "billing_install_token" in result.stderr


def test_login_says_when_the_service_cannot_be_reached(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREATORFLOW_SECRETS_ALLOW_FILE", "true")
    monkeypatch.setenv("CREATORFLOW_BILLING_URL", "http://127.0.0.1:9")
    assert cli("init").exit_code == 0
    result = cli("billing", "login", "--no-browser")
    assert result.exit_code == 4, result.stderr
    assert "127.0.0.1" in result.stderr


def test_billing_is_listed_in_the_help(cli: Invoke) -> None:
    result = cli("billing", "--help")
    assert result.exit_code == 0
    for command in ("login", "status", "upgrade", "portal", "usage", "logout"):
        assert command in result.stdout
