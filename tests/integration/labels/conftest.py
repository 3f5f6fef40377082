"""A shop on the TikTok simulator with Shippo and EasyPost simulators, synced and parcelled."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from creatorflow.config.paths import resolve_paths
from creatorflow.http_server import serve
from creatorflow.sandbox.easypost import EasyPostSimulator
from creatorflow.sandbox.shippo import ShippoSimulator
from creatorflow.sandbox.shippo.limits import LIVE_LIMITS
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.secrets import SecretStore
from creatorflow.secrets.backends import MemoryBackend
from creatorflow.services.context import Services
from creatorflow.services.demo import SHIP_FROM
from creatorflow.services.label_providers import connect_provider
from creatorflow.services.order_sync import sync_orders
from creatorflow.services.parcels import set_parcel
from creatorflow.services.product_sync import list_products, sync_products
from creatorflow.services.setup import initialize
from creatorflow.services.tiktok_connection import connect_tiktok

SHIPPO_KEY = "shippo_live_labels"
EASYPOST_KEY = "EZTK_labels"


@dataclass
class World:
    """The simulators and the CreatorFlow install pointed at them."""

    tiktok: TikTokShopSimulator
    shippo: ShippoSimulator
    easypost: EasyPostSimulator
    services: Services

    def duplicates(self) -> int:
        labels = self.tiktok.stats()["label_purchases"]
        assert isinstance(labels, dict)
        extra = sum(max(0, int(n) - 1) for n in labels.values())
        extra += int(self.shippo.stats()["duplicate_purchases"])
        easypost = self.easypost.stats()["duplicate_purchases"]
        assert isinstance(easypost, int)
        return extra + easypost

    def purchases_per_order(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        by_metadata = self.shippo.stats()["purchases_by_metadata"]
        for reference, n in dict(by_metadata).items():
            order = str(reference).split(":")[2]
            counts[order] = counts.get(order, 0) + int(n)
        by_reference = self.easypost.stats()["purchases_by_reference"]
        assert isinstance(by_reference, dict)
        for reference, n in by_reference.items():
            order = str(reference).split(":")[2]
            counts[order] = counts.get(order, 0) + int(n)
        return counts


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    tiktok = TikTokShopSimulator(seed=21, qps=1000, product_count=5)
    tiktok.generate_orders(12, spread=timedelta(hours=10), status="AWAITING_SHIPMENT")
    shippo = ShippoSimulator(
        21, api_key=SHIPPO_KEY, purchase_seconds=0, requests_per_minute=LIVE_LIMITS
    )
    easypost = EasyPostSimulator(21, api_key=EASYPOST_KEY)
    with serve(tiktok.app) as t, serve(shippo.app) as s, serve(easypost.app) as e:
        environ = {
            "CREATORFLOW_HOME": str(tmp_path / "home"),
            "CREATORFLOW_TIKTOK_API_BASE": t.base_url,
            "CREATORFLOW_TIKTOK_AUTH_BASE": t.base_url,
            "CREATORFLOW_TIKTOK_APP_KEY": tiktok.app_key,
            "CREATORFLOW_SHIPPO_API_BASE": s.base_url,
            "CREATORFLOW_EASYPOST_API_BASE": e.base_url + "/v2",
            **{f"CREATORFLOW_SHIP_FROM_{key}": value for key, value in SHIP_FROM.items()},
        }
        secrets = SecretStore([MemoryBackend({"tiktok_app_secret": tiktok.app_secret})])
        services = Services(paths=resolve_paths(environ), environ=environ, secret_store=secrets)
        initialize(services)
        connect_tiktok(services, auth_code=tiktok.issue_auth_code())
        connect_provider(services, "shippo", SHIPPO_KEY)
        connect_provider(services, "easypost", EASYPOST_KEY)
        sync_products(services)
        for index, sku in enumerate(list_products(services)):
            set_parcel(services, sku.sku_id, weight=f"{5 + index}oz", dims="8x6x2in")
        sync_orders(services)
        yield World(tiktok, shippo, easypost, services)
        services.close()
