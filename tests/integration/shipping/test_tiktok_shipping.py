"""TikTok Shipping labels against the TikTok Shop simulator on loopback, real TikTokClient."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from creatorflow.http_server import RunningServer, serve
from creatorflow.integrations.shipping.base import (
    Address,
    LabelFormat,
    LabelProvider,
    LabelReference,
    LabelRejected,
    Parcel,
    PurchaseOutcomeUnknown,
    Rate,
    TrackingStatus,
    VoidState,
)
from creatorflow.integrations.shipping.tiktok_shipping import (
    TikTokShippingProvider,
    tracking_status,
)
from creatorflow.integrations.tiktok.client import TikTokClient
from creatorflow.integrations.tiktok.oauth import TikTokAuthClient, TokenKeeper
from creatorflow.sandbox.tiktok import TikTokShopSimulator

APP_KEY = "ship-app-key"
APP_SECRET = "ship-app-secret"
PACKAGES_PATH = "/fulfillment/202309/packages"
HOME = Address("Sandbox seller", "2150 E 37th St", "Los Angeles", "CA", "90058", "US")
BUYER = Address("Buyer", "1 Main St", "Austin", "TX", "78701", "US")
PARCEL = Parcel(Decimal("12"), Decimal("10"), Decimal("8"), Decimal("4"))


class LoseCreatePackagesAnswer(httpx.BaseTransport):
    """Forwards everything, but when armed drops the answer of one Create Packages call.

    The simulator has bought the label by then: this is the "timeout after the purchase" case.
    """

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.armed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if self.armed and request.method == "POST" and request.url.path == PACKAGES_PATH:
            self.armed = False
            response.read()
            response.close()
            raise httpx.ReadError("connection reset after the request was sent", request=request)
        return response

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def sim() -> TikTokShopSimulator:
    return TikTokShopSimulator(seed=5, app_key=APP_KEY, app_secret=APP_SECRET, product_count=4)


@pytest.fixture
def server(sim: TikTokShopSimulator) -> Iterator[RunningServer]:
    with serve(sim.app) as running:
        yield running


@pytest.fixture
def transport() -> LoseCreatePackagesAnswer:
    return LoseCreatePackagesAnswer()


@pytest.fixture
def client(
    sim: TikTokShopSimulator, server: RunningServer, transport: LoseCreatePackagesAnswer
) -> Iterator[TikTokClient]:
    def now() -> datetime:
        return datetime.now(UTC)

    auth = TikTokAuthClient(auth_base=server.base_url, app_key=APP_KEY, app_secret=APP_SECRET)
    tokens = auth.exchange_code(sim.issue_auth_code())
    keeper = TokenKeeper(tokens, auth=auth, on_refresh=lambda t: None, now=now)
    with (
        auth,
        TikTokClient(
            api_base=server.base_url,
            app_key=APP_KEY,
            app_secret=APP_SECRET,
            tokens=keeper,
            transport=transport,
            sleep=lambda s: None,
        ) as built,
    ):
        yield built


@pytest.fixture
def provider(client: TikTokClient) -> TikTokShippingProvider:
    cipher = client.authorized_shops()[0].cipher
    assert cipher
    return TikTokShippingProvider(client, cipher)


def _order(sim: TikTokShopSimulator, shipping_type: str) -> tuple[str, str]:
    """An AWAITING_SHIPMENT order of this shipping type and the label reference for it."""
    for _ in range(20):
        for order_id in sim.generate_orders(10, status="AWAITING_SHIPMENT"):
            order = sim.book.orders[order_id]
            if order.shipping_type == shipping_type:
                return order_id, str(LabelReference(order.shop_id, order_id, "1", 1))
    raise AssertionError(f"the simulator made no {shipping_type} order")


def _cheapest(provider: TikTokShippingProvider, reference: str) -> Rate:
    rates = provider.quote(HOME, BUYER, PARCEL, reference=reference)
    assert rates
    return min(rates, key=lambda rate: rate.amount)


def test_is_a_label_provider(provider: TikTokShippingProvider) -> None:
    assert isinstance(provider, LabelProvider)
    assert provider.name == "tiktok_shipping"


def test_quote_buy_download(provider: TikTokShippingProvider, sim: TikTokShopSimulator) -> None:
    order_id, reference = _order(sim, "TIKTOK")

    rates = provider.quote(HOME, BUYER, PARCEL, reference=reference)

    assert {rate.carrier for rate in rates} == {"USPS", "UPS", "FedEx"}
    usps = next(rate for rate in rates if rate.carrier == "USPS")
    assert usps.provider == "tiktok_shipping"
    assert usps.service == "USPS Ground Advantage"
    assert (usps.amount, usps.currency, usps.estimated_days) == (Decimal("4.85"), "USD", 5)
    assert usps.shipment_id == order_id
    assert "default" in usps.attributes

    label = provider.buy(usps, label_format=LabelFormat.PDF_4X6, reference=reference)

    assert label.provider == "tiktok_shipping"
    assert label.carrier == "USPS"
    assert label.service == "USPS Ground Advantage"
    assert (label.cost, label.currency) == (Decimal("4.85"), "USD")
    assert label.label_format is LabelFormat.PDF_4X6
    assert label.label_url is not None
    assert label.rate_id == usps.rate_id
    assert sim.stats()["label_purchases"] == {label.label_id: 1}
    package = sim.packages[label.label_id]
    assert label.tracking_number == package.tracking_number
    # 12 oz is 0.75 lb; the parcel's size went with the purchase.
    assert package.weight == {"value": "0.75", "unit": "POUND"}
    assert package.dimension == {"length": "10", "width": "8", "height": "4", "unit": "INCH"}
    assert provider.download(label).startswith(b"%PDF")


def test_download_asks_again_when_the_url_is_missing_or_stale(
    provider: TikTokShippingProvider, sim: TikTokShopSimulator
) -> None:
    _, reference = _order(sim, "TIKTOK")
    label = provider.buy(
        _cheapest(provider, reference), label_format=LabelFormat.PDF_4X6, reference=reference
    )
    assert label.label_url is not None
    stale = replace(label, label_url=label.label_url.replace(label.label_id, "9"))
    missing = replace(label, label_url=None)

    assert provider.download(stale).startswith(b"%PDF")
    assert provider.download(missing).startswith(b"%PDF")


@pytest.mark.parametrize("kind", ["drop", "5xx"])
def test_failed_create_packages_is_unknown_then_reconciled(
    provider: TikTokShippingProvider, sim: TikTokShopSimulator, kind: str
) -> None:
    _, reference = _order(sim, "TIKTOK")
    rate = _cheapest(provider, reference)
    sim.faults.fail_next(1, kind, path_prefix=PACKAGES_PATH)

    with pytest.raises(PurchaseOutcomeUnknown):
        provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=reference)

    # The simulator's faults strike before the handler runs: nothing was bought.
    assert sim.stats()["label_purchases"] == {}
    assert provider.find_purchase(reference=reference, rate=rate) is None
    label = provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=reference)
    assert sim.stats()["label_purchases"] == {label.label_id: 1}


def test_lost_answer_after_purchase_is_adopted(
    provider: TikTokShippingProvider,
    sim: TikTokShopSimulator,
    transport: LoseCreatePackagesAnswer,
) -> None:
    _, reference = _order(sim, "TIKTOK")
    rate = _cheapest(provider, reference)
    transport.armed = True

    with pytest.raises(PurchaseOutcomeUnknown):
        provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=reference)

    purchases = sim.stats()["label_purchases"]
    assert isinstance(purchases, dict)
    assert list(purchases.values()) == [1]
    adopted = provider.find_purchase(reference=reference, rate=rate)
    assert adopted is not None
    assert adopted.label_id in purchases
    assert adopted.tracking_number == sim.packages[adopted.label_id].tracking_number
    assert adopted.carrier == "USPS"
    assert (adopted.cost, adopted.rate_id) == (rate.amount, rate.rate_id)
    assert provider.download(adopted).startswith(b"%PDF")
    # Buying again is refused by TikTok, and buys nothing.
    with pytest.raises(LabelRejected):
        provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=reference)
    assert sim.stats()["label_purchases"] == purchases


def test_find_purchase_without_a_package(
    provider: TikTokShippingProvider, sim: TikTokShopSimulator
) -> None:
    _, reference = _order(sim, "TIKTOK")
    assert provider.find_purchase(reference=reference, rate=None) is None
    # An order TikTok does not show to this shop proves nothing: a person must look.
    missing = str(LabelReference(sim.shops[0].id, "576000000000000001", "1", 1))
    with pytest.raises(LabelRejected, match="21008111"):
        provider.find_purchase(reference=missing, rate=None)


def test_seller_shipped_order_is_rejected(
    provider: TikTokShippingProvider, sim: TikTokShopSimulator
) -> None:
    _, reference = _order(sim, "SELLER")
    with pytest.raises(LabelRejected, match="21011037") as quoted:
        provider.quote(HOME, BUYER, PARCEL, reference=reference)
    assert "no available shipping services" in str(quoted.value)

    rate = Rate("tiktok_shipping", "7208502187360519982", None, "USPS", "x", "x", Decimal(5), "USD")
    with pytest.raises(LabelRejected, match="21011037"):
        provider.buy(rate, label_format=LabelFormat.PDF_4X6, reference=reference)
    assert sim.stats()["label_purchases"] == {}


def test_zpl_is_refused_before_buying(
    provider: TikTokShippingProvider, sim: TikTokShopSimulator
) -> None:
    _, reference = _order(sim, "TIKTOK")
    rate = _cheapest(provider, reference)
    with pytest.raises(LabelRejected, match="PDF only"):
        provider.buy(rate, label_format=LabelFormat.ZPL, reference=reference)
    assert sim.stats()["label_purchases"] == {}


def test_track_follows_the_parcel(
    provider: TikTokShippingProvider, sim: TikTokShopSimulator
) -> None:
    _, reference = _order(sim, "TIKTOK")
    label = provider.buy(
        _cheapest(provider, reference), label_format=LabelFormat.PDF_4X6, reference=reference
    )

    first = provider.track(label)
    assert first.status is TrackingStatus.PRE_TRANSIT
    assert first.first_scan_at is None

    sim.advance(timedelta(days=5))
    later = provider.track(label)
    assert later.status is TrackingStatus.DELIVERED
    assert [event.at for event in later.events] == sorted(event.at for event in later.events)
    assert later.first_scan_at is not None
    # The label's order is found from the package when the label does not carry it.
    bare = replace(label, shipment_id=None)
    assert provider.track(bare).status is TrackingStatus.DELIVERED


def test_void_is_not_applicable(provider: TikTokShippingProvider, sim: TikTokShopSimulator) -> None:
    _, reference = _order(sim, "TIKTOK")
    label = provider.buy(
        _cheapest(provider, reference), label_format=LabelFormat.PDF_4X6, reference=reference
    )
    result = provider.void(label)
    assert result.state is VoidState.NOT_APPLICABLE
    assert result.message == "TikTok Shipping labels are cancelled from Seller Center"


@pytest.mark.parametrize(
    ("description", "status"),
    [
        ("Shipping label created, awaiting carrier pickup", TrackingStatus.PRE_TRANSIT),
        ("Package picked up by carrier", TrackingStatus.IN_TRANSIT),
        ("Arrived at USPS Regional Facility", TrackingStatus.IN_TRANSIT),
        ("Out for Delivery", TrackingStatus.OUT_FOR_DELIVERY),
        ("Delivered, in/at mailbox", TrackingStatus.DELIVERED),
        ("Your package was delivered!", TrackingStatus.DELIVERED),
        ("Delivery attempted, no access to delivery location", TrackingStatus.IN_TRANSIT),
        ("Notice left: not delivered", TrackingStatus.UNKNOWN),
        ("Return to sender", TrackingStatus.RETURNED),
        ("Delivery exception: address undeliverable", TrackingStatus.FAILURE),
        ("Something new", TrackingStatus.UNKNOWN),
        ("", TrackingStatus.UNKNOWN),
    ],
)
def test_tracking_status_words(description: str, status: TrackingStatus) -> None:
    assert tracking_status(description) is status


def test_reference_must_be_a_label_key(provider: TikTokShippingProvider) -> None:
    with pytest.raises(ValueError, match="label reference"):
        provider.quote(HOME, BUYER, PARCEL, reference="order-1")
