"""Telling TikTok the tracking number of a label we bought (Mark Package As Shipped).

Each bought label journals a ``push`` effect. A worker claims it, maps the label's carrier
to TikTok's ``shipping_provider_id`` for the order's delivery option (cached per option),
and calls Mark Package As Shipped with the package's line items. The call is not idempotent,
so an attempt that may have reached TikTok is **reconciled** first: if TikTok already shows
our tracking number on the order, the push is done. TikTok's ``warning`` (carrier and
tracking number do not match) is kept on the effect and the order's history.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from creatorflow.errors import AuthError, CreatorflowError, RateLimitedError
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.integrations.tiktok.client import TikTokClient

__all__ = ["PushSummary", "carrier_matches", "push_tracking"]

#: TikTok answers these when the package is already shipped: the push happened before.
_ALREADY_SHIPPED = frozenset({21011020, 21008099, 21042056, 21011006})
#: The order cannot take tracking now (on hold): try again later.
_NOT_YET = frozenset({21011044})

_ALIASES = {
    "usps": ("usps", "united states postal service"),
    "ups": ("ups", "united parcel service"),
    "fedex": ("fedex", "federal express"),
    "dhl": ("dhl", "dhl ecommerce", "dhl express"),
    "ontrac": ("ontrac",),
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def carrier_matches(carrier: str, provider_name: str) -> bool:
    """Whether TikTok's shipping provider ``provider_name`` is the label's ``carrier``."""
    label = carrier.strip().casefold()
    tiktok = provider_name.strip().casefold()
    for names in _ALIASES.values():
        if any(label.startswith(name) for name in names):
            return any(tiktok.startswith(name) for name in names)
    return label == tiktok


@dataclass
class PushSummary:
    """What a push run did."""

    pushed: int = 0
    already: int = 0
    warnings: int = 0
    retry_later: int = 0
    needs_attention: int = 0


class _ProviderIds:
    """TikTok shipping provider ids per delivery option, fetched once per run."""

    def __init__(self) -> None:
        self._cache: dict[str, list[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def find(self, client: TikTokClient, cipher: str, option: str, carrier: str) -> str | None:
        with self._lock:
            known = self._cache.get(option)
        if known is None:
            providers = client.shipping_providers(cipher, option)
            known = [(p.id, p.name or "") for p in providers]
            with self._lock:
                self._cache[option] = known
        for provider_id, name in known:
            if carrier_matches(carrier, name):
                return provider_id
        return None


def _push_one(
    services: Services,
    client: TikTokClient,
    ids: _ProviderIds,
    effect_id: int,
    worker: str,
    now: Callable[[], datetime],
    summary: PushSummary,
) -> None:
    from creatorflow.integrations.tiktok.errors import TikTokApiError
    from creatorflow.services import push_records as records
    from creatorflow.services.label_buying import backoff

    job = records.load_push(services, effect_id)
    try:
        if job.attempted and records.tiktok_has_tracking(client, job):
            records.pushed(services, job, worker, package_id=None, warning=None, now=now())
            summary.already += 1
            return
        if not job.delivery_option_id:
            raise _Permanent("The order has no delivery option, so TikTok's carrier is unknown.")
        provider_id = ids.find(client, job.cipher, job.delivery_option_id, job.carrier)
        if provider_id is None:
            raise _Permanent(
                f"TikTok offers no shipping provider matching {job.carrier} for this order's "
                "delivery option."
            )
        records.mark_push_attempt(services, job, worker, provider_id, now=now())
        if job.correction:
            # A replacement label: TikTok allows correcting tracking within 72 hours.
            client.update_shipping_info(
                job.cipher,
                job.order_id,
                tracking_number=job.tracking_number,
                shipping_provider_id=provider_id,
            )
            records.pushed(services, job, worker, package_id=None, warning=None, now=now())
            summary.pushed += 1
            return
        result = client.mark_package_shipped(
            job.cipher,
            job.order_id,
            tracking_number=job.tracking_number,
            shipping_provider_id=provider_id,
            order_line_item_ids=job.line_item_ids,
        )
        warning = result.warning_message
        records.pushed(
            services, job, worker, package_id=result.package_id, warning=warning, now=now()
        )
        summary.pushed += 1
        summary.warnings += 1 if warning else 0
    except TikTokApiError as exc:
        if exc.code in _ALREADY_SHIPPED and records.tiktok_has_tracking(client, job):
            records.pushed(services, job, worker, package_id=None, warning=None, now=now())
            summary.already += 1
        elif exc.code in _NOT_YET:
            records.push_later(services, job, worker, exc.message, timedelta(minutes=10), now())
            summary.retry_later += 1
        else:
            records.push_attention(services, job, worker, exc.message, now=now())
            summary.needs_attention += 1
    except _Permanent as exc:
        records.push_attention(services, job, worker, str(exc), now=now())
        summary.needs_attention += 1
    except RateLimitedError as exc:
        delay = timedelta(seconds=exc.retry_after or 60)
        records.push_later(services, job, worker, exc.message, delay, now())
        summary.retry_later += 1
    except AuthError:
        records.push_later(
            services, job, worker, "authorisation failed", timedelta(minutes=5), now()
        )
        raise
    except CreatorflowError as exc:
        # Network trouble: 30 s doubling (as for labels), so a short outage costs seconds.
        records.push_later(
            services, job, worker, exc.message, backoff(job.attempts, services.time_speed), now()
        )
        summary.retry_later += 1


class _Permanent(Exception):
    pass


def push_tracking(
    services: Services,
    *,
    client: TikTokClient | None = None,
    order_ids: list[str] | None = None,
    now: Callable[[], datetime] = _utcnow,
) -> PushSummary:
    """Push the tracking numbers of bought labels to TikTok; orders become ``shipped``.

    Raises:
        AuthError: TikTok refused our credentials (reconnect).
    """
    from creatorflow.services.label_buying import worker_name
    from creatorflow.services.push_records import claim_push

    summary = PushSummary()
    ids = _ProviderIds()
    worker = f"{worker_name()}:push"

    def work(tiktok: TikTokClient) -> None:
        while True:
            effect_id = claim_push(services, worker, now=now(), order_ids=order_ids)
            if effect_id is None:
                return
            _push_one(services, tiktok, ids, effect_id, worker, now, summary)

    if client is not None:
        work(client)
        return summary
    from creatorflow.services.tiktok_connection import open_client

    with open_client(services) as opened:  # signatures need the real clock
        work(opened)
    return summary
