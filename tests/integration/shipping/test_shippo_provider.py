"""ShippoProvider against the Shippo simulator over loopback, through the official SDK."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from creatorflow.errors import AuthError, RateLimitedError
from creatorflow.http_server import RunningServer, serve
from creatorflow.integrations.http import NetworkError, TransientHTTPError
from creatorflow.integrations.shipping.base import (
    Address,
    Label,
    LabelFormat,
    LabelProvider,
    LabelRejected,
    Parcel,
    PurchaseOutcomeUnknown,
    Rate,
    TrackingStatus,
    VoidState,
)
from creatorflow.integrations.shipping.shippo import ShippoProvider
from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.shippo import ShippoSimulator

KEY = "shippo_test_sandbox"
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SHOP = Address(
    name="Hippo Goods",
    street1="215 Clayton St.",
    city="San Francisco",
    state="CA",
    postal_code="94117",
    country="US",
    phone="+1 555 341 9393",
    email="shop@example.com",
)
BUYER = Address(
    name="Mr Hippo",
    street1="965 Mission St",
    city="Chicago",
    state="IL",
    postal_code="60611",
    country="US",
    residential=True,
)
BOX = Parcel(weight_oz=Decimal(12), length_in=Decimal(8), width_in=Decimal(6), height_in=Decimal(2))


@dataclass
class Sleeps:
    """An injected sleep that records and never waits."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@dataclass
class World:
    sim: ShippoSimulator
    server: RunningServer
    provider: ShippoProvider
    sleeps: Sleeps

    def provider_with(self, **kwargs: object) -> ShippoProvider:
        options: dict[str, object] = {"api_base": self.server.base_url, "sleep": self.sleeps}
        options.update(kwargs)
        return ShippoProvider(str(options.pop("api_key", KEY)), **options)  # type: ignore[arg-type]


def make_world(**sim_options: object) -> Iterator[World]:
    sim = ShippoSimulator(3, clock=SimClock(START, speed=0), **sim_options)  # type: ignore[arg-type]
    sleeps = Sleeps()
    with serve(sim.app) as server:
        provider = ShippoProvider(KEY, api_base=server.base_url, sleep=sleeps, timeout=5.0)
        try:
            yield World(sim, server, provider, sleeps)
        finally:
            provider.close()


@pytest.fixture
def world() -> Iterator[World]:
    yield from make_world()


def cheapest(world: World, reference: str = "label:shop:1001:1:0") -> Rate:
    return world.provider.quote(SHOP, BUYER, BOX, reference=reference)[0]


def test_is_a_label_provider(world: World) -> None:
    assert isinstance(world.provider, LabelProvider)
    assert world.provider.name == "shippo"


def test_quote_buy_find_download_track_void(world: World) -> None:
    ref = "label:shop:1001:1:0"
    rates = world.provider.quote(SHOP, BUYER, BOX, reference=ref)
    assert len(rates) == 7
    assert [r.amount for r in rates] == sorted(r.amount for r in rates)
    rate = rates[0]
    assert rate.provider == "shippo"
    assert rate.carrier == "USPS"
    assert rate.service_token == "usps_ground_advantage"
    assert rate.service == "Ground Advantage"
    assert isinstance(rate.amount, Decimal)
    assert rate.currency == "USD"
    assert rate.shipment_id
    assert rate.estimated_days == 3
    assert "CHEAPEST" in rate.attributes

    label = world.provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=ref)
    assert isinstance(label, Label)
    assert label.provider == "shippo"
    assert label.tracking_number.startswith("92055901755477")
    assert label.cost == rate.amount
    assert label.carrier == "USPS"
    assert label.rate_id == rate.rate_id
    assert label.shipment_id == rate.shipment_id
    assert label.label_format == LabelFormat.PDF_4X6
    assert label.tracking_url
    assert world.sim.transaction(label.label_id)["metadata"] == ref

    assert world.provider.find_purchase(reference=ref, rate=rate) == label
    assert world.provider.find_purchase(reference=ref, rate=None) == label
    assert world.provider.find_purchase(reference="label:other", rate=rate) is None

    pdf = world.provider.download(label)
    assert pdf.startswith(b"%PDF")
    assert label.tracking_number.encode() in pdf

    update = world.provider.track(label)
    assert update.status == TrackingStatus.PRE_TRANSIT
    assert update.first_scan_at is None
    world.sim.advance(timedelta(days=3, hours=-5))
    update = world.provider.track(label)
    assert update.status == TrackingStatus.OUT_FOR_DELIVERY
    assert [e.status for e in update.events][:2] == [
        TrackingStatus.PRE_TRANSIT,
        TrackingStatus.IN_TRANSIT,
    ]
    assert update.first_scan_at == START + timedelta(hours=6)
    assert update.events[0].location == "San Francisco, CA, 94117, US"

    stats = world.sim.stats()
    assert stats["purchases"] == 1
    assert stats["duplicate_purchases"] == 0


