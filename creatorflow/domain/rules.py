"""Rate rules: which quoted rate to buy for an order, and a readable account of why.

:func:`choose_rate` filters the rates every provider quoted (TikTok's own rules first, then
the seller's policy) and picks one by the policy's strategy, with deterministic tie-breaks:
amount, then estimated days, then preferred-carrier order, then provider, carrier and service
names. Its explanation lines are what ``creatorflow rules test ORDER_ID`` prints.

TikTok's rules, applied before the seller's:

* an order with ``shipping_type == "TIKTOK"`` ships on a TikTok Shipping label only;
* :class:`TikTokUspsRule`: from 1 January 2026 TikTok rejects USPS labels bought outside
  TikTok Shipping on US orders (market reference §0.1 and §3, sources [55] and [16]: TikTok's
  notice to sellers, "starting January 1, 2026"). It is data, switchable by region and date.

This module knows nothing of the provider SDKs: services turn their ``Rate`` into a
:class:`RateOption` and back (``rate_id`` carries the link).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from creatorflow.domain.deadlines import SHOP_TIMEZONE, estimated_delivery, local_date
from creatorflow.domain.guards import OrderFacts
from creatorflow.domain.money import Money

__all__ = [
    "TIKTOK_SHIPPING",
    "Choice",
    "RateOption",
    "Rejection",
    "RulePolicy",
    "ServiceOverride",
    "Strategy",
    "TikTokUspsRule",
    "choose_rate",
    "is_tiktok_shipping",
    "is_usps",
]

#: The provider name of TikTok Shipping labels (``tiktok`` is accepted as well).
TIKTOK_SHIPPING = "tiktok_shipping"
_TIKTOK_NAMES = frozenset({TIKTOK_SHIPPING, "tiktok", "tiktok shipping", "tiktok-shipping"})
_PROVIDER_NAMES = {"shippo": "Shippo", "easypost": "EasyPost", TIKTOK_SHIPPING: "TikTok Shipping"}
_NO_DAYS = 10**6


class Strategy(StrEnum):
    """How to pick among allowed rates."""

    CHEAPEST = "cheapest"
    FASTEST_IN_TIME = "fastest_in_time"


def is_tiktok_shipping(provider: str) -> bool:
    """Whether ``provider`` is TikTok Shipping."""
    return provider.strip().lower() in _TIKTOK_NAMES


@dataclass(frozen=True)
class RateOption:
    """One quoted price for one service, as the rules see it.

    ``service`` is the carrier's name for it (``"Ground Advantage"``), ``service_token`` the
    provider's code (``"usps_ground_advantage"``); ``estimated_days`` are business days in
    transit when the provider says. ``rate_id`` links back to the provider's rate.
    """

    provider: str
    carrier: str
    service: str
    service_token: str
    amount: Decimal
    currency: str
    estimated_days: int | None = None
    rate_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite() or self.amount < 0:
            raise ValueError(f"a rate's amount must be a non-negative Decimal: {self.amount!r}")
        if self.estimated_days is not None and self.estimated_days < 0:
            raise ValueError("estimated_days cannot be negative")

    @property
    def provider_name(self) -> str:
        """The provider as people write it (``"EasyPost"``, ``"TikTok Shipping"``)."""
        if is_tiktok_shipping(self.provider):
            return _PROVIDER_NAMES[TIKTOK_SHIPPING]
        return _PROVIDER_NAMES.get(self.provider.strip().lower(), self.provider)

    @property
    def label(self) -> str:
        """``"USPS Ground Advantage via Shippo"``."""
        service = self.service or self.service_token
        return f"{self.carrier} {service} via {self.provider_name}".strip()

    def price(self) -> str:
        """The amount for people (``"$4.85"``)."""
        return Money(self.amount, self.currency).display()


def is_usps(rate: RateOption) -> bool:
    """Whether ``rate`` is a USPS service (by carrier name or provider token)."""
    carrier = rate.carrier.strip().lower().replace(".", "")
    return carrier in {"usps", "united states postal service"} or (
        rate.service_token.strip().lower().startswith("usps_")
    )


@dataclass(frozen=True)
class TikTokUspsRule:
    """USPS labels for orders of shops in ``region`` must come from TikTok Shipping.

    Applies from ``effective_from`` (a day in the shop's time zone) while ``enabled``.
    """

    region: str = "US"
    effective_from: date = date(2026, 1, 1)
    enabled: bool = True

    def applies(self, facts: OrderFacts, today: date) -> bool:
        """Whether the rule binds this order on ``today``."""
        region = (facts.region or facts.country or "").strip().upper()
        return self.enabled and region == self.region.upper() and today >= self.effective_from

    @property
    def reason(self) -> str:
        """Why a USPS rate from another provider is refused."""
        return (
            f"{self.region} TikTok orders must use TikTok Shipping for USPS "
            f"since {self.effective_from.isoformat()}"
        )


@dataclass(frozen=True)
class ServiceOverride:
    """A SKU's fixed choice: any of provider, carrier, service (name or token) that is set."""

    provider: str | None = None
    carrier: str | None = None
    service: str | None = None

    def __post_init__(self) -> None:
        if not (self.provider or self.carrier or self.service):
            raise ValueError("an override must name a provider, a carrier or a service")

    def matches(self, rate: RateOption) -> bool:
        """Whether ``rate`` is what this override asks for."""
        if self.provider and not _same_provider(self.provider, rate.provider):
            return False
        if self.carrier and _norm(self.carrier) != _norm(rate.carrier):
            return False
        return not self.service or _norm(self.service) in _service_names(rate)

    def text(self) -> str:
        """``"UPS Ground via Shippo"`` or the parts that are set."""
        what = " ".join(part for part in (self.carrier, self.service) if part) or "any service"
        return f"{what} via {self.provider}" if self.provider else what


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().replace("_", " ").split())


