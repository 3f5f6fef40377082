"""An EasyPost simulator on loopback, the official SDK pointed at it, and the recordings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import easypost
import httpx
import pytest

from creatorflow.http_server import RunningServer, serve
from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.easypost import EasyPostSimulator

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
KEY = "EZTK_test_key"
CASSETTES = Path(__file__).parents[2] / "fixtures" / "easypost_cassettes"
FROM = {
    "name": "Jack Sparrow",
    "street1": "388 Townsend St",
    "street2": "Apt 20",
    "city": "San Francisco",
    "state": "CA",
    "zip": "94107",
    "country": "US",
    "email": "test@example.com",
    "phone": "5555555555",
}
TO = {
    "name": "Elizabeth Swan",
    "street1": "179 N Harbor Dr",
    "city": "Redondo Beach",
    "state": "CA",
    "zip": "90277",
    "country": "US",
    "email": "test@example.com",
    "phone": "5555555555",
}
PARCEL = {"length": 10, "width": 8, "height": 4, "weight": 15.4}


def cassette(name: str) -> list[dict[str, Any]]:
    """The interactions of one recording (converted from EasyPost's VCR YAML to JSON)."""
    data = json.loads((CASSETTES / f"{name}.json").read_text(encoding="utf-8"))
    interactions: list[dict[str, Any]] = data["interactions"]
    return interactions


def shipment_params(**extra: Any) -> dict[str, Any]:
    """Create-shipment parameters like the recorded ones."""
    return {"from_address": FROM, "to_address": TO, "parcel": PARCEL} | extra


@pytest.fixture
def ep_sim() -> EasyPostSimulator:
    return EasyPostSimulator(seed=3, api_key=KEY, clock=SimClock(START, speed=0))


@pytest.fixture
def ep_server(ep_sim: EasyPostSimulator) -> Iterator[RunningServer]:
    with serve(ep_sim.app) as running:
        yield running


@pytest.fixture
def client(ep_server: RunningServer) -> easypost.EasyPostClient:
    """The official SDK, as CreatorFlow builds it (``/v2`` kept in ``api_base``)."""
    return easypost.EasyPostClient(KEY, api_base=f"{ep_server.base_url}/v2", timeout=5)


@pytest.fixture
def raw(ep_server: RunningServer) -> Iterator[httpx.Client]:
    """Plain HTTP with the SDK's Bearer header, to see the JSON exactly as sent."""
    with httpx.Client(
        base_url=f"{ep_server.base_url}/v2",
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=5,
    ) as http:
        yield http