def test_void_before_and_after_the_first_scan(world: World) -> None:
    rate = cheapest(world)
    label = world.provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference="r1")
    result = world.provider.void(label)
    assert result.state == VoidState.PENDING
    again = world.provider.void(label)  # reads the state of the first request
    assert again.state == VoidState.REFUNDED
    scanned = world.provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference="r2")
    world.sim.advance(timedelta(hours=7))
    world.provider.void(scanned)
    assert world.provider.void(scanned).state == VoidState.REJECTED


def test_zpl_labels(world: World) -> None:
    rate = cheapest(world)
    label = world.provider.buy(rate, label_format=LabelFormat.ZPL, reference="zpl:1")
    assert label.label_format == LabelFormat.ZPL
    assert world.sim.transaction(label.label_id)["label_file_type"] == "ZPLII"
    assert world.provider.download(label).startswith(b"^XA")


def test_dropped_purchase_is_unknown_then_reconciled(world: World) -> None:
    ref = "label:shop:1002:1:0"
    rate = cheapest(world, ref)
    world.sim.faults.fail_next(1, "drop", "POST /transactions")
    with pytest.raises(PurchaseOutcomeUnknown):
        world.provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=ref)
    found = world.provider.find_purchase(reference=ref, rate=rate)
    assert found is not None
    assert found.tracking_number
    assert found.rate_id == rate.rate_id
    stats = world.sim.stats()
    assert stats["purchases"] == 1
    assert stats["purchases_by_metadata"] == {ref: 1}
    assert stats["duplicate_purchases"] == 0
    assert stats["requests"]["POST /transactions"] == 1


def test_5xx_on_buy_is_unknown_and_never_retried(world: World) -> None:
    ref = "label:shop:1003:1:0"
    rate = cheapest(world, ref)
    world.sim.faults.fail_next(1, "5xx", "POST /transactions")
    with pytest.raises(PurchaseOutcomeUnknown):
        world.provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=ref)
    assert world.sim.stats()["requests"]["POST /transactions"] == 1
    assert world.provider.find_purchase(reference=ref, rate=rate) is None


def test_error_transaction_is_label_rejected_with_shippo_message(world: World) -> None:
    rate = cheapest(world)
    world.sim.reject_next_purchase("The USPS API is down for maintenance.")
    with pytest.raises(LabelRejected, match="USPS API is down for maintenance"):
        world.provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference="e1")
    assert world.provider.find_purchase(reference="e1", rate=rate) is None


def test_expired_rate_is_rejected(world: World) -> None:
    rate = cheapest(world)
    world.sim.advance(timedelta(days=8))
    with pytest.raises(LabelRejected, match="7 days"):
        world.provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference="old")


def test_queued_purchase_is_polled_with_backoff() -> None:
    for world in make_world(queued_polls=3, purchase_seconds=3600.0):
        rate = cheapest(world)
        label = world.provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference="q1")
        assert label.tracking_number
        assert world.sleeps.calls == [0.2, 0.5, 1.0, 2.0]


