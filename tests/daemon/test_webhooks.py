"""``creatorflow daemon run --webhooks HOST:PORT`` in a subprocess: receives signed TikTok
webhooks next to its polling, refuses bad ones, and says clearly when it cannot listen."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from creatorflow.cli.app import app
from creatorflow.cli.commands.daemon import is_loopback, parse_webhooks_address
from creatorflow.errors import UsageError
from creatorflow.services.daemon_runs import start_job_run
from creatorflow.store.tables import JobRun
from tests.daemon.conftest import Station, wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log(station: Station) -> str:
    path = station.services.paths.log_dir / "daemon.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_the_daemon_receives_webhooks_and_refreshes_their_orders(station: Station) -> None:
    # A run a killed daemon left "running": the next daemon closes it before anything else.
    left_behind = start_job_run(station.services, "buy_labels", station.services.station)
    port = free_port()
    daemon = station.start("daemon", "run", "--webhooks", f"127.0.0.1:{port}")
    base = f"http://127.0.0.1:{port}"
    wait_for(
        lambda: _healthy(base),
        timeout=30,
        what=f"the receiver to listen; daemon said: {station.stderr(daemon)[-2000:]}",
    )
    with station.services.store.read() as session:
        row = session.get(JobRun, left_behind)
        assert row is not None
        assert row.outcome == "interrupted"
    sim = station.tiktok
    shop = sim.shops[0].id
    with sim.lock:
        order_id = next(iter(sim.book.orders))
    body, signature = sim.signed_webhook(1, shop, {"order_id": order_id})

    refused = httpx.post(f"{base}/webhooks/tiktok", content=body, headers={"Authorization": "0"})
    assert refused.status_code == 401
    accepted = httpx.post(
        f"{base}/webhooks/tiktok", content=body, headers={"Authorization": signature}
    )
    assert (accepted.status_code, accepted.content) == (200, b"")
    line = f"webhook type=1 shop={shop} order={order_id} action=order "
    wait_for(lambda: line in _log(station), timeout=30, what=f"{line!r} in the daemon log")
    assert "action=refused reason=bad signature" in _log(station)
    assert "TikTok webhooks: POST" in station.stderr(daemon)
    assert "Warning" not in station.stderr(daemon)  # loopback needs no warning

    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=40) == 0, station.stderr(daemon)[-2000:]
    log = _log(station)
    assert "webhooks stopped" in log
    assert signature not in log
    assert sim.app_secret not in log
    assert not _healthy(base)


def test_an_address_in_use_stops_the_daemon_with_a_hint(station: Station) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = station.run("daemon", "run", "--webhooks", f"127.0.0.1:{port}")
    assert done.returncode == 2, done.stderr
    assert "Webhook receiver not started" in done.stderr
    assert "Another program" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_public_address_is_warned_about(station: Station) -> None:
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the daemon warns, then refuses.
    done = station.run("daemon", "run", "--webhooks", "192.0.2.1:8787")
    assert done.returncode == 2, done.stderr
    assert "Warning: 192.0.2.1 is reachable from other machines" in done.stderr
    assert "HTTPS reverse proxy" in done.stderr
    assert "not an address of this machine" in done.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:8787", ("127.0.0.1", 8787)),
        ("localhost:1", ("localhost", 1)),
        ("[::1]:65535", ("::1", 65535)),
        (" 0.0.0.0:80 ", ("0.0.0.0", 80)),  # noqa: S104 - parsed, never bound
    ],
)
def test_webhook_addresses_are_parsed(value: str, expected: tuple[str, int]) -> None:
    assert parse_webhooks_address(value) == expected


@pytest.mark.parametrize(
    "value", ["8787", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", ":8787", "host:http", "h:-1"]
)
def test_bad_webhook_addresses_are_usage_errors(value: str) -> None:
    with pytest.raises(UsageError, match="HOST:PORT"):
        parse_webhooks_address(value)


def test_a_bad_webhook_address_exits_2_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREATORFLOW_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["daemon", "run", "--webhooks", "127.0.0.1:99999"])
    assert result.exit_code == 2
    assert "port from 1 to 65535" in result.stderr
    assert list(tmp_path.iterdir()) == []  # refused before anything was created


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),  # noqa: S104 - classified, never bound
        ("192.168.1.4", False),
        ("::", False),
        ("example.com", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
