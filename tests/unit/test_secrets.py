"""The secret store: resolution order, every backend, and values never leaking."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail

from creatorflow.config.paths import Paths
from creatorflow.errors import SecretError, SecretMissingError
from creatorflow.secrets import (
    KNOWN_SECRETS,
    EnvBackend,
    FileBackend,
    KeyringBackend,
    MemoryBackend,
    SecretStore,
    SystemdCredentialsBackend,
    build_secret_store,
    env_var_for,
    validate_secret_name,
)

VALUE = "s3cr3t-VALUE-do-not-leak"
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A recommended (priority 1) keyring that lives in a dict."""

    priority: float = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.data[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


class LowPriorityKeyring(MemoryKeyring):
    priority = 0.5


class PlaintextKeyring(MemoryKeyring):
    """Named like keyrings.alt's plaintext backend; must never be used."""


class BrokenKeyring(MemoryKeyring):
    """Echoes what it was given in its errors, like a careless backend might."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"could not store {password!s} for {username}")


def _install(backend: keyring.backend.KeyringBackend) -> None:
    keyring.set_keyring(backend)


@pytest.fixture(autouse=True)
def no_real_keyring() -> Iterator[None]:
    """Every test starts with the fail keyring so nothing reaches this machine's keyring."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def mem_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    _install(backend)
    return backend


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    root = tmp_path / "home"
    return Paths(
        config_dir=root / "config",
        data_dir=root / "data",
        state_dir=root / "state",
        log_dir=root / "logs",
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*KNOWN_SECRETS, "shop_123_access_token", "a", "a" * 64])
def test_well_formed_names_are_accepted(name: str) -> None:
    assert validate_secret_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "TikTok_app_secret", "1token", "_token", "tiktok-app-secret", "a b", "a" * 65]
)
def test_malformed_names_are_refused_with_a_hint(name: str) -> None:
    with pytest.raises(SecretError) as caught:
        validate_secret_name(name)
    assert caught.value.hint is not None
    assert "tiktok_app_secret" in caught.value.hint


def test_a_malformed_name_is_not_echoed_because_it_may_be_a_pasted_value() -> None:
    pasted = "sk-LIVE-9f8e7d6c"
    with pytest.raises(SecretError) as caught:
        MemoryBackend().get(pasted)
    assert pasted not in str(caught.value)
    assert pasted not in (caught.value.hint or "")


def test_env_var_name() -> None:
    assert env_var_for("shippo_api_key") == "CREATORFLOW_SECRET_SHIPPO_API_KEY"


# --- read-only backends --------------------------------------------------------------------


def test_env_backend_reads_lists_and_ignores_blank_variables() -> None:
    backend = EnvBackend(
        {
            "CREATORFLOW_SECRET_SHIPPO_API_KEY": "  key with spaces ",
            "CREATORFLOW_SECRET_EASYPOST_API_KEY": "   ",
            "CREATORFLOW_SECRET_Mixed_Case": "x",
            "CREATORFLOW_SECRET_SHOP_7_TOKEN": "t",
            "OTHER": "y",
        }
    )
    assert backend.get("shippo_api_key") == "  key with spaces "
    assert backend.get("easypost_api_key") is None
    assert backend.names() == {"shippo_api_key", "shop_7_token"}
    assert not backend.writable
    with pytest.raises(SecretError, match="read-only"):
        backend.set("shippo_api_key", "new")


