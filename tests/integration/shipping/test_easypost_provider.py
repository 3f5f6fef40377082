"""EasyPostProvider against the EasyPost simulator over loopback, through the real SDK."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from creatorflow.errors import AuthError, RateLimitedError
from creatorflow.http_server import RunningServer, serve
from creatorflow.integrations.http import NetworkError, TransientHTTPError
from creatorflow.integrations.shipping.base import (
    Address,
    LabelFormat,
    LabelProvider,
    LabelReference,
    LabelRejected,
    Parcel,
    PurchaseOutcomeUnknown,
    TrackingStatus,
    VoidState,
)
from creatorflow.integrations.shipping.easypost import EasyPostProvider
from creatorflow.sandbox.clock import SimClock
from creatorflow.sandbox.easypost import EasyPostSimulator

KEY = "EZTK_provider_test"
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SHOP = Address("Crafty Co", "388 Townsend St", "San Francisco", "CA", "94107", "US",
               phone="5555555555", email="shop@example.com")  # fmt: skip
BUYER = Address("José Núñez", "179 N Harbor Dr", "Redondo Beach", "CA", "90277", "US")
BOX = Parcel(Decimal("15.4"), Decimal("10"), Decimal("8"), Decimal("4"))
REF = str(LabelReference("shop1", "576000001", "pkg1", 1))


@pytest.fixture
def sim() -> EasyPostSimulator:
    return EasyPostSimulator(seed=5, api_key=KEY, clock=SimClock(START, speed=0))


@pytest.fixture
def server(sim: EasyPostSimulator) -> Iterator[RunningServer]:
    with serve(sim.app) as running:
        yield running


@pytest.fixture
def provider(server: RunningServer) -> EasyPostProvider:
    return EasyPostProvider(KEY, api_base=f"{server.base_url}/v2", timeout=5)


def test_is_a_label_provider(provider: EasyPostProvider) -> None:
    assert isinstance(provider, LabelProvider)
    assert provider.name == "easypost"


def test_full_flow(provider: EasyPostProvider, sim: EasyPostSimulator) -> None:
    provider.verify_key()
    rates = provider.quote(SHOP, BUYER, BOX, reference=REF)
    assert rates
    assert all(isinstance(r.amount, Decimal) for r in rates)
    assert [r.amount for r in rates] == sorted(r.amount for r in rates)
    rate = rates[0]
    assert rate.rate_id.startswith("rate_")
    assert rate.shipment_id
    assert rate.shipment_id.startswith("shp_")
    assert sim.shipment(rate.shipment_id)["reference"] == REF
    label = provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=REF)
    assert label.label_id == rate.shipment_id == label.shipment_id
    assert label.rate_id == rate.rate_id
    assert label.cost == rate.amount
    assert label.currency == "USD"
    assert label.tracking_number
    assert label.tracking_url
    assert label.label_format is LabelFormat.PDF_4X6
    assert provider.download(label).startswith(b"%PDF-")
    assert provider.find_purchase(reference=REF, rate=rate) == label
    assert provider.find_purchase(reference=REF, rate=None) == label
    assert provider.track(label).status is TrackingStatus.UNKNOWN
    sim.advance(timedelta(hours=7))
    update = provider.track(label)
    assert update.status is TrackingStatus.IN_TRANSIT
    assert update.first_scan_at == START + timedelta(hours=6)
    assert update.events[-1].location == "San Francisco, CA 94107"
    assert provider.void(label).state is VoidState.REJECTED  # scanned already
    assert sim.stats()["labels_bought"] == 1


def test_zpl_label_and_void(provider: EasyPostProvider, sim: EasyPostSimulator) -> None:
    rate = provider.quote(SHOP, BUYER, BOX, reference=REF)[0]
    label = provider.buy(rate, label_format=LabelFormat.ZPL, reference=REF)
    assert label.label_format is LabelFormat.ZPL
    assert label.label_url
    assert label.label_url.endswith(".zpl")
    assert provider.download(label).startswith(b"^XA")
    assert provider.void(label).state is VoidState.PENDING
    assert provider.void(label).state is VoidState.PENDING  # asked once, then reported
    sim.advance(timedelta(days=2))
    assert provider.void(label).state is VoidState.REFUNDED
    assert sim.stats()["refunds"]["requested"] == {"submitted": 1}


def test_dropped_buy_is_unknown_then_adopted(
    provider: EasyPostProvider, sim: EasyPostSimulator
) -> None:
    rate = provider.quote(SHOP, BUYER, BOX, reference=REF)[0]
    sim.faults.fail_next(1, "drop_after", path_prefix="/v2/shipments/")
    with pytest.raises(PurchaseOutcomeUnknown):
        provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=REF)
    adopted = provider.find_purchase(reference=REF, rate=rate)
    assert adopted is not None
    assert adopted.rate_id == rate.rate_id
    assert provider.find_purchase(reference=REF, rate=None) == adopted
    stats = sim.stats()
    assert stats["labels_bought"] == 1
    assert stats["duplicate_purchases"] == 0


def test_dropped_before_processing_finds_nothing(
    provider: EasyPostProvider, sim: EasyPostSimulator
) -> None:
    rate = provider.quote(SHOP, BUYER, BOX, reference=REF)[0]
    sim.faults.fail_next(1, "drop", path_prefix="/v2/shipments/")
    with pytest.raises(PurchaseOutcomeUnknown):
        provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=REF)
    assert provider.find_purchase(reference=REF, rate=rate) is None
    assert provider.find_purchase(reference=REF, rate=None) is None
    assert sim.stats()["labels_bought"] == 0


@pytest.mark.parametrize("kind", ["5xx", "5xx_after"])
def test_5xx_on_buy_is_unknown(
    provider: EasyPostProvider, sim: EasyPostSimulator, kind: str
) -> None:
    rate = provider.quote(SHOP, BUYER, BOX, reference=REF)[0]
    sim.faults.fail_next(1, kind, path_prefix="/v2/shipments/")
    with pytest.raises(PurchaseOutcomeUnknown):
        provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=REF)
    found = provider.find_purchase(reference=REF, rate=rate)
    assert (found is not None) == (kind == "5xx_after")


def test_buy_twice_adopts_without_a_second_purchase(
    provider: EasyPostProvider, sim: EasyPostSimulator
) -> None:
    rate = provider.quote(SHOP, BUYER, BOX, reference=REF)[0]
    first = provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=REF)
    second = provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=REF)
    assert second == first
    stats = sim.stats()
    assert stats["labels_bought"] == 1
    assert stats["rejected_rebuys"] == 1
    assert stats["duplicate_purchases"] == 0


def test_invalid_address_is_rejected_with_easyposts_message(provider: EasyPostProvider) -> None:
    nowhere = replace(BUYER, postal_code="00000")
    with pytest.raises(LabelRejected) as refused:
        provider.quote(SHOP, nowhere, BOX, reference=REF)
    assert refused.value.message.startswith("Address not found")
    assert "Invalid ZIP code" in refused.value.message


def test_foreign_rate_is_rejected(provider: EasyPostProvider) -> None:
    rate = provider.quote(SHOP, BUYER, BOX, reference=REF)[0]
    other = provider.quote(SHOP, BUYER, BOX, reference=REF + "x")[0]
    with pytest.raises(LabelRejected):
        provider.buy(replace(rate, rate_id=other.rate_id), label_format=LabelFormat.ZPL,
                     reference=REF)  # fmt: skip


def test_bad_key_is_an_auth_error(server: RunningServer) -> None:
    provider = EasyPostProvider("EZTK_wrong", api_base=f"{server.base_url}/v2")
    with pytest.raises(AuthError) as refused:
        provider.verify_key()
    assert refused.value.hint is not None
    assert "creatorflow connect easypost" in refused.value.hint
    with pytest.raises(AuthError):
        provider.quote(SHOP, BUYER, BOX, reference=REF)


def test_timeout_is_honoured(server: RunningServer, sim: EasyPostSimulator) -> None:
    provider = EasyPostProvider(KEY, api_base=f"{server.base_url}/v2", timeout=0.3)
    rate = provider.quote(SHOP, BUYER, BOX, reference=REF)[0]
    sim.faults.slow_seconds = 1.0
    sim.faults.fail_next(1, "slow", path_prefix="/v2/shipments/")
    began = time.monotonic()
    with pytest.raises(PurchaseOutcomeUnknown):
        provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=REF)
    assert time.monotonic() - began < 0.9
    deadline = time.monotonic() + 5
    while sim.stats()["labels_bought"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    adopted = provider.find_purchase(reference=REF, rate=rate)
    assert adopted is not None
    assert sim.stats()["requests"]["POST /v2/shipments/{id}/buy"] == 1


def test_transient_errors_on_lookups(provider: EasyPostProvider, sim: EasyPostSimulator) -> None:
    sim.faults.retry_after = 7
    sim.faults.fail_next(1, "429")
    with pytest.raises(RateLimitedError) as limited:
        provider.quote(SHOP, BUYER, BOX, reference=REF)
    assert limited.value.retry_after == 7
    sim.faults.fail_next(1, "5xx")
    with pytest.raises(TransientHTTPError):
        provider.quote(SHOP, BUYER, BOX, reference=REF)
    sim.faults.fail_next(1, "drop", path_prefix="/v2/shipments")
    with pytest.raises(NetworkError):
        provider.quote(SHOP, BUYER, BOX, reference=REF)


def test_nothing_listening_is_a_network_error_that_sent_nothing() -> None:
    with serve(EasyPostSimulator(api_key=KEY).app) as running:
        base = f"{running.base_url}/v2"
    provider = EasyPostProvider(KEY, api_base=base, timeout=2)
    with pytest.raises(NetworkError) as failed:
        provider.verify_key()
    assert failed.value.may_have_reached_provider is False


def test_expired_label_link_is_fetched_afresh(
    provider: EasyPostProvider, server: RunningServer
) -> None:
    rate = provider.quote(SHOP, BUYER, BOX, reference=REF)[0]
    label = provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=REF)
    stale = replace(label, label_url=f"{server.base_url}/sandbox/labels/pl_gone.pdf")
    assert provider.download(stale).startswith(b"%PDF-")
    assert provider.download(replace(label, label_url=None)).startswith(b"%PDF-")