def _same_provider(wanted: str, provider: str) -> bool:
    if is_tiktok_shipping(wanted):
        return is_tiktok_shipping(provider)
    return _norm(wanted) == _norm(provider)


def _service_names(rate: RateOption) -> set[str]:
    return {
        _norm(rate.service),
        _norm(rate.service_token),
        _norm(f"{rate.carrier} {rate.service}"),
    }


@dataclass(frozen=True)
class RulePolicy:
    """The seller's rate rules.

    ``preferred_carriers``: when any allowed rate is from one of them, only those are
    considered (and earlier ones win ties); otherwise every carrier is. ``excluded_services``
    match a service's name, token, or ``"carrier service"`` (case-insensitive).
    ``sku_overrides`` map a SKU (as in :attr:`OrderFacts.skus`) to a required service; the
    first SKU of the order with one decides. ``max_price`` is in ``currency``; rates in other
    currencies are not compared.
    """

    strategy: Strategy = Strategy.CHEAPEST
    preferred_carriers: tuple[str, ...] = ()
    excluded_services: frozenset[str] = frozenset()
    sku_overrides: Mapping[str, ServiceOverride] = field(default_factory=dict)
    max_price: Decimal | None = None
    currency: str = "USD"
    usps_rule: TikTokUspsRule = field(default_factory=TikTokUspsRule)
    timezone: ZoneInfo = SHOP_TIMEZONE


class Rejection(NamedTuple):
    """A rate set aside, and why."""

    rate: RateOption
    reason: str


@dataclass(frozen=True)
class Choice:
    """The rate to buy (``None`` when none is allowed), why, and what was set aside."""

    rate: RateOption | None
    explanation: tuple[str, ...]
    rejected: tuple[Rejection, ...]


class _Group(NamedTuple):
    noun: str
    reason: str


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _override(facts: OrderFacts, policy: RulePolicy) -> tuple[str, ServiceOverride] | None:
    for sku in facts.skus:
        found = policy.sku_overrides.get(sku)
        if found is not None:
            return sku, found
    return None


_Check = tuple[_Group, Callable[[RateOption], bool]]


def _checks(facts: OrderFacts, policy: RulePolicy, today: date) -> list[_Check]:
    """The checks in the order they apply: TikTok's rules, then the seller's.

    Each is a group (noun, reason) and a predicate that is true for a rate it rejects.
    """
    currency = policy.currency
    checks: list[_Check] = [
        (
            _Group("", f"priced in another currency than {currency}"),
            lambda r: r.currency != currency,
        )
    ]
    if (facts.shipping_type or "").strip().upper() == "TIKTOK":
        checks.append(
            (
                _Group(
                    "non-TikTok Shipping",
                    "this order's shipping type is TIKTOK, so it ships on a TikTok Shipping label",
                ),
                lambda r: not is_tiktok_shipping(r.provider),
            )
        )
    if policy.usps_rule.applies(facts, today):
        checks.append(
            (
                _Group("USPS", policy.usps_rule.reason),
                lambda r: is_usps(r) and not is_tiktok_shipping(r.provider),
            )
        )
    if policy.excluded_services:
        excluded = {_norm(name) for name in policy.excluded_services}
        checks.append(
            (
                _Group("", "service excluded by your rules"),
                lambda r: bool(_service_names(r) & excluded),
            )
        )
    if policy.max_price is not None:
        cap = policy.max_price
        checks.append(
            (
                _Group("", f"above your maximum of {Money(cap, currency).display()}"),
                lambda r: r.amount > cap,
            )
        )
    override = _override(facts, policy)
    if override is not None:
        sku, wanted = override
        checks.append(
            (
                _Group("", f"SKU {sku} must ship with {wanted.text()}"),
                lambda r: not wanted.matches(r),
            )
        )
    return checks


def _rank(policy: RulePolicy, rate: RateOption) -> int:
    preferred = [_norm(carrier) for carrier in policy.preferred_carriers]
    carrier = _norm(rate.carrier)
    return preferred.index(carrier) if carrier in preferred else len(preferred)