def test_systemd_credentials_are_read_with_one_trailing_newline_stripped(tmp_path: Path) -> None:
    (tmp_path / "tiktok_app_secret").write_text("abc\n\n")
    (tmp_path / "shippo_api_key").write_bytes(b"key\r\n")
    (tmp_path / "empty_one").write_text("\n")
    (tmp_path / "Not-A-Name").write_text("x")
    backend = SystemdCredentialsBackend({"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert backend.available()
    assert backend.get("tiktok_app_secret") == "abc\n"
    assert backend.get("shippo_api_key") == "key"
    assert backend.get("empty_one") is None
    assert backend.get("easypost_api_key") is None
    assert backend.names() == {"tiktok_app_secret", "shippo_api_key", "empty_one"}


def test_systemd_credentials_unavailable_without_the_directory_variable() -> None:
    backend = SystemdCredentialsBackend({})
    assert not backend.available()
    assert "CREDENTIALS_DIRECTORY" in backend.detail()
    assert backend.get("tiktok_app_secret") is None
    assert backend.names() == set()


# --- file backend --------------------------------------------------------------------------


@posix_only
def test_file_backend_creates_a_0600_file_in_a_0700_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "data" / "secrets.toml"
    backend = FileBackend(path)
    backend.set("shippo_api_key", VALUE)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert FileBackend(path).get("shippo_api_key") == VALUE
    assert "plain text" in backend.detail()
    assert str(path) in backend.detail()
    assert backend.name == f"file ({path})"


@posix_only
def test_file_backend_refuses_a_file_others_can_read(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    FileBackend(path).set("shippo_api_key", VALUE)
    path.chmod(0o644)
    backend = FileBackend(path)
    with pytest.raises(SecretError) as caught:
        backend.get("shippo_api_key")
    assert f"chmod 600 {path}" in (caught.value.hint or "")
    assert VALUE not in str(caught.value)
    with pytest.raises(SecretError):
        backend.set("easypost_api_key", "other")
    assert f"chmod 600 {path}" in backend.detail()


@pytest.mark.parametrize(
    "value",
    [
        'quote " and \\ backslash',
        "multi\nline\r\nvalue\twith tab",
        "  leading and trailing spaces  ",
        "unicode ✓ 🚚 and DEL \x7f and bell \x07",
        "'''single''' \"\"\"triple\"\"\"",
    ],
)
def test_file_backend_round_trips_awkward_values(tmp_path: Path, value: str) -> None:
    path = tmp_path / "secrets.toml"
    FileBackend(path).set("tiktok_app_secret", value)
    assert FileBackend(path).get("tiktok_app_secret") == value
    assert tomllib.loads(path.read_text("utf-8")) == {"tiktok_app_secret": value}


def test_file_backend_rewrites_keep_other_secrets_and_leave_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    backend = FileBackend(path)
    backend.set("shippo_api_key", "one")
    backend.set("easypost_api_key", "two")
    backend.set("shippo_api_key", "three")
    assert backend.get("shippo_api_key") == "three"
    assert backend.get("easypost_api_key") == "two"
    assert backend.delete("shippo_api_key") is True
    assert backend.delete("shippo_api_key") is False
    assert backend.names() == {"easypost_api_key"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secrets.toml"]


def test_file_backend_failed_write_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "secrets.toml"
    backend = FileBackend(path)
    backend.set("shippo_api_key", "old")
    before = path.read_bytes()

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(SecretError, match="No space left") as caught:
        backend.set("easypost_api_key", VALUE)
    assert VALUE not in str(caught.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secrets.toml"]


@posix_only
def test_file_backend_reports_a_damaged_file_without_its_content(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text(f"shippo_api_key = {VALUE}\n")
    path.chmod(0o600)
    with pytest.raises(SecretError, match="damaged") as caught:
        FileBackend(path).get("shippo_api_key")
    assert VALUE not in str(caught.value)


def test_missing_file_means_no_secrets(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path / "absent.toml")
    assert backend.get("shippo_api_key") is None
    assert backend.names() == set()
    assert backend.delete("shippo_api_key") is False


# --- keyring backend -----------------------------------------------------------------------


def test_keyring_with_a_recommended_backend_is_available_and_round_trips(
    mem_keyring: MemoryKeyring,
) -> None:
    backend = KeyringBackend()
    assert backend.available()
    assert backend.detail() == ""
    assert backend.name == f"keyring ({MemoryKeyring.__module__}.MemoryKeyring)"
    backend.set("tiktok_access_token", VALUE)
    assert mem_keyring.data == {("creatorflow", "tiktok_access_token"): VALUE}
    assert backend.get("tiktok_access_token") == VALUE
    mem_keyring.data[("creatorflow", "shop_9_token")] = "unlisted"
    assert backend.names() == {"tiktok_access_token"}
    assert backend.delete("tiktok_access_token") is True
    assert backend.delete("tiktok_access_token") is False
    assert mem_keyring.data == {("creatorflow", "shop_9_token"): "unlisted"}


def test_keyring_uses_its_own_service_name(mem_keyring: MemoryKeyring) -> None:
    KeyringBackend(service="creatorflow-test").set("shippo_api_key", "k")
    assert mem_keyring.data == {("creatorflow-test", "shippo_api_key"): "k"}


def test_fail_keyring_is_unavailable() -> None:
    backend = KeyringBackend()
    assert not backend.available()
    assert "no recommended keyring backend" in backend.detail()
    assert backend.get("shippo_api_key") is None
    assert backend.names() == set()
    with pytest.raises(SecretError, match="Cannot store shippo_api_key"):
        backend.set("shippo_api_key", VALUE)


@pytest.mark.parametrize(
    ("fake", "reason"),
    [(LowPriorityKeyring, "priority 0.5"), (PlaintextKeyring, "plain text")],
)
def test_weak_keyring_backends_are_not_used(fake: type[MemoryKeyring], reason: str) -> None:
    _install(fake())
    backend = KeyringBackend()
    assert not backend.available()
    assert reason in backend.detail()
    assert SecretStore([backend]).writable_backend() is None


def test_keyring_set_failure_becomes_a_secret_error_without_the_value() -> None:
    _install(BrokenKeyring())
    with pytest.raises(SecretError) as caught:
        KeyringBackend().set("tiktok_app_secret", VALUE)
    error = caught.value
    assert "PasswordSetError" in str(error)
    assert VALUE not in str(error)
    assert VALUE not in (error.hint or "")
    # The original exception (which echoed the value) must not be shown in a traceback.
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_keyring_read_failure_counts_as_not_set_and_is_reported() -> None:
    _install(BrokenKeyring())
    backend = KeyringBackend()
    store = SecretStore([backend, MemoryBackend({"tiktok_app_secret": "fallback"})])
    assert store.get("tiktok_app_secret") == "fallback"
    assert "KeyringLocked" in backend.detail()


# --- the store -----------------------------------------------------------------------------


def _layered(
    tmp_path: Path, *, env: str | None, systemd: str | None, file: str | None
) -> SecretStore:
    environ: dict[str, str] = {}
    if env is not None:
        environ["CREATORFLOW_SECRET_SHIPPO_API_KEY"] = env
    creds = tmp_path / "creds"
    creds.mkdir()
    if systemd is not None:
        (creds / "shippo_api_key").write_text(systemd + "\n")
        environ["CREDENTIALS_DIRECTORY"] = str(creds)
    file_backend = FileBackend(tmp_path / "secrets.toml")
    if file is not None:
        file_backend.set("shippo_api_key", file)
    return SecretStore(
        [
            EnvBackend(environ),
            SystemdCredentialsBackend(environ),
            KeyringBackend(),
            file_backend,
            MemoryBackend({"shippo_api_key": "from-memory"}),
        ]
    )


@pytest.mark.parametrize(
    ("env", "systemd", "file", "value", "source"),
    [
        ("from-env", "from-systemd", "from-file", "from-env", "env"),
        (None, "from-systemd", "from-file", "from-systemd", "systemd-credentials"),
        (None, None, "from-file", "from-file", "file"),
        (None, None, None, "from-memory", "memory"),
    ],
)
def test_resolution_order(
    tmp_path: Path,
    env: str | None,
    systemd: str | None,
    file: str | None,
    value: str,
    source: str,
) -> None:
    store = _layered(tmp_path, env=env, systemd=systemd, file=file)
    assert store.get("shippo_api_key") == value
    assert (store.source("shippo_api_key") or "").split(" ")[0] == source


def test_keyring_sits_between_systemd_and_file(tmp_path: Path, mem_keyring: MemoryKeyring) -> None:
    mem_keyring.data[("creatorflow", "shippo_api_key")] = "from-keyring"
    store = _layered(tmp_path, env=None, systemd=None, file="from-file")
    assert store.get("shippo_api_key") == "from-keyring"
    assert store.source("shippo_api_key") == KeyringBackend().name


def test_set_writes_to_the_first_writable_available_backend(tmp_path: Path) -> None:
    memory = MemoryBackend()
    store = SecretStore([EnvBackend({}), KeyringBackend(), memory])
    assert store.writable_backend() == "memory"
    assert store.set("billing_install_token", "  exact\ncontent ") == "memory"
    assert memory.get("billing_install_token") == "  exact\ncontent "


def test_set_prefers_a_usable_keyring_over_the_file(
    paths: Paths, mem_keyring: MemoryKeyring
) -> None:
    store = build_secret_store(paths, allow_file=True, environ={})
    assert store.set("shippo_api_key", "k").startswith("keyring (")
    assert not paths.secrets_file.exists()


@pytest.mark.parametrize("value", ["", "   ", "\n", "\t \n"])
def test_empty_values_are_refused(value: str) -> None:
    memory = MemoryBackend()
    with pytest.raises(SecretError, match="empty"):
        SecretStore([memory]).set("shippo_api_key", value)
    assert memory.names() == set()


def test_bad_names_are_refused_by_the_store() -> None:
    store = SecretStore([MemoryBackend()])
    with pytest.raises(SecretError):
        store.set("Shippo-Key", "v")
    with pytest.raises(SecretError):
        store.get("../etc/passwd")


def test_no_writable_backend_explains_every_option(paths: Paths) -> None:
    store = build_secret_store(paths, allow_file=False, environ={})
    assert store.writable_backend() is None
    with pytest.raises(SecretError) as caught:
        store.set("tiktok_app_secret", VALUE)
    hint = caught.value.hint or ""
    assert "keyring" in hint
    assert "CREATORFLOW_SECRET_TIKTOK_APP_SECRET" in hint
    assert "LoadCredential=tiktok_app_secret" in hint
    assert "creatorflow config set secrets.allow_file true" in hint
    assert VALUE not in str(caught.value) + hint


def test_opting_in_to_the_file_store(paths: Paths) -> None:
    store = build_secret_store(paths, allow_file=True, environ={})
    assert store.set("tiktok_app_secret", VALUE) == f"file ({paths.secrets_file})"
    assert store.get("tiktok_app_secret") == VALUE
    assert build_secret_store(paths, allow_file=False, environ={}).get("tiktok_app_secret") is None


def test_require_names_the_command_and_the_variable() -> None:
    store = SecretStore([EnvBackend({}), MemoryBackend()])
    with pytest.raises(SecretMissingError) as caught:
        store.require("shippo_api_key")
    assert "creatorflow secrets set shippo_api_key" in (caught.value.hint or "")
    assert "CREATORFLOW_SECRET_SHIPPO_API_KEY" in (caught.value.hint or "")
    assert SecretStore([MemoryBackend({"shippo_api_key": "k"})]).require("shippo_api_key") == "k"


def test_delete_removes_from_every_writable_backend_and_reports_env(tmp_path: Path) -> None:
    memory = MemoryBackend({"shippo_api_key": "m"})
    file_backend = FileBackend(tmp_path / "secrets.toml")
    file_backend.set("shippo_api_key", "f")
    env = EnvBackend({"CREATORFLOW_SECRET_SHIPPO_API_KEY": "e"})
    result = SecretStore([env, file_backend, memory]).delete("shippo_api_key")
    assert result.deleted_from == [file_backend.name, "memory"]
    assert result.still_in == ["env"]
    assert result.deleted
    assert memory.get("shippo_api_key") is None
    assert file_backend.get("shippo_api_key") is None


def test_delete_of_an_unset_secret_reports_nothing() -> None:
    result = SecretStore([MemoryBackend()]).delete("shippo_api_key")
    assert (result.deleted_from, result.still_in, result.deleted) == ([], [], False)


def test_entries_list_known_and_extra_names_with_sources(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "shop_1_access_token").write_text("sys")
    environ = {"CREDENTIALS_DIRECTORY": str(creds), "CREATORFLOW_SECRET_SHIPPO_API_KEY": "e"}
    store = SecretStore(
        [
            EnvBackend(environ),
            SystemdCredentialsBackend(environ),
            KeyringBackend(),
            MemoryBackend({"tiktok_app_secret": VALUE, "zz_extra": "z"}),
        ]
    )
    entries = {entry.name: entry for entry in store.entries()}
    assert list(entries)[: len(KNOWN_SECRETS)] == list(KNOWN_SECRETS)
    assert list(entries)[len(KNOWN_SECRETS) :] == ["shop_1_access_token", "zz_extra"]
    assert entries["shippo_api_key"].source == "env"
    assert entries["tiktok_app_secret"].source == "memory"
    assert entries["tiktok_app_secret"].description == KNOWN_SECRETS["tiktok_app_secret"]
    assert entries["shop_1_access_token"].source == "systemd-credentials"
    assert entries["shop_1_access_token"].description == ""
    assert not entries["easypost_api_key"].set
    assert entries["easypost_api_key"].source is None


def test_backends_report_availability_and_warnings(paths: Paths) -> None:
    infos = build_secret_store(paths, allow_file=True, environ={}).backends()
    assert [info.name.split(" ")[0] for info in infos] == [
        "env",
        "systemd-credentials",
        "keyring",
        "file",
    ]
    by_kind = {info.name.split(" ")[0]: info for info in infos}
    assert by_kind["env"].available
    assert not by_kind["env"].writable
    assert not by_kind["systemd-credentials"].available
    assert not by_kind["keyring"].available
    assert by_kind["keyring"].writable
    assert by_kind["file"].available
    assert by_kind["file"].writable
    assert "plain text" in by_kind["file"].detail
    assert by_kind["file"].name == f"file ({paths.secrets_file})"


def test_values_never_appear_in_reprs_errors_or_entries(
    tmp_path: Path, mem_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "secrets.toml"
    file_backend = FileBackend(path)
    env = EnvBackend({"CREATORFLOW_SECRET_SHIPPO_API_KEY": VALUE})
    memory = MemoryBackend({"easypost_api_key": VALUE})
    store = SecretStore([env, KeyringBackend(), file_backend, memory])
    store.set("tiktok_app_secret", VALUE)
    file_backend.set("billing_install_token", VALUE)
    texts = [repr(store), repr(store.entries()), repr(store.backends())]
    texts += [repr(b) for b in (env, KeyringBackend(), file_backend, memory)]
    errors: list[SecretError] = []
    for call in (
        lambda: store.set("tiktok_access_token", " "),
        lambda: SecretStore([]).set("tiktok_access_token", VALUE),
        lambda: env.set("shippo_api_key", VALUE),
        lambda: store.require("tiktok_refresh_token"),
    ):
        with pytest.raises(SecretError) as caught:
            call()
        errors.append(caught.value)
    if os.name == "posix":
        path.chmod(0o640)
        with pytest.raises(SecretError) as caught:
            store.entries()
        errors.append(caught.value)
    texts += [f"{error} {error.hint} {error!r}" for error in errors]
    for text in texts:
        assert VALUE not in text


# --- build and import cost -----------------------------------------------------------------


def test_build_secret_store_order_and_opt_in(paths: Paths) -> None:
    without = build_secret_store(paths, allow_file=False, environ={})
    with_file = build_secret_store(paths, allow_file=True, environ={})
    assert [b.name.split(" ")[0] for b in without.backends()] == [
        "env",
        "systemd-credentials",
        "keyring",
    ]
    assert with_file.backends()[-1].name == f"file ({paths.secrets_file})"


@pytest.mark.parametrize(
    "code",
    [
        "import creatorflow.secrets, sys; print('keyring' in sys.modules)",
        # Resolving an env secret answers before the keyring is ever consulted.
        "import sys, creatorflow.secrets as s\n"
        "from creatorflow.config.paths import resolve_paths\n"
        "paths = resolve_paths({'CREATORFLOW_HOME': '/nonexistent/creatorflow'})\n"
        "env = {'CREATORFLOW_SECRET_SHIPPO_API_KEY': 'k'}\n"
        "store = s.build_secret_store(paths, allow_file=False, environ=env)\n"
        "assert store.get('shippo_api_key') == 'k'\n"
        "print('keyring' in sys.modules)",
    ],
)
def test_importing_secrets_does_not_import_keyring(code: str) -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("chained", "usable"),
    [([], False), ([MemoryKeyring()], True), ([MemoryKeyring(), PlaintextKeyring()], False)],
)
def test_chainer_is_used_only_with_real_backends_behind_it(
    monkeypatch: pytest.MonkeyPatch, chained: list[MemoryKeyring], usable: bool
) -> None:
    from keyring.backends.chainer import ChainerBackend

    monkeypatch.setattr(ChainerBackend, "backends", chained)
    _install(ChainerBackend())  # type: ignore[no-untyped-call]
    assert KeyringBackend().available() is usable
