"""``creatorflow sandbox serve|stats|outage`` and ``init --sandbox``, as separate processes."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.cli.conftest import Invoke

SERVE_ARGS = ("--orders", "12", "--orders-per-minute", "600", "--seed", "9")


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "creatorflow", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _json(*args: str) -> Any:
    done = _run(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _refuses(url: str) -> bool:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


@pytest.fixture
def serve(isolated_home: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``sandbox serve`` in a subprocess (orders arrive ten a second), killed if still alive."""
    log = isolated_home.parent / "serve.err"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "creatorflow", "sandbox", "serve", *SERVE_ARGS],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    sandbox_file = isolated_home / "state" / "sandbox.json"
    try:
        _wait_for(
            lambda: sandbox_file.exists() or process.poll() is not None,
            timeout=30,
            what="sandbox.json",
        )
        assert process.poll() is None, log.read_text(encoding="utf-8")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_serve_init_approve_outage_and_stop(
    serve: subprocess.Popen[bytes], isolated_home: Path
) -> None:
    sandbox_file = isolated_home / "state" / "sandbox.json"
    info = json.loads(sandbox_file.read_text(encoding="utf-8"))
    assert info["pid"] == serve.pid

    first = _json("sandbox", "stats")["orders_created"]
    assert first >= 12
    _wait_for(
        lambda: _json("sandbox", "stats")["orders_created"] > first,
        timeout=20,
        what="new orders",
    )

    init = _run("init", "--sandbox", "--json")
    assert init.returncode == 0, init.stderr
    report = json.loads(init.stdout)
    assert report["secrets_file_enabled"] is True  # no keyring in tests: the headless path
    assert "plain-text 0600 file" in init.stderr
    assert report["orders_synced"] >= 12
    assert report["billing_url"] == info["billing_url"]
    assert report["settings"]["billing.trusted_keys"] == info["billing_trusted_keys"]

    approved = _json("orders", "approve", "--all-ready")
    assert approved["approved"] > 0

    before = _json("sandbox", "stats")["orders_created"]
    down = _run("sandbox", "outage", "3")
    assert down.returncode == 0, down.stderr
    assert all(_refuses(info[key]) for key in ("tiktok_url", "shippo_url", "easypost_url"))
    assert not _refuses(info["control_url"])
    assert not _refuses(info["billing_url"])  # the billing service is not part of the outage
    _wait_for(lambda: not _refuses(info["tiktok_url"]), timeout=30, what="the sandbox back")
    # Same orders, same tokens: an incremental sync just works.
    assert _json("sandbox", "stats")["orders_created"] >= before
    synced = _run("orders", "sync")
    assert synced.returncode == 0, synced.stderr

    serve.send_signal(signal.SIGTERM)
    assert serve.wait(timeout=30) == 0
    assert not sandbox_file.exists()


def _read_login_link(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    for line in process.stderr:
        if "/device?user_code=" in line:
            return line.strip()
    raise AssertionError(f"`billing login` printed no link (exit {process.wait(timeout=10)})")


def test_billing_login_and_upgrade_against_the_served_sandbox(
    serve: subprocess.Popen[bytes], isolated_home: Path
) -> None:
    import httpx

    info = json.loads((isolated_home / "state" / "sandbox.json").read_text(encoding="utf-8"))
    init = _run("init", "--sandbox")
    assert init.returncode == 0, init.stderr
    assert f"Billing   {info['billing_url']}" in init.stdout
    assert "creatorflow billing login" in init.stderr
    login = subprocess.Popen(
        [sys.executable, "-m", "creatorflow", "billing", "login", "--no-browser"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        link = _read_login_link(login)
        assert link.startswith(f"{info['billing_url']}/device?user_code=")
        user_code = link.rsplit("=", 1)[1]
        # The person opens the link and clicks Approve (the sandbox's page is open).
        approved = httpx.post(
            f"{info['billing_url']}/device",
            data={"user_code": user_code, "email": "me@example.com", "action": "approve"},
            timeout=20,
        )
        assert approved.status_code == 200, approved.text
        _out, err = login.communicate(timeout=60)
        assert login.returncode == 0, err
        assert "Signed in" in err
    finally:
        if login.poll() is None:
            login.kill()
            login.wait(timeout=10)
    assert _json("billing", "status")["plan"] == "none"

    upgrade = _run("billing", "upgrade", "growth", "--no-browser")
    assert upgrade.returncode == 0, upgrade.stderr
    checkout = upgrade.stdout.strip()
    assert checkout.startswith(f"{info['stripe_url']}/_sim/checkout/")
    paid = httpx.post(f"{checkout}/pay", timeout=20)  # the Pay button
    assert paid.status_code == 303
    _wait_for(
        lambda: _json("billing", "status")["status"] == "active", timeout=20, what="the webhook"
    )
    status = _json("billing", "status")
    assert (status["plan"], status["order_limit"]) == ("growth", 1000)
    assert _json("sandbox", "stats")["billing"]["subscriptions"] == {"active": 1}


def test_stats_without_a_sandbox_says_how_to_start_one(cli: Invoke) -> None:
    result = cli("sandbox", "stats", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "creatorflow sandbox serve" in result.stderr


def test_init_sandbox_without_a_sandbox_fails_before_touching_secrets(
    cli: Invoke, isolated_home: Path
) -> None:
    result = cli("init", "--sandbox")
    assert result.exit_code == 1
    assert "No sandbox is running" in result.stderr
    assert not (isolated_home / "data" / "secrets.toml").exists()