def _names(rate: RateOption) -> tuple[str, str, str, str, str]:
    return (
        rate.provider.lower(),
        rate.carrier.lower(),
        rate.service.lower(),
        rate.service_token.lower(),
        rate.rate_id or "",
    )


def _days(rate: RateOption) -> int:
    return _NO_DAYS if rate.estimated_days is None else rate.estimated_days


def _cheapest_key(policy: RulePolicy) -> Callable[[RateOption], tuple[object, ...]]:
    return lambda r: (r.amount, _days(r), _rank(policy, r), *_names(r))


def _fastest_key(policy: RulePolicy) -> Callable[[RateOption], tuple[object, ...]]:
    return lambda r: (_days(r), r.amount, _rank(policy, r), *_names(r))


def _summary(groups: Mapping[_Group, list[RateOption]]) -> list[str]:
    lines = []
    for group, rates in groups.items():
        noun = f"{group.noun} rate" if group.noun else "rate"
        lines.append(f"{_plural(len(rates), noun)} excluded: {group.reason}.")
    return lines


def _deadline_day(deadline: datetime | date | None, tz: ZoneInfo) -> date | None:
    if isinstance(deadline, datetime):
        return local_date(deadline, tz)
    return deadline


def _pick(
    allowed: Sequence[RateOption],
    policy: RulePolicy,
    *,
    deadline: datetime | date | None,
    now: datetime,
    quoted: int,
) -> tuple[RateOption, str]:
    """The chosen rate and the headline's reason for it."""
    count = _plural(len(allowed), "allowed rate")
    if quoted != len(allowed):
        count = f"{count} ({quoted} quoted)"
    cheapest = min(allowed, key=_cheapest_key(policy))
    if policy.strategy is Strategy.CHEAPEST:
        return cheapest, f"cheapest of {count}"
    due = _deadline_day(deadline, policy.timezone)
    if due is None:
        return cheapest, f"cheapest of {count} (no delivery deadline known)"
    in_time = [
        rate
        for rate in allowed
        if rate.estimated_days is not None
        and estimated_delivery(now, rate.estimated_days, policy.timezone) <= due
    ]
    if in_time:
        best = min(in_time, key=_cheapest_key(policy))
        arriving = _plural(len(in_time), "rate")
        return best, f"cheapest of {arriving} arriving by {due.isoformat()}, of {count}"
    fastest = min(allowed, key=_fastest_key(policy))
    if fastest.estimated_days is None:
        return cheapest, f"cheapest of {count}; no rate gives a delivery estimate"
    days = _plural(fastest.estimated_days, "business day")
    return fastest, f"fastest of {count} ({days}); none arrives by {due.isoformat()}"


def choose_rate(
    rates: Sequence[RateOption],
    policy: RulePolicy,
    *,
    order_facts: OrderFacts,
    deadline: datetime | date | None,
    now: datetime,
) -> Choice:
    """Pick the rate to buy for one order.

    Rates are first filtered (currency, TikTok shipping type, the USPS rule, excluded
    services, maximum price, a SKU override; the first reason that applies is recorded), then
    narrowed to preferred carriers when any remain, then chosen: ``cheapest`` takes the
    lowest amount; ``fastest_in_time`` the cheapest whose estimated delivery (business days
    from today) is on or before ``deadline``'s day, else the fastest.

    Raises:
        ValueError: ``now`` (or a ``deadline`` datetime) is naive.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if not rates:
        return Choice(None, ("No rates were quoted for this parcel.",), ())
    checks = _checks(order_facts, policy, local_date(now, policy.timezone))
    rejected: list[Rejection] = []
    groups: dict[_Group, list[RateOption]] = {}
    allowed: list[RateOption] = []
    for rate in rates:
        hit = next((group for group, rejects in checks if rejects(rate)), None)
        if hit is None:
            allowed.append(rate)
            continue
        rejected.append(Rejection(rate, hit.reason))
        groups.setdefault(hit, []).append(rate)
    notes: list[str] = []
    if policy.preferred_carriers and allowed:
        listed = ", ".join(policy.preferred_carriers)
        preferred = [
            rate for rate in allowed if _rank(policy, rate) < len(policy.preferred_carriers)
        ]
        if preferred:
            others = [rate for rate in allowed if rate not in preferred]
            if others:
                group = _Group("", f"not one of your preferred carriers ({listed})")
                for rate in others:
                    rejected.append(Rejection(rate, group.reason))
                groups.setdefault(group, []).extend(others)
            allowed = preferred
        else:
            notes.append(f"No rate from your preferred carriers ({listed}); all carriers compared.")
    summary = _summary(groups)
    if not allowed:
        which = (
            "the only quoted rate is" if len(rates) == 1 else f"all {len(rates)} quoted rates are"
        )
        headline = f"No rate can be bought: {which} excluded."
        return Choice(None, (headline, *summary, *notes), tuple(rejected))
    chosen, why = _pick(allowed, policy, deadline=deadline, now=now, quoted=len(rates))
    headline = f"{chosen.label} {chosen.price()} — {why}"
    return Choice(chosen, (headline, *summary, *notes), tuple(rejected))
