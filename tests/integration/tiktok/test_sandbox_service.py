"""``sandbox serve``'s service and ``init --sandbox``: a running sandbox and a home wired to it."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.errors import SecretError, UsageError
from creatorflow.secrets import SecretStore
from creatorflow.secrets.backends import MemoryBackend
from creatorflow.services.approval import approve_orders
from creatorflow.services.context import Services
from creatorflow.services.sandbox import SandboxNotRunningError, run_sandbox
from creatorflow.services.sandbox_control import sandbox_advance, sandbox_settings, sandbox_stats
from creatorflow.services.setup import init_sandbox


def _services(home: Path, secrets: SecretStore | None = None) -> Services:
    environ = {**os.environ, "CREATORFLOW_HOME": str(home)}
    return Services(paths=resolve_paths(environ), environ=environ, secret_store=secrets)


def test_init_sandbox_wires_a_home_that_can_approve_at_once(tmp_path: Path) -> None:
    services = _services(tmp_path / "home", SecretStore([MemoryBackend()]))
    with run_sandbox(services, orders=30, seed=5, orders_per_minute=0) as running:
        written = json.loads(services.paths.sandbox_file.read_text(encoding="utf-8"))
        assert written["control_url"] == running.info.control_url
        assert written["easypost_url"].endswith("/v2")
        assert written["pid"] == os.getpid()
        report = init_sandbox(services)
        assert report.shops == list(running.info.shop_names)
        assert report.orders_synced == 30
        assert report.skus == report.skus_given_parcels > 0
        assert not report.secrets_file_enabled
        work = _services(tmp_path / "home", services.secret_store)
        assert work.settings.text("tiktok.api_base") == running.info.tiktok_url
        assert work.settings.text("ship_from.postal_code") == "94043"
        assert approve_orders(work, all_ready=True).approved > 0
        work.close()
        again = init_sandbox(services)
        assert again.skus_given_parcels == 0
        assert again.shops == report.shops
        assert sandbox_stats(services)["orders_created"] == 30
    assert not services.paths.sandbox_file.exists()
    services.close()


def test_headless_init_sandbox_keeps_the_fake_keys_in_a_private_file(tmp_path: Path) -> None:
    # tests/conftest.py makes the keyring fail, as on a packing PC without a desktop session.
    services = _services(tmp_path / "home")
    with run_sandbox(services, orders=3, orders_per_minute=0):
        report = init_sandbox(services)
    assert report.secrets_file_enabled
    fresh = _services(tmp_path / "home")
    assert fresh.settings.flag("secrets.allow_file") is True
    assert fresh.secrets.get("shippo_api_key") == "shippo_test_sandbox"
    mode = stat.S_IMODE(fresh.paths.secrets_file.stat().st_mode)
    assert mode == 0o600
    services.close()
    fresh.close()


def test_a_real_key_in_the_secret_store_is_never_overwritten(tmp_path: Path) -> None:
    secrets = SecretStore([MemoryBackend({"shippo_api_key": "shippo_test_my_real_account"})])
    services = _services(tmp_path / "home", secrets)
    with run_sandbox(services, orders=1), pytest.raises(SecretError, match="shippo_api_key"):
        init_sandbox(services)
    assert secrets.get("shippo_api_key") == "shippo_test_my_real_account"
    assert secrets.get("tiktok_access_token") is None
    services.close()


def test_one_sandbox_per_home(tmp_path: Path) -> None:
    services = _services(tmp_path / "home")
    with run_sandbox(services, orders=0) as first:
        with (
            pytest.raises(UsageError, match=f"already runs.*pid {first.info.pid}"),
            run_sandbox(services, orders=0),
        ):
            pass
        written = json.loads(services.paths.sandbox_file.read_text(encoding="utf-8"))
        assert written["control_url"] == first.info.control_url
    assert not services.paths.sandbox_file.exists()


def test_no_sandbox_is_a_clear_error(tmp_path: Path) -> None:
    services = _services(tmp_path / "home")
    with pytest.raises(SandboxNotRunningError) as missing:
        sandbox_stats(services)
    assert "creatorflow sandbox serve" in (missing.value.hint or "")
    services.paths.sandbox_file.parent.mkdir(parents=True)
    with run_sandbox(_services(tmp_path / "other"), orders=0) as running:
        stale = json.loads(running.info.to_json()) | {"pid": 2**22 + 12345}
    services.paths.sandbox_file.write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(SandboxNotRunningError, match="no longer running"):
        sandbox_stats(services)


@pytest.mark.parametrize(
    ("knob", "value"),
    [("orders", -1), ("clock_speed", 0), ("fault_rate", 1.5), ("latency_ms", -5)],
)
def test_knobs_out_of_range_are_usage_errors(tmp_path: Path, knob: str, value: float) -> None:
    services = _services(tmp_path / "home")
    with pytest.raises(UsageError), run_sandbox(services, **{knob: value}):  # type: ignore[arg-type]
        pass
    assert not services.paths.sandbox_file.exists()


def test_the_running_sandbox_takes_new_knobs_and_clock_jumps(tmp_path: Path) -> None:
    services = _services(tmp_path / "home", SecretStore([MemoryBackend()]))
    with run_sandbox(services, orders=2, orders_per_minute=0, clock_speed=1) as running:
        assert sandbox_settings(services, fault_rate=0.2, latency_ms=15) == {
            "fault_rate": 0.2,
            "latency_ms": 15.0,
        }
        assert running.world.fault_rate == 0.2
        assert running.world.shippo.latency == 0.015
        before = running.world.clock.now()
        moved = sandbox_advance(services, 7200)
        assert moved["now"] >= (before + timedelta(hours=2)).isoformat()
        with pytest.raises(UsageError):
            sandbox_settings(services, fault_rate=1.5)
        with pytest.raises(UsageError):
            sandbox_settings(services)
    services.close()
