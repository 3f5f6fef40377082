"""Fixtures for the dashboard tests: a fixed shop copied per test, a fixed clock and zone."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from creatorflow.config.paths import resolve_paths
from creatorflow.services.context import Services
from creatorflow.tui import CreatorflowApp, make_app
from tests.tui.billing import INSTALL_TOKEN, TRUSTED_KEYS, entitlement_token, sign_in
from tests.tui.data import NOW, make_services


@pytest.fixture(autouse=True)
def utc_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local times (shown on screen, and "today's" batch) are UTC on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def colours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Urgency is shown in colour: the snapshots keep it (the root conftest sets NO_COLOR)."""
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text box's cursor stays put, so screenshots do not depend on when they are taken."""
    monkeypatch.setattr("textual.widgets._input.Input._toggle_cursor", lambda self: None)


@pytest.fixture(scope="session")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixed shop, built once per session."""
    home = tmp_path_factory.mktemp("tui-template") / "home"
    services = make_services(home)
    services.close()
    return home


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _copy(template_home: Path, tmp_path: Path, **extra: str) -> Services:
    home = tmp_path / "shop"
    shutil.copytree(template_home, home)
    # The billing service is never the real one: an address that refuses connections.
    environ = {
        "CREATORFLOW_HOME": str(home),
        "CREATORFLOW_BILLING_URL": closed_port_url(),
        "CREATORFLOW_BILLING_TRUSTED_KEYS": TRUSTED_KEYS,
        **extra,
    }
    return Services(paths=resolve_paths(environ), environ=environ)


@pytest.fixture
def services(template_home: Path, tmp_path: Path) -> Iterator[Services]:
    """A private copy of the fixed shop (not signed in to billing)."""
    built = _copy(template_home, tmp_path)
    yield built
    built.close()


@pytest.fixture
def signed_in_services(template_home: Path, tmp_path: Path) -> Iterator[Services]:
    """A private copy of the fixed shop, signed in to billing on the growth plan (active)."""
    built = _copy(template_home, tmp_path, CREATORFLOW_SECRET_BILLING_INSTALL_TOKEN=INSTALL_TOKEN)
    sign_in(built, entitlement_token())
    yield built
    built.close()


def fixed_clock() -> datetime:
    """The tests' "now"."""
    return NOW


@pytest.fixture
def app(services: Services) -> CreatorflowApp:
    """The dashboard over the copy, on the fixed clock, without the daemon poll."""
    return make_app(services, clock=fixed_clock, poll_seconds=None)


@pytest.fixture
def signed_in_app(signed_in_services: Services) -> CreatorflowApp:
    """The dashboard over a signed-in copy, on the fixed clock, without the daemon poll."""
    return make_app(signed_in_services, clock=fixed_clock, poll_seconds=None)


async def settle(pilot: Pilot[None]) -> None:
    """Wait until every worker that reads or changes the store is done and shown.

    An action's worker posts its outcome, which starts a reload worker: so wait in rounds.
    """
    app = pilot.app
    for _ in range(10):
        await pilot.pause()
        busy = [
            w for w in app.workers if w.group in ("load", "action", "poll") and not w.is_finished
        ]
        if not busy:
            await pilot.pause()
            return
        await app.workers.wait_for_complete(busy)
    raise AssertionError("workers kept starting")
