"""The entitlement judged offline: active, grace, expired, none; anti-rollback, clock rollback;
and how many orders an approval may take."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from creatorflow.domain.entitlement import (
    CLOCK_TOLERANCE,
    Claims,
    ClaimsError,
    EntitlementState,
    allowance,
    check_newer,
    evaluate,
    next_trusted_time,
    usage_event_id,
)

IAT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _raw(**changes: Any) -> dict[str, Any]:
    base = int(IAT.timestamp())
    raw: dict[str, Any] = {
        "kid": "k1",
        "iss": "creatorflow-billing",
        "sub": "acct_1",
        "aud": "inst_1",
        "iat": base,
        "nbf": base,
        "exp": base + 7 * 86_400,
        "grace_until": base + 14 * 86_400,
        "plan": "growth",
        "order_limit": 100,
        "period_start": base - 5 * 86_400,
        "period_end": base + 25 * 86_400,
        "status": "active",
        "used": 40,
        "jti": "j1",
    }
    raw.update(changes)
    return raw


CLAIMS = Claims.from_mapping(_raw())


def test_claims_are_read_as_aware_times() -> None:
    assert CLAIMS.issued_at == IAT
    assert CLAIMS.expires_at == IAT + 7 * DAY
    assert (CLAIMS.plan, CLAIMS.order_limit, CLAIMS.used) == ("growth", 100, 40)
    assert CLAIMS.subscribed


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "someone-else"},
        {"exp": "soon"},
        {"order_limit": -1},
        {"used": True},
        {"sub": None},
    ],
)
def test_malformed_claims_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ClaimsError):
        Claims.from_mapping(_raw(**changes))


def test_active_between_nbf_and_exp() -> None:
    ent = evaluate(CLAIMS, now=IAT + DAY, trusted_at=IAT)
    assert ent.state is EntitlementState.ACTIVE
    assert ent.counts
    assert (ent.order_limit, ent.used, ent.remaining) == (100, 40, 60)
    assert ent.warnings == ()
    assert ent.reason is None


def test_grace_after_exp_still_counts_with_a_warning() -> None:
    ent = evaluate(CLAIMS, now=IAT + 8 * DAY, trusted_at=IAT)
    assert ent.state is EntitlementState.GRACE
    assert ent.counts
    assert ent.remaining == 60
    assert any("offline" in warning.lower() for warning in ent.warnings)


def test_expired_after_the_grace_period() -> None:
    ent = evaluate(CLAIMS, now=IAT + 14 * DAY + timedelta(seconds=1), trusted_at=IAT)
    assert ent.state is EntitlementState.EXPIRED
    assert not ent.counts
    assert ent.order_limit == 0
    assert ent.remaining == 0
    assert ent.reason is not None
    assert "creatorflow billing status" in ent.reason
    decision = allowance(ent, 3)
    assert decision.allowed == 0
    assert "cannot be checked" in decision.reason(ent)


def test_the_last_instant_of_grace_still_counts() -> None:
    assert evaluate(CLAIMS, now=CLAIMS.grace_until).state is EntitlementState.GRACE
    assert evaluate(CLAIMS, now=CLAIMS.expires_at).state is EntitlementState.ACTIVE


def test_a_clock_set_back_is_treated_as_expired() -> None:
    trusted = IAT + 10 * DAY
    # Set back by more than the tolerance: into the token's "active" window, yet refused.
    now = trusted - CLOCK_TOLERANCE - timedelta(minutes=1)
    ent = evaluate(CLAIMS, now=now, trusted_at=trusted)
    assert ent.state is EntitlementState.EXPIRED
    assert ent.reason is not None
    assert "clock" in ent.reason
    # A clock a little behind (within the tolerance) is fine.
    assert evaluate(CLAIMS, now=trusted - timedelta(hours=1), trusted_at=trusted).counts


def test_a_token_from_the_far_future_means_a_wrong_clock() -> None:
    ent = evaluate(CLAIMS, now=IAT - 3 * DAY)
    assert ent.state is EntitlementState.EXPIRED
    assert ent.reason is not None
    assert "clock" in ent.reason


def test_trusted_time_only_moves_forward() -> None:
    assert next_trusted_time(None, IAT) == IAT
    assert next_trusted_time(IAT, IAT + DAY) == IAT + DAY
    assert next_trusted_time(IAT + DAY, IAT) == IAT + DAY


def test_an_older_token_is_refused_as_rolled_back() -> None:
    check_newer(CLAIMS, None)
    check_newer(CLAIMS, IAT)  # the same instant is not older
    with pytest.raises(ClaimsError, match="rolled-back"):
        check_newer(CLAIMS, IAT + timedelta(seconds=1))


def test_no_token_and_no_subscription_are_none() -> None:
    none = evaluate(None, now=IAT)
    assert none.state is EntitlementState.NONE
    assert allowance(none, 2).allowed == 0
    unsubscribed = Claims.from_mapping(_raw(plan="none", status="none", order_limit=0))
    ent = evaluate(unsubscribed, now=IAT)
    assert ent.state is EntitlementState.NONE
    assert not ent.counts
    decision = allowance(ent, 1)
    assert decision.allowed == 0
    assert "creatorflow billing upgrade" in decision.reason(ent)


def test_past_due_counts_with_a_warning_until_the_dunning_deadline() -> None:
    deadline = IAT + 10 * DAY
    past_due = replace(CLAIMS, status="past_due", expires_at=IAT + 7 * DAY, grace_until=deadline)
    ent = evaluate(past_due, now=IAT + DAY)
    assert ent.state is EntitlementState.ACTIVE
    assert ent.remaining == 60
    assert any("payment failed" in warning for warning in ent.warnings)
    assert evaluate(past_due, now=deadline + timedelta(seconds=1)).state is (
        EntitlementState.EXPIRED
    )


def test_a_canceled_subscription_allows_nothing() -> None:
    canceled = replace(CLAIMS, status="canceled", order_limit=0)
    ent = evaluate(canceled, now=IAT)
    assert ent.state is EntitlementState.ACTIVE
    assert ent.remaining == 0
    decision = allowance(ent, 4)
    assert (decision.allowed, decision.refused) == (0, 4)
    assert "canceled" in decision.reason(ent)
    assert any("canceled" in warning for warning in ent.warnings)


def test_allowance_counts_local_usage_the_token_lacks() -> None:
    ent = evaluate(CLAIMS, now=IAT, pending=55)
    assert ent.remaining == 5
    decision = allowance(ent, 8)
    assert (decision.allowed, decision.refused, decision.used) == (5, 3, 95)
    assert "100 orders" in decision.reason(ent)
    assert "creatorflow billing upgrade" in decision.reason(ent)
    assert allowance(ent, 5).refused == 0
    assert allowance(ent, 0).allowed == 0


def test_usage_beyond_the_limit_leaves_nothing() -> None:
    ent = evaluate(CLAIMS, now=IAT, pending=90)
    assert ent.remaining == 0
    assert allowance(ent, 1).allowed == 0
    assert any("used" in warning for warning in ent.warnings)


def test_naive_times_and_negative_counts_are_bugs() -> None:
    with pytest.raises(ValueError, match="aware"):
        evaluate(CLAIMS, now=datetime(2026, 11, 20))
    with pytest.raises(ValueError, match="negative"):
        evaluate(CLAIMS, now=IAT, pending=-1)
    with pytest.raises(ValueError, match="negative"):
        allowance(evaluate(CLAIMS, now=IAT), -1)


def test_usage_event_id_is_the_contract_hash() -> None:
    expected = hashlib.sha256(b"labelled/7000001/576000000000000001").hexdigest()
    assert usage_event_id("7000001", "576000000000000001") == expected
    assert usage_event_id("7000001", "1") != usage_event_id("7000002", "1")
