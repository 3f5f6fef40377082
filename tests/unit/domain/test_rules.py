"""Rate rules: TikTok's shipping rules first, then the seller's policy, with reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.domain.deadlines import SHOP_TIMEZONE
from creatorflow.domain.guards import OrderFacts
from creatorflow.domain.rules import (
    TIKTOK_SHIPPING,
    Choice,
    RateOption,
    RulePolicy,
    ServiceOverride,
    Strategy,
    TikTokUspsRule,
    choose_rate,
    is_tiktok_shipping,
    is_usps,
)
from creatorflow.domain.stages import Stage

D = Decimal
NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # Monday 10:00 in Los Angeles
BEFORE_RULE = datetime(2025, 12, 15, 18, 0, tzinfo=UTC)

FACTS = OrderFacts(
    order_id="576000000000000001",
    status="AWAITING_SHIPMENT",
    stage=Stage.APPROVED,
    address_masked=False,
    buyer_cancel_requested=False,
    shipping_type="SELLER",
    region="US",
    country="US",
    has_ship_to_address=True,
    missing_weight_skus=(),
    units=1,
    plan_order_limit=None,
    orders_used_this_period=0,
    already_labelled=False,
    skus=("TEE-BLK-M", "MUG-01"),
)


def rate(
    provider: str,
    carrier: str,
    service: str,
    amount: str,
    days: int | None = 3,
    token: str | None = None,
    currency: str = "USD",
) -> RateOption:
    return RateOption(
        provider=provider,
        carrier=carrier,
        service=service,
        service_token=token or f"{carrier}_{service}".lower().replace(" ", "_"),
        amount=D(amount),
        currency=currency,
        estimated_days=days,
        rate_id=f"{provider}-{carrier}-{service}-{amount}",
    )


SHIPPO_GA = rate("shippo", "USPS", "Ground Advantage", "4.85", 3, "usps_ground_advantage")
EASYPOST_PRIORITY = rate("easypost", "USPS", "Priority", "8.10", 2, "Priority")
SHIPPO_UPS = rate("shippo", "UPS", "Ground", "9.20", 4, "ups_ground")
EASYPOST_FEDEX = rate("easypost", "FedEx", "Home Delivery", "9.20", 3, "FEDEX_HOME_DELIVERY")
TIKTOK_GA = rate(TIKTOK_SHIPPING, "USPS", "Ground Advantage", "4.95", 3, "usps_ga")
UPS_2DAY = rate("easypost", "UPS", "2nd Day Air", "14.50", 2, "2ndDayAir")
RATES = [SHIPPO_GA, EASYPOST_PRIORITY, SHIPPO_UPS, EASYPOST_FEDEX, TIKTOK_GA, UPS_2DAY]


def choose(
    rates: list[RateOption] = RATES,
    policy: RulePolicy | None = None,
    *,
    facts: OrderFacts = FACTS,
    deadline: datetime | date | None = None,
    now: datetime = NOW,
) -> Choice:
    return choose_rate(rates, policy or RulePolicy(), order_facts=facts, deadline=deadline, now=now)


def test_cheapest_under_the_usps_rule_explains_itself() -> None:
    choice = choose()
    assert choice.rate == TIKTOK_GA
    assert choice.explanation == (
        "USPS Ground Advantage via TikTok Shipping $4.95 — cheapest of 4 allowed rates (6 quoted)",
        "2 USPS rates excluded: US TikTok orders must use TikTok Shipping for USPS since "
        "2026-01-01.",
    )
    assert [(r.rate, r.reason) for r in choice.rejected] == [
        (SHIPPO_GA, "US TikTok orders must use TikTok Shipping for USPS since 2026-01-01"),
        (EASYPOST_PRIORITY, "US TikTok orders must use TikTok Shipping for USPS since 2026-01-01"),
    ]


def test_before_the_rule_outside_usps_is_allowed() -> None:
    choice = choose(now=BEFORE_RULE)
    assert choice.rate == SHIPPO_GA
    assert choice.explanation == (
        "USPS Ground Advantage via Shippo $4.85 — cheapest of 6 allowed rates",
    )
    assert choice.rejected == ()


@pytest.mark.parametrize(
    ("now", "applies"),
    [
        (datetime(2026, 1, 1, 7, 59, tzinfo=UTC), False),  # 23:59 on 31 Dec in Los Angeles
        (datetime(2026, 1, 1, 8, 0, tzinfo=UTC), True),
    ],
)
def test_the_rule_starts_on_the_pacific_day(now: datetime, applies: bool) -> None:
    assert (choose(now=now).rate == TIKTOK_GA) is applies


def test_the_rule_is_data_switchable_by_region_date_and_flag() -> None:
    assert choose(policy=RulePolicy(usps_rule=TikTokUspsRule(enabled=False))).rate == SHIPPO_GA
    assert choose(facts=replace(FACTS, region="GB", country="GB")).rate == SHIPPO_GA
    later = TikTokUspsRule(effective_from=date(2026, 6, 1))
    assert choose(policy=RulePolicy(usps_rule=later)).rate == SHIPPO_GA
    uk = TikTokUspsRule(region="GB")
    assert choose(facts=replace(FACTS, region="gb"), policy=RulePolicy(usps_rule=uk)).rate == (
        TIKTOK_GA
    )


def test_tiktok_shipping_type_only_takes_tiktok_labels() -> None:
    facts = replace(FACTS, shipping_type="TIKTOK")
    choice = choose(facts=facts, now=BEFORE_RULE)
    assert choice.rate == TIKTOK_GA
    assert choice.explanation[1] == (
        "5 non-TikTok Shipping rates excluded: this order's shipping type is TIKTOK, so it "
        "ships on a TikTok Shipping label."
    )
    choice = choose([SHIPPO_UPS], facts=facts)
    assert choice.rate is None
    assert choice.explanation[0] == "No rate can be bought: the only quoted rate is excluded."


def test_no_rates() -> None:
    assert choose([]) == Choice(None, ("No rates were quoted for this parcel.",), ())


def test_ties_break_on_days_then_names() -> None:
    # UPS Ground and FedEx Home both cost $9.20: FedEx is a day faster.
    choice = choose([SHIPPO_UPS, EASYPOST_FEDEX])
    assert choice.rate == EASYPOST_FEDEX
    same = replace(SHIPPO_UPS, estimated_days=3)
    assert choose([same, EASYPOST_FEDEX]).rate == EASYPOST_FEDEX  # "easypost" < "shippo"
    assert choose([EASYPOST_FEDEX, same]).rate == EASYPOST_FEDEX


def test_excluded_services_match_name_token_or_carrier_and_name() -> None:
    for name in ("Home Delivery", "fedex_home_delivery", "FedEx Home Delivery"):
        policy = RulePolicy(excluded_services=frozenset({name}))
        choice = choose([SHIPPO_UPS, EASYPOST_FEDEX], policy)
        assert choice.rate == SHIPPO_UPS
        assert choice.explanation[1] == "1 rate excluded: service excluded by your rules."


def test_max_price() -> None:
    choice = choose([SHIPPO_UPS, UPS_2DAY], RulePolicy(max_price=D("9.00")))
    assert choice.rate is None
    assert choice.explanation == (
        "No rate can be bought: all 2 quoted rates are excluded.",
        "2 rates excluded: above your maximum of $9.00.",
    )


def test_other_currencies_are_not_compared() -> None:
    cad = rate("easypost", "UPS", "Ground", "1.00", currency="CAD")
    assert choose([cad, SHIPPO_UPS]).rate == SHIPPO_UPS


def test_sku_override_is_required() -> None:
    overrides = {"MUG-01": ServiceOverride(carrier="UPS", service="2nd Day Air")}
    choice = choose(policy=RulePolicy(sku_overrides=overrides))
    assert choice.rate == UPS_2DAY
    assert "3 rates excluded: SKU MUG-01 must ship with UPS 2nd Day Air." in choice.explanation
    impossible = {"TEE-BLK-M": ServiceOverride(provider="shippo", service="usps_priority")}
    choice = choose(policy=RulePolicy(sku_overrides={**impossible, **overrides}))
    assert choice.rate is None  # the order's first SKU with an override decides
    assert choice.explanation[-1] == (
        "4 rates excluded: SKU TEE-BLK-M must ship with usps_priority via shippo."
    )
    tiktok = {"MUG-01": ServiceOverride(provider="tiktok")}
    assert choose(policy=RulePolicy(sku_overrides=tiktok), now=BEFORE_RULE).rate == TIKTOK_GA
    with pytest.raises(ValueError):
        ServiceOverride()


def test_preferred_carriers_narrow_the_choice() -> None:
    policy = RulePolicy(preferred_carriers=("FedEx", "UPS"))
    choice = choose(policy=policy)
    assert choice.rate == EASYPOST_FEDEX
    assert choice.explanation[-1] == (
        "1 rate excluded: not one of your preferred carriers (FedEx, UPS)."
    )
    ups_first = RulePolicy(preferred_carriers=("UPS", "FedEx"))
    same = replace(SHIPPO_UPS, estimated_days=3)
    assert choose([EASYPOST_FEDEX, same], ups_first).rate == same  # preference breaks the tie
    choice = choose([SHIPPO_GA], RulePolicy(preferred_carriers=("DHL",)), now=BEFORE_RULE)
    assert choice.rate == SHIPPO_GA
    assert (
        choice.explanation[-1]
        == "No rate from your preferred carriers (DHL); all carriers compared."
    )


def test_fastest_in_time_takes_the_cheapest_that_arrives() -> None:
    policy = RulePolicy(strategy=Strategy.FASTEST_IN_TIME)
    # Monday + 3 business days = Thursday 5 March.
    choice = choose(policy=policy, deadline=date(2026, 3, 5))
    assert choice.rate == TIKTOK_GA
    assert choice.explanation[0] == (
        "USPS Ground Advantage via TikTok Shipping $4.95 — cheapest of 3 rates arriving by "
        "2026-03-05, of 4 allowed rates (6 quoted)"
    )
    choice = choose(policy=policy, deadline=datetime(2026, 3, 4, 23, 0, tzinfo=SHOP_TIMEZONE))
    assert choice.rate == UPS_2DAY
    choice = choose(policy=policy, deadline=date(2026, 3, 3))
    assert choice.rate == UPS_2DAY  # nothing arrives in one day: the fastest
    assert choice.explanation[0].endswith(
        "fastest of 4 allowed rates (6 quoted) (2 business days); none arrives by 2026-03-03"
    )
    choice = choose(policy=policy, deadline=None)
    assert choice.rate == TIKTOK_GA
    assert choice.explanation[0].endswith("(no delivery deadline known)")


def test_fastest_in_time_without_estimates_falls_back_to_cheapest() -> None:
    policy = RulePolicy(strategy=Strategy.FASTEST_IN_TIME)
    blind = [replace(SHIPPO_UPS, estimated_days=None), replace(UPS_2DAY, estimated_days=None)]
    choice = choose(blind, policy, deadline=date(2026, 3, 20))
    assert choice.rate == blind[0]
    assert choice.explanation[0].endswith("no rate gives a delivery estimate")


def test_helpers() -> None:
    assert is_usps(SHIPPO_GA)
    assert is_usps(rate("shippo", "Postal", "x", "1", token="usps_priority"))
    assert not is_usps(SHIPPO_UPS)
    assert is_tiktok_shipping("TikTok")
    assert is_tiktok_shipping("tiktok_shipping")
    assert not is_tiktok_shipping("shippo")
    assert EASYPOST_FEDEX.label == "FedEx Home Delivery via EasyPost"
    assert rate("acme", "X", "Y", "1").label == "X Y via acme"
    with pytest.raises(ValueError):
        rate("shippo", "UPS", "Ground", "-1")
    with pytest.raises(ValueError, match="timezone-aware"):
        choose(now=datetime(2026, 3, 2))


# --- properties -----------------------------------------------------------------------------

providers = st.sampled_from(["shippo", "easypost", TIKTOK_SHIPPING])
carriers = st.sampled_from(["USPS", "UPS", "FedEx", "DHL"])
rate_options = st.builds(
    RateOption,
    provider=providers,
    carrier=carriers,
    service=st.sampled_from(["Ground", "Priority", "Express"]),
    service_token=st.sampled_from(["a", "b", "c"]),
    amount=st.decimals(min_value=D(0), max_value=D(100), places=2),
    currency=st.just("USD"),
    estimated_days=st.none() | st.integers(0, 9),
)
moments = st.datetimes(
    min_value=datetime(2025, 6, 1), max_value=datetime(2026, 6, 1), timezones=st.just(UTC)
)


@given(st.lists(rate_options, max_size=12), moments, st.booleans())
def test_cheapest_picks_the_minimum_allowed_amount(
    rates: list[RateOption], now: datetime, us: bool
) -> None:
    facts = replace(FACTS, region="US" if us else "GB")
    choice = choose(rates, facts=facts, now=now)
    rejected = [rejection.rate for rejection in choice.rejected]
    allowed = [r for r in rates if r not in rejected]
    if not allowed:
        assert choice.rate is None
        return
    assert choice.rate is not None
    assert choice.rate.amount == min(r.amount for r in allowed)
    assert len(choice.rejected) + len(allowed) == len(rates)
    assert choose(list(reversed(rates)), facts=facts, now=now).rate == choice.rate


@given(st.lists(rate_options, max_size=12), moments)
def test_usps_rule_rejects_every_outside_usps_rate_after_its_date(
    rates: list[RateOption], now: datetime
) -> None:
    choice = choose(rates, now=now)
    in_force = now.astimezone(SHOP_TIMEZONE).date() >= date(2026, 1, 1)
    by_usps_rule = {
        rejection.rate for rejection in choice.rejected if "USPS since" in rejection.reason
    }
    outside_usps = {r for r in rates if is_usps(r) and not is_tiktok_shipping(r.provider)}
    assert by_usps_rule == (outside_usps if in_force else set())
    if choice.rate is not None and in_force:
        assert choice.rate not in outside_usps
