"""The shared HTTP client factory and retry policy, against ``httpx.MockTransport`` only."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creatorflow import __version__
from creatorflow.errors import ProviderError, RateLimitedError
from creatorflow.integrations.http import (
    DEFAULT_TIMEOUT,
    MAX_RETRY_AFTER,
    NetworkError,
    TransientHTTPError,
    call_with_retries,
    is_transient,
    make_client,
    raise_for_transport,
    retry_after_seconds,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

Step = int | tuple[int, dict[str, str]] | type[httpx.TransportError]


class Fake:
    """A scripted provider: each request takes the next step (status, status+headers, error)."""

    def __init__(self, steps: Iterable[Step]) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []
        self.used: list[Step] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        self.used.append(step)
        if isinstance(step, type):
            raise step("boom", request=request)
        status, headers = step if isinstance(step, tuple) else (step, {})
        return httpx.Response(status, headers=headers, json={"ok": status < 400})

    def call(self, method: str = "GET") -> Callable[[], httpx.Response]:
        """A zero-argument call that sends one request and applies the transport policy."""
        client = make_client("https://api.example.test", transport=httpx.MockTransport(self))

        def send() -> httpx.Response:
            response = client.request(method, "/v1/thing")
            raise_for_transport(response, now=NOW)
            return response

        return send


def upper(low: float, high: float) -> float:
    """Deterministic "jitter": always the bound, so the tests can see it."""
    return high


def test_client_sets_timeouts_user_agent_and_no_redirects() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = make_client(
        "https://api.example.test", headers={"X-Shop": "s1"}, transport=httpx.MockTransport(handler)
    )
    assert client.timeout == DEFAULT_TIMEOUT
    assert (client.timeout.connect, client.timeout.read) == (5.0, 30.0)
    assert (client.timeout.write, client.timeout.pool) == (30.0, 5.0)
    assert client.follow_redirects is False
    client.get("/ping")
    assert seen[0].headers["User-Agent"] == f"creatorflow/{__version__}"
    assert seen[0].headers["X-Shop"] == "s1"
    assert str(seen[0].url) == "https://api.example.test/ping"


def test_custom_timeout_is_used() -> None:
    client = make_client("https://x.test", timeout=httpx.Timeout(1.0))
    assert client.timeout == httpx.Timeout(1.0)


def test_503_twice_then_200_succeeds_after_two_growing_sleeps() -> None:
    fake = Fake([503, 503, 200])
    sleeps: list[float] = []
    response = call_with_retries(fake.call(), idempotent=True, sleep=sleeps.append, uniform=upper)
    assert response.status_code == 200
    assert len(fake.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_default_jitter_stays_within_growing_bounds() -> None:
    fake = Fake([503, 503, 503, 200])
    sleeps: list[float] = []
    call_with_retries(fake.call(), idempotent=True, sleep=sleeps.append)
    assert len(sleeps) == 3
    for n, slept in enumerate(sleeps):
        assert 0.0 <= slept <= 0.5 * 2**n


def test_429_with_retry_after_seconds_sleeps_exactly_that() -> None:
    fake = Fake([(429, {"Retry-After": "7"}), 200])
    sleeps: list[float] = []
    call_with_retries(fake.call(), idempotent=True, sleep=sleeps.append)
    assert sleeps == [7.0]


def test_429_with_http_date_retry_after() -> None:
    response = httpx.Response(
        429, headers={"Retry-After": format_datetime(NOW + timedelta(seconds=42), usegmt=True)}
    )
    assert retry_after_seconds(response, now=NOW) == 42.0
    past = httpx.Response(
        429, headers={"Retry-After": format_datetime(NOW - timedelta(hours=1), usegmt=True)}
    )
    assert retry_after_seconds(past, now=NOW) == 0.0
    far = httpx.Response(
        429, headers={"Retry-After": format_datetime(NOW + timedelta(days=1), usegmt=True)}
    )
    assert retry_after_seconds(far, now=NOW) == MAX_RETRY_AFTER


@pytest.mark.parametrize("value", ["soon", "", "Mon, 99 Foo 20x", "nan", "inf"])
def test_garbage_retry_after_is_none(value: str) -> None:
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": value}), now=NOW) is None


def test_retry_after_absent_negative_and_huge() -> None:
    assert retry_after_seconds(httpx.Response(429), now=NOW) is None
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "-5"}), now=NOW) == 0.0
    assert (
        retry_after_seconds(httpx.Response(429, headers={"Retry-After": "9999"}), now=NOW)
        == MAX_RETRY_AFTER
    )


def test_429_with_garbage_retry_after_falls_back_to_backoff() -> None:
    fake = Fake([(429, {"Retry-After": "later please"}), 200])
    sleeps: list[float] = []
    call_with_retries(fake.call(), idempotent=True, sleep=sleeps.append, uniform=upper)
    assert sleeps == [0.5]


def test_400_is_returned_at_once_without_retry() -> None:
    fake = Fake([400, 200])
    sleeps: list[float] = []
    response = call_with_retries(fake.call(), idempotent=True, sleep=sleeps.append)
    assert response.status_code == 400
    assert len(fake.requests) == 1
    assert sleeps == []


def test_permanent_error_raised_by_fn_is_not_retried() -> None:
    calls: list[int] = []

    def fn() -> None:
        calls.append(1)
        raise ProviderError("bad address")

    with pytest.raises(ProviderError, match="bad address"):
        call_with_retries(fn, idempotent=True, sleep=lambda _: None)
    assert calls == [1]


def test_non_idempotent_503_sends_exactly_one_request() -> None:
    fake = Fake([503, 200])
    sleeps: list[float] = []
    with pytest.raises(TransientHTTPError) as info:
        call_with_retries(fake.call("POST"), idempotent=False, sleep=sleeps.append)
    assert info.value.status == 503
    assert len(fake.requests) == 1
    assert sleeps == []


def test_connect_error_is_retried_then_becomes_network_error_with_hint() -> None:
    fake = Fake([httpx.ConnectError])
    sleeps: list[float] = []
    with pytest.raises(NetworkError) as info:
        call_with_retries(fake.call(), attempts=3, idempotent=True, sleep=sleeps.append)
    assert len(fake.requests) == 3
    assert len(sleeps) == 2
    assert info.value.hint is not None
    assert "connection" in info.value.hint
    assert info.value.may_have_reached_provider is False
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert "api.example.test" in info.value.message


def test_non_idempotent_read_timeout_may_have_reached_provider() -> None:
    fake = Fake([httpx.ReadTimeout, 200])
    with pytest.raises(NetworkError) as info:
        call_with_retries(fake.call("POST"), idempotent=False, sleep=lambda _: None)
    assert len(fake.requests) == 1
    assert info.value.may_have_reached_provider is True
    assert "did not answer in time" in info.value.message


def test_attempts_exhausted_reraises_last_error() -> None:
    fake = Fake([503, 502, 504])
    with pytest.raises(TransientHTTPError) as info:
        call_with_retries(fake.call(), attempts=3, idempotent=True, sleep=lambda _: None)
    assert info.value.status == 504
    assert len(fake.requests) == 3


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="attempts"):
        call_with_retries(lambda: 1, attempts=0, idempotent=True)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ReadTimeout("t"), True),
        (httpx.ConnectError("c"), True),
        (httpx.RemoteProtocolError("r"), True),
        (httpx.UnsupportedProtocol("u"), False),
        (RateLimitedError("slow"), True),
        (NetworkError("n", may_have_reached_provider=False), True),
        (TransientHTTPError("x", status=503), True),
        (TransientHTTPError("x", status=501), False),
        (ProviderError("400"), False),
        (ValueError("v"), False),
    ],
)
def test_is_transient(error: BaseException, expected: bool) -> None:
    assert is_transient(error) is expected


def test_raise_for_transport_maps_statuses() -> None:
    request = httpx.Request("GET", "https://api.example.test/x")
    with pytest.raises(RateLimitedError) as limited:
        raise_for_transport(
            httpx.Response(429, headers={"Retry-After": "3"}, request=request), now=NOW
        )
    assert limited.value.retry_after == 3.0
    with pytest.raises(TransientHTTPError) as server:
        raise_for_transport(httpx.Response(502, request=request), now=NOW)
    assert server.value.status == 502
    for status in (200, 204, 301, 400, 404, 422):
        raise_for_transport(httpx.Response(status, request=request), now=NOW)


step_strategy = st.one_of(
    st.sampled_from([200, 400, 500, 502, 503, 504]),
    st.tuples(
        st.just(429), st.fixed_dictionaries({"Retry-After": st.integers(-10, 1000).map(str)})
    ),
    st.tuples(st.just(429), st.just({"Retry-After": "garbage"})),
    st.sampled_from([httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError]),
)


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(step_strategy, min_size=1, max_size=8),
    attempts=st.integers(1, 6),
    idempotent=st.booleans(),
    max_delay=st.floats(0.0, 60.0),
)
def test_requests_and_sleeps_stay_bounded(
    steps: list[Step], attempts: int, idempotent: bool, max_delay: float
) -> None:
    fake = Fake(steps)
    sleeps: list[float] = []
    with contextlib.suppress(ProviderError):
        call_with_retries(
            fake.call(),
            attempts=attempts,
            idempotent=idempotent,
            sleep=sleeps.append,
            max_delay=max_delay,
        )
    assert 1 <= len(fake.requests) <= (attempts if idempotent else 1)
    assert len(sleeps) == len(fake.requests) - 1
    for slept, step in zip(sleeps, fake.used, strict=False):
        if isinstance(step, tuple) and step[1]["Retry-After"].lstrip("-").isdigit():
            assert slept == min(max(float(step[1]["Retry-After"]), 0.0), MAX_RETRY_AFTER)
        else:
            assert 0.0 <= slept <= max_delay
