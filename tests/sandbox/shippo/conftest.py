"""A served Shippo simulator and the official ``shippo`` SDK pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import requests
import shippo
from shippo.models import components

from creatorflow.http_server import RunningServer, serve
from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.shippo import ShippoSimulator

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
KEY = "shippo_test_sandbox"


class FakeWall:
    """The rate limiter's clock, moved by tests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Env:
    """A simulator, its server, an SDK client and the raw session under it."""

    sim: ShippoSimulator
    server: RunningServer
    sdk: shippo.Shippo
    http: requests.Session
    wall: FakeWall

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def raw(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """A request with the right token, bypassing the SDK."""
        headers = {"Authorization": f"ShippoToken {KEY}"}
        return self.http.request(
            method, self.base_url + path, headers=headers, timeout=10, **kwargs
        )


def sdk_for(base_url: str, session: requests.Session, key: str = KEY) -> shippo.Shippo:
    """The official SDK, as CreatorFlow constructs it."""
    return shippo.Shippo(api_key_header=key, server_url=base_url, client=session)


def make_env(**kwargs: object) -> Iterator[Env]:
    wall = FakeWall()
    sim = ShippoSimulator(7, clock=SimClock(START, speed=0), wall=wall, **kwargs)
    with serve(sim.app) as server, requests.Session() as http:
        yield Env(sim, server, sdk_for(server.base_url, http), http, wall)


@pytest.fixture
def env() -> Iterator[Env]:
    yield from make_env()


def address(**overrides: object) -> components.AddressCreateRequest:
    """A complete US address request."""
    fields: dict[str, object] = {
        "name": "Shawn Ippotle",
        "street1": "215 Clayton St.",
        "city": "San Francisco",
        "state": "CA",
        "zip": "94117",
        "country": "US",
    }
    fields.update(overrides)
    return components.AddressCreateRequest(**fields)


def parcel(weight: str = "12", unit: str = "oz") -> components.ParcelCreateRequest:
    """An 8x6x2 in parcel."""
    return components.ParcelCreateRequest(
        mass_unit=components.WeightUnitEnum(unit),
        weight=weight,
        distance_unit=components.DistanceUnitEnum.IN,
        length="8",
        width="6",
        height="2",
    )


def buyer() -> components.AddressCreateRequest:
    """A Chicago address."""
    return address(
        name="Mr Hippo", street1="965 Mission St", zip="60611", city="Chicago", state="IL"
    )


def shipment(
    sdk: shippo.Shippo, *, to: components.AddressCreateRequest | None = None, weight: str = "12"
) -> components.Shipment:
    """A rated shipment (``async: false``)."""
    request = components.ShipmentCreateRequest(
        address_from=address(),
        address_to=to or buyer(),
        parcels=[parcel(weight)],
        metadata="order:1001",
        async_=False,
    )
    return sdk.shipments.create(request)


def buy(
    sdk: shippo.Shippo, rate_id: str, metadata: str = "order:1001", file_type: str = "PDF_4x6"
) -> components.Transaction:
    """``POST /transactions`` as the SDK sends it by default (``async: true``)."""
    request = components.TransactionCreateRequest(
        rate=rate_id,
        label_file_type=components.LabelFileTypeEnum(file_type),
        metadata=metadata,
    )
    return sdk.transactions.create(request)
