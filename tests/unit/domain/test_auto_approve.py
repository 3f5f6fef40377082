"""The auto-approve rules: units, ship-to country, buyer message, each with its switch."""

from __future__ import annotations

import pytest

from creatorflow.domain.auto_approve import (
    AutoApproveFacts,
    AutoApproveRules,
    AutoRefusalCode,
    auto_refusals,
)

RULES = AutoApproveRules(max_units=3)


def _facts(**changes: object) -> AutoApproveFacts:
    values: dict[str, object] = {
        "order_id": "576001",
        "units": 1,
        "country": "US",
        "buyer_message": None,
    }
    values.update(changes)
    return AutoApproveFacts(**values)  # type: ignore[arg-type]


def _codes(facts: AutoApproveFacts, rules: AutoApproveRules = RULES) -> set[AutoRefusalCode]:
    return {refusal.code for refusal in auto_refusals(facts, rules)}


def test_a_small_us_order_without_a_message_passes() -> None:
    assert auto_refusals(_facts(), RULES) == ()


@pytest.mark.parametrize(("units", "passes"), [(3, True), (4, False)])
def test_units_are_capped_inclusively(units: int, passes: bool) -> None:
    assert (_codes(_facts(units=units)) == set()) is passes


def test_too_many_units_says_the_limit() -> None:
    (refusal,) = auto_refusals(_facts(units=7), RULES)
    assert refusal.code is AutoRefusalCode.TOO_MANY_UNITS
    assert "7 units" in refusal.reason
    assert "(3)" in refusal.reason


@pytest.mark.parametrize("country", ["CA", None, ""])
def test_outside_or_unknown_country_is_refused_when_us_only(country: str | None) -> None:
    assert _codes(_facts(country=country)) == {AutoRefusalCode.OUTSIDE_US}


def test_country_codes_are_compared_without_case_or_spaces() -> None:
    assert _codes(_facts(country=" us ")) == set()


def test_us_only_switched_off_lets_any_country_through() -> None:
    rules = AutoApproveRules(max_units=3, us_only=False)
    assert _codes(_facts(country="GB"), rules) == set()


@pytest.mark.parametrize(("message", "refused"), [("Gift wrap please", True), ("  \n", False)])
def test_a_buyer_message_is_left_for_a_person(message: str, refused: bool) -> None:
    assert (AutoRefusalCode.BUYER_MESSAGE in _codes(_facts(buyer_message=message))) is refused


def test_messages_allowed_when_that_rule_is_off() -> None:
    rules = AutoApproveRules(max_units=3, without_buyer_message=False)
    assert _codes(_facts(buyer_message="hello"), rules) == set()


def test_every_broken_rule_is_reported() -> None:
    facts = _facts(units=9, country="MX", buyer_message="hola")
    assert _codes(facts) == set(AutoRefusalCode)


def test_the_rules_refuse_a_cap_below_one() -> None:
    with pytest.raises(ValueError, match="max_units"):
        AutoApproveRules(max_units=0)


def test_the_approval_reason_names_the_active_rules() -> None:
    assert RULES.describe() == (
        "Auto-approved (approve.auto): at most 3 units, ships to the US, no buyer message."
    )
    loose = AutoApproveRules(max_units=1, us_only=False, without_buyer_message=False)
    assert loose.describe() == "Auto-approved (approve.auto): at most 1 unit."
