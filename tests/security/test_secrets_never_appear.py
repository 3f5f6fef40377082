"""Secrets never appear in the store, the config, the logs, the label files or any output.

Two real runs, in subprocesses as a user starts them:

- ``creatorflow demo --json``: the demo keeps its sandbox keys in memory; the scan covers its
  stdout and stderr and every file of its home (config, the database file's raw bytes,
  labels, merged PDFs, inflated PDF streams included).
- ``sandbox serve`` + ``init --sandbox`` + ``daemon run`` until labels are bought, then
  SIGTERM: the scan covers the daemon's log and stderr, the sandbox's stderr, the output of
  the commands that show settings and state, and every file of the home except the two
  meant to hold secrets — the 0600 secrets file and ``sandbox.json`` — which are checked to
  be 0600 instead (and, as a control, to really contain the tokens the scan looks for).

Secret variables (``CREATORFLOW_SECRET_*``) carry canary values that must not surface either:
all of them for the demo (which ignores them), the billing install token for the daemon (the
others would replace the sandbox's working keys).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.secrets import KNOWN_SECRETS
from tests.daemon.harness import sandbox_install, wait_for
from tests.security.secret_scan import SANDBOX_SECRETS, files_under, leaks

CANARIES = {
    f"CREATORFLOW_SECRET_{name.upper()}": f"canary-{name.replace('_', '-')}-5f0c9e1d"
    for name in KNOWN_SECRETS
}
posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_scan_finds_what_it_looks_for() -> None:
    token = "TTP_" + "a1B2-_" * 11
    pdf = (
        b"%PDF-1.4\n1 0 obj<<>>stream\n"
        + zlib.compress(b"BT (k=EZTK_sandbox) Tj ET")
        + (b"\nendstream\nendobj\n")
    )
    found = leaks(
        [("log", f"refresh {token}".encode()), ("pdf", pdf), ("clean", b"ROW_" + b"x" * 32)],
        SANDBOX_SECRETS,
    )
    assert ("log", "token TTP_a1B2…") in found
    assert ("pdf", "secret EZTK_s…") in found
    assert all(name != "clean" for name, _ in found)  # a shop cipher is no secret


def test_the_demo_leaves_no_secret_anywhere(tmp_path: Path) -> None:
    home = tmp_path / "demo-home"
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CREATORFLOW_")},
        "CREATORFLOW_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        **CANARIES,
    }
    done = subprocess.run(
        [sys.executable, "-m", "creatorflow", "demo", "--json", "--orders", "8"],
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    summary = json.loads(done.stdout)
    assert summary["labelled"] > 0  # labels were bought: the keys were really used
    written = dict(files_under(home))
    assert {"config/config.toml", "data/creatorflow.db"} <= set(written), sorted(written)
    assert any(name.startswith("data/labels/") for name in written)
    sources = [("stdout", done.stdout), ("stderr", done.stderr), *written.items()]
    assert leaks(sources, [*SANDBOX_SECRETS, *CANARIES.values()]) == []
    if os.name == "posix":
        for name in written:
            assert _mode(home / name) == 0o600, name


@posix_only
def test_a_daemon_run_leaves_no_secret_in_its_log_output_or_store(tmp_path: Path) -> None:
    with sandbox_install(tmp_path, orders=6) as install:
        # Only the secret the sandbox does not use gets a canary: the others would replace
        # the sandbox's real keys and tokens (the variable wins over the secrets file).
        canary = CANARIES["CREATORFLOW_SECRET_BILLING_INSTALL_TOKEN"]
        install.environ["CREATORFLOW_SECRET_BILLING_INSTALL_TOKEN"] = canary
        paths = resolve_paths(install.environ)
        secret_files = [paths.secrets_file, paths.sandbox_file]
        for path in secret_files:
            assert _mode(path) == 0o600, path
        # A control: the tokens the scan looks for are really there, in the secrets file.
        assert leaks([("secrets", paths.secrets_file.read_bytes())], SANDBOX_SECRETS)

        daemon = install.start_daemon()
        wait_for(
            lambda: install.stats()["labels_bought"]["total"] > 0,
            timeout=60,
            what=install.daemon_said,
        )
        shown = [
            install.run(*args)
            for args in (
                ("config", "show", "--json"),
                ("secrets", "list", "--json"),
                ("doctor", "--json"),
                ("daemon", "status", "--json"),
                ("shops", "list", "--json"),
                ("labels", "list", "--json"),
                ("sandbox", "stats", "--json"),
                ("daemon", "logs", "--lines", "200"),
                ("orders", "sync", "--json"),
            )
        ]
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=40) == 0, install.daemon_said()
        log = paths.log_dir / "daemon.log"
        assert "daemon stopped" in log.read_text(encoding="utf-8")
        outputs = [
            (f"{' '.join(done.args[3:])} {stream}", text.encode())
            for done in shown
            for stream, text in (("stdout", done.stdout), ("stderr", done.stderr))
        ]
        sources = [*outputs, *files_under(tmp_path, skip=secret_files)]
        assert any(name.endswith("daemon.log") for name, _ in sources)
        assert leaks(sources, [*SANDBOX_SECRETS, canary]) == []
        for name in ("creatorflow.db", "creatorflow.db-wal", "creatorflow.db-shm"):
            path = paths.data_dir / name
            if path.exists():
                assert _mode(path) == 0o600, path
