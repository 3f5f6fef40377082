"""The billing client against scripted answers: device polling (interval, slow_down, expiry,
denial, Ctrl-C), error mapping, retries of idempotent calls, batch size."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from creatorflow.errors import AuthError, RateLimitedError, UsageError
from creatorflow.integrations.billing.client import (
    MAX_BATCH,
    BillingClient,
    BillingRefused,
    DeviceCode,
    DeviceGrant,
    DeviceLoginFailed,
    UsageEventOut,
)

CODE = DeviceCode(
    "dev-secret", "WDJB-MJHT", "https://b.test/device", "https://b.test/device?u", 60, 5
)
GRANT = {"install_token": "cfi_secret", "install_id": "inst_1", "account_id": "acct_1"}

Handler = Callable[[httpx.Request], httpx.Response]


def _error(code: str, status: int = 400, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": code, "message": code}, headers=headers)


class Recorder:
    """A scripted service: answers in order, records requests and sleeps."""

    def __init__(self, answers: list[httpx.Response]) -> None:
        self.answers: Iterator[httpx.Response] = iter(answers)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.clock = 0.0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return next(self.answers)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock += seconds

    def client(self, token: str | None = "cfi_secret") -> BillingClient:  # noqa: S107
        return BillingClient(
            "https://b.test/", token=token, transport=httpx.MockTransport(self), sleep=self.sleep
        )


def test_device_login_polls_at_the_interval_and_slows_down_when_asked() -> None:
    service = Recorder(
        [
            _error("authorization_pending"),
            _error("slow_down"),
            _error("authorization_pending"),
            httpx.Response(200, json=GRANT),
        ]
    )
    with service.client(token=None) as client:
        grant = client.wait_for_device_token(CODE, monotonic=lambda: service.clock)
    assert grant == DeviceGrant("cfi_secret", "inst_1", "acct_1")
    assert "cfi_secret" not in repr(grant)
    assert service.sleeps == [5, 5, 10, 10]
    bodies = [json.loads(r.content) for r in service.requests]
    assert bodies == [{"device_code": "dev-secret"}] * 4
    assert "authorization" not in service.requests[0].headers


@pytest.mark.parametrize(
    ("code", "words"), [("access_denied", "denied"), ("expired_token", "expired")]
)
def test_denied_or_expired_logins_end_with_an_auth_error(code: str, words: str) -> None:
    service = Recorder([_error("authorization_pending"), _error(code)])
    with (
        service.client(token=None) as client,
        pytest.raises(DeviceLoginFailed, match=words) as info,
    ):
        client.wait_for_device_token(CODE, monotonic=lambda: service.clock)
    assert isinstance(info.value, AuthError)
    assert info.value.hint is not None
    assert "creatorflow billing login" in info.value.hint


def test_the_local_deadline_ends_a_login_nobody_approves() -> None:
    service = Recorder([_error("authorization_pending")] * 100)
    with service.client(token=None) as client, pytest.raises(DeviceLoginFailed, match="expired"):
        client.wait_for_device_token(CODE, monotonic=lambda: service.clock)
    assert len(service.requests) == 12  # 60 s at 5 s


def test_stopping_interrupts_the_wait() -> None:
    service = Recorder([_error("authorization_pending")] * 3)
    polls: list[int] = []

    def stopping() -> bool:
        polls.append(1)
        return len(polls) > 2

    with service.client(token=None) as client, pytest.raises(KeyboardInterrupt):
        client.wait_for_device_token(CODE, monotonic=lambda: service.clock, stopping=stopping)
    assert len(service.requests) == 2


def test_an_unknown_install_token_asks_for_a_new_login() -> None:
    service = Recorder([_error("invalid_token", 401)])
    with service.client() as client, pytest.raises(AuthError) as info:
        client.entitlement()
    assert info.value.hint is not None
    assert "creatorflow billing login" in info.value.hint
    assert service.requests[0].headers["authorization"] == "Bearer cfi_secret"


def test_usage_batches_are_retried_after_a_rate_limit() -> None:
    ack = {"accepted": 1, "duplicates": 0, "period_used": 7, "order_limit": 100, "token": "t"}
    service = Recorder(
        [_error("rate_limited", 429, **{"Retry-After": "3"}), httpx.Response(200, json=ack)]
    )
    event = UsageEventOut("a" * 64, "576", datetime(2026, 11, 20, tzinfo=UTC))
    with service.client() as client:
        got = client.post_usage([event])
    assert (got.accepted, got.period_used, got.token) == (1, 7, "t")
    assert service.sleeps == [3.0]
    sent = json.loads(service.requests[1].content)
    assert sent == {
        "events": [{"id": "a" * 64, "order_id": "576", "occurred_at": "2026-11-20T00:00:00+00:00"}]
    }


def test_a_lasting_rate_limit_is_raised() -> None:
    service = Recorder([_error("rate_limited", 429, **{"Retry-After": "1"})] * 3)
    with service.client() as client, pytest.raises(RateLimitedError):
        client.usage()


def test_batches_are_at_most_500_events() -> None:
    event = UsageEventOut("a" * 64, "1", datetime(2026, 11, 20, tzinfo=UTC))
    with Recorder([]).client() as client, pytest.raises(ValueError, match="500"):
        client.post_usage([event] * (MAX_BATCH + 1))


def test_checkout_refusals_are_explained() -> None:
    service = Recorder([_error("unknown_plan", 404), _error("already_subscribed", 409)])
    with service.client() as client:
        with pytest.raises(UsageError, match="no plan called 'gold'"):
            client.checkout("gold")
        with pytest.raises(BillingRefused) as info:
            client.checkout("growth")
    assert info.value.code == "already_subscribed"
    assert len(service.requests) == 2  # a checkout is never retried


def test_a_malformed_answer_is_a_provider_error() -> None:
    service = Recorder([httpx.Response(200, json={"token": 5})])
    with service.client() as client, pytest.raises(Exception, match="valid 'token'"):
        client.entitlement()


def test_usage_period_times_are_aware() -> None:
    body = {"period_start": 1_780_000_000, "period_end": 1_782_592_000, "used": 3, "order_limit": 9}
    service = Recorder([httpx.Response(200, json=body)])
    with service.client() as client:
        period = client.usage()
    assert period.period_start == datetime.fromtimestamp(1_780_000_000, UTC)
    assert (period.used, period.order_limit) == (3, 9)