def test_purchase_still_queued_after_the_budget_is_unknown_then_adopted() -> None:
    for world in make_world(queued_polls=100, purchase_seconds=3600.0):
        provider = world.provider_with(poll_seconds=2.0)
        rate = cheapest(world)
        with pytest.raises(PurchaseOutcomeUnknown, match="still processing"):
            provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference="q2")
        assert sum(world.sleeps.calls) == 2.0
        with pytest.raises(PurchaseOutcomeUnknown):
            provider.find_purchase(reference="q2", rate=rate)
        world.sim.advance(timedelta(hours=2))
        found = provider.find_purchase(reference="q2", rate=rate)
        assert found is not None
        assert found.tracking_number
        assert world.sim.stats()["purchases"] == 1


def test_no_rates_is_rejected_with_the_carriers_messages(world: World) -> None:
    heavy = Parcel(
        weight_oz=Decimal(16 * 200), length_in=Decimal(40), width_in=Decimal(40),
        height_in=Decimal(40),
    )  # fmt: skip
    with pytest.raises(LabelRejected, match="over the 150 lb limit"):
        world.provider.quote(SHOP, BUYER, heavy, reference="heavy")


def test_bad_key_is_auth_error(world: World) -> None:
    bad = world.provider_with(api_key="shippo_test_wrong")
    with pytest.raises(AuthError) as caught:
        bad.verify_key()
    assert caught.value.hint is not None
    assert "creatorflow connect shippo" in caught.value.hint
    with pytest.raises(AuthError):
        bad.quote(SHOP, BUYER, BOX, reference="x")
    world.provider.verify_key()


def test_timeouts_are_honoured(world: World) -> None:
    world.sim.faults.slow_seconds = 1.0
    quick = world.provider_with(timeout=0.2)
    world.sim.faults.fail_next(1, "slow", "/shipments")
    with pytest.raises(NetworkError) as caught:
        quick.quote(SHOP, BUYER, BOX, reference="t")
    assert caught.value.may_have_reached_provider is True
    rate = cheapest(world)
    world.sim.faults.fail_next(1, "slow", "POST /transactions")
    with pytest.raises(PurchaseOutcomeUnknown, match="did not answer in time"):
        quick.buy(rate, label_format=LabelFormat.PDF_4X6, reference="slow:1")
    # the slow purchase still went through on the server: reconcile adopts it
    import time

    deadline = time.monotonic() + 5
    while world.sim.stats()["purchases"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert world.provider.find_purchase(reference="slow:1", rate=rate) is not None


def test_transient_errors_on_lookups(world: World) -> None:
    world.sim.faults.fail_next(1, "5xx", "/shipments")
    with pytest.raises(TransientHTTPError) as caught:
        world.provider.quote(SHOP, BUYER, BOX, reference="x")
    assert caught.value.status in (500, 503)
    world.sim.faults.fail_next(1, "429", "/shipments")
    with pytest.raises(RateLimitedError) as limited:
        world.provider.quote(SHOP, BUYER, BOX, reference="x")
    assert limited.value.retry_after == 1.0
    rate = cheapest(world)
    world.sim.faults.fail_next(1, "429", "POST /transactions")
    with pytest.raises(RateLimitedError):
        world.provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference="x")
    assert world.sim.stats()["purchases"] == 0
    world.sim.faults.fail_next(1, "drop", "/transactions")
    with pytest.raises(NetworkError):
        world.provider.find_purchase(reference="x", rate=rate)


def test_unreachable_server_is_network_error() -> None:
    provider = ShippoProvider(KEY, api_base="http://127.0.0.1:9", timeout=1.0)
    with pytest.raises(NetworkError) as caught:
        provider.verify_key()
    assert caught.value.may_have_reached_provider is False
