"""Which label providers this install can use, built from settings and secrets, each throttled.

Shippo and EasyPost are available when their API key is in the secret store; TikTok Shipping
is always available for a connected shop (it is bought through the TikTok client). Every
provider call goes through a token bucket sized to the provider's documented rate limit, so
a pool of workers never earns a 429 storm.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from creatorflow.errors import ConfigError
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.integrations.shipping.base import LabelProvider

__all__ = [
    "OUTSIDE_PROVIDERS",
    "ProviderSet",
    "Throttle",
    "build_outside_providers",
    "connect_provider",
    "provider_api_key",
]

#: Providers bought through their own API key, and the secret holding it.
OUTSIDE_PROVIDERS: dict[str, str] = {"shippo": "shippo_api_key", "easypost": "easypost_api_key"}

#: Requests per second we allow ourselves per provider (below their documented limits).
DEFAULT_RATES: dict[str, float] = {"shippo": 8.0, "easypost": 8.0, "tiktok_shipping": 20.0}


class Throttle:
    """A token bucket: at most ``rate`` calls per second on average, ``burst`` at once."""

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._tokens = self.burst
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until a call is allowed, then take it."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            self._sleep(wait)


@dataclass
class ProviderSet:
    """The outside providers in preference order, with one throttle per provider."""

    providers: dict[str, LabelProvider]
    order: Sequence[str]
    throttles: dict[str, Throttle] = field(default_factory=dict)

    def throttle(self, name: str) -> Throttle:
        """The throttle of provider ``name`` (made on first use)."""
        found = self.throttles.get(name)
        if found is None:
            found = self.throttles[name] = Throttle(DEFAULT_RATES.get(name, 5.0))
        return found


def provider_api_key(services: Services, name: str) -> str | None:
    """The stored API key of an outside provider, if any."""
    secret = OUTSIDE_PROVIDERS.get(name)
    if secret is None:
        raise ConfigError(
            f"There is no label provider called {name!r}.",
            hint="Providers: " + ", ".join([*OUTSIDE_PROVIDERS, "tiktok_shipping"]) + ".",
        )
    return services.secrets.get(secret)


def _make(services: Services, name: str, key: str) -> LabelProvider:
    if name == "shippo":
        from creatorflow.integrations.shipping.shippo import ShippoProvider

        return ShippoProvider(key, api_base=services.settings.text("shippo.api_base"))
    from creatorflow.integrations.shipping.easypost import EasyPostProvider

    return EasyPostProvider(key, api_base=services.settings.text("easypost.api_base"))


def connect_provider(services: Services, name: str, api_key: str) -> str:
    """Check ``api_key`` with one cheap call, then store it; returns the secret backend.

    Raises:
        AuthError: the provider refused the key (nothing is stored).
        ConfigError: an unknown provider.
    """
    key = api_key.strip()
    if provider_api_key(services, name) is None and not key:
        raise ConfigError(f"No API key given for {name}.")
    services.secrets.require_writable(OUTSIDE_PROVIDERS[name])
    provider = _make(services, name, key)
    provider.verify_key()  # type: ignore[attr-defined]
    return services.secrets.set(OUTSIDE_PROVIDERS[name], key)


def build_outside_providers(services: Services) -> ProviderSet:
    """Shippo and EasyPost, for those with a stored key, in ``rules.providers`` order."""
    wanted = [
        name.strip().lower()
        for name in services.settings.text("rules.providers").split(",")
        if name.strip()
    ] or list(OUTSIDE_PROVIDERS)
    providers: dict[str, LabelProvider] = {}
    for name in wanted:
        key = provider_api_key(services, name)
        if key:
            providers[name] = _make(services, name, key)
    return ProviderSet(providers=providers, order=[n for n in wanted if n in providers])
