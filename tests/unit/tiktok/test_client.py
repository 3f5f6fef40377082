"""The TikTok client core, shops and orders, against a scripted TikTok (httpx.MockTransport)."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from creatorflow.errors import AuthError, ExitCode, ProviderError, RateLimitedError
from creatorflow.integrations.http import NetworkError, TransientHTTPError
from creatorflow.integrations.tiktok.client import OrderPage, TikTokClient
from creatorflow.integrations.tiktok.errors import TikTokApiError, TikTokTransientError
from creatorflow.integrations.tiktok.models import TikTokDecodeError
from creatorflow.integrations.tiktok.oauth import TokenKeeper
from tests.unit.tiktok.test_client_fakes import (
    ACCESS,
    API,
    APP_KEY,
    APP_SECRET,
    NOW,
    REFRESH,
    Answer,
    Clock,
    Harness,
    assert_signed,
    fail,
    ok,
    spec_body,
    token_answer,
    tokens,
)

CIPHER = "ROW_cipher+/="
TOKEN = "6AsPQsUMvH3RkchNUPPh22NROHkE0D8pmq/N5M1kHYcZmtRyv9aVrNv65W7Q6tFA+7D1ud64MPNz5OaT"


def order(order_id: str, **extra: object) -> dict[str, object]:
    return {"id": order_id, "status": "AWAITING_SHIPMENT", "update_time": 1700000000, **extra}


# --- Request shape ---------------------------------------------------------------------------


def test_authorized_shops_request_and_result() -> None:
    h = Harness([spec_body("authorization/get-authorized-shops")])
    shops = h.client.authorized_shops()
    assert [(s.id, s.cipher, s.region) for s in shops] == [
        ("7000714532876273420", "GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3", "GB")
    ]
    request = h.api.last
    assert (request.method, request.url.path) == ("GET", "/authorization/202309/shops")
    assert str(request.url).startswith(f"{API}/authorization/202309/shops?")
    assert set(request.url.params) == {"app_key", "timestamp", "sign"}  # no shop_cipher
    assert 0 <= int(request.url.params["timestamp"]) - NOW.timestamp() < 10
    assert request.content == b""
    assert_signed(request)


def test_search_orders_request_shape() -> None:
    h = Harness([ok({"orders": [], "total_count": 0})])
    page = h.client.search_orders(CIPHER, update_time_ge=1700000000, update_time_lt=1700003600)
    request = h.api.last
    assert (request.method, request.url.path) == ("POST", "/order/202309/orders/search")
    params = dict(request.url.params)
    assert params.pop("sign")
    assert 0 <= int(params.pop("timestamp")) - NOW.timestamp() < 10
    assert params == {
        "app_key": APP_KEY,
        "shop_cipher": CIPHER,
        "page_size": "100",
        "sort_field": "update_time",
        "sort_order": "ASC",
    }
    assert request.content == b'{"update_time_ge":1700000000,"update_time_lt":1700003600}'
    assert_signed(request)
    assert page == OrderPage([], [], None, 0)


def test_search_orders_without_filters_sends_an_empty_object() -> None:
    h = Harness([ok({"orders": []})])
    h.client.search_orders(CIPHER, order_status="", page_token="")
    assert h.api.last.content == b"{}"
    assert "page_token" not in h.api.last.url.params
    assert_signed(h.api.last)


def test_page_token_is_encoded_in_the_url_and_signed_raw() -> None:
    h = Harness([ok({"orders": [], "next_page_token": "b/c+d="})])
    page = h.client.search_orders(CIPHER, page_token=TOKEN, page_size=20, sort_order="DESC")
    request = h.api.last
    raw_query = request.url.query.decode()
    assert "%2B7D1ud64MPNz5OaT" in raw_query
    assert "+" not in raw_query
    assert request.url.params["page_token"] == TOKEN
    assert request.url.params["page_size"] == "20"
    assert request.url.params["shop_cipher"] == CIPHER
    assert_signed(request)
    assert page.next_page_token == "b/c+d="


@pytest.mark.parametrize("data", [{"orders": [], "next_page_token": ""}, {"orders": []}, None])
def test_last_page_has_no_token(data: object) -> None:
    h = Harness([ok(data)])
    assert h.client.search_orders(CIPHER).next_page_token is None


def test_non_ascii_body_is_sent_as_signed() -> None:
    h = Harness([ok({"orders": []})])
    h.client.search_orders(CIPHER, order_status="ÄWAITING")
    assert h.api.last.content == '{"order_status":"ÄWAITING"}'.encode()
    assert_signed(h.api.last)


def test_page_size_is_checked() -> None:
    h = Harness([ok({"orders": []})])
    with pytest.raises(ValueError, match="page_size"):
        h.client.search_orders(CIPHER, page_size=101)
    assert h.api.requests == []


def test_order_details_batches_by_fifty_and_merges() -> None:
    ids = [str(576461413038785000 + n) for n in range(120)]
    answers = [ok({"orders": [order(i) for i in ids[s : s + 50]]}) for s in (0, 50, 100)]
    h = Harness(answers)
    page = h.client.order_details(CIPHER, [*ids, ids[0]])
    assert [len(r.url.params["ids"].split(",")) for r in h.api.requests] == [50, 50, 20]
    for request in h.api.requests:
        assert (request.method, request.url.path) == ("GET", "/order/202309/orders")
        assert request.content == b""
        assert_signed(request)
    assert h.api.requests[2].url.params["ids"] == ",".join(ids[100:])
    assert [d.order.id for d in page.orders] == ids
    assert page.rejected == []
    assert page.next_page_token is None


def test_order_details_of_nothing_sends_nothing() -> None:
    h = Harness([ok({"orders": []})])
    assert h.client.order_details(CIPHER, []).orders == []
    assert h.api.requests == []
    with pytest.raises(TypeError):
        h.client.order_details(CIPHER, "123")


def test_reference_order_examples_come_through_the_client() -> None:
    h = Harness([spec_body("orders/get-order-list"), spec_body("orders/get-order-detail")])
    listed = h.client.search_orders(CIPHER)
    assert listed.total_count == 22113
    assert listed.next_page_token is not None
    assert "/" in listed.next_page_token
    assert listed.orders[0].order.id == "576461413038785752"
    detail = h.client.order_details(CIPHER, ["576461413038785752"])
    assert detail.orders[0].order.packages[0].id == "1152321127278713123"
    assert json.loads(detail.orders[0].raw)["id"] == "576461413038785752"


# --- Per-order quarantine --------------------------------------------------------------------


def test_one_malformed_order_does_not_fail_the_page() -> None:
    good = b'{"id":"1","status":"AWAITING_SHIPMENT","line_items":[{"id":"l1","sku_id":"s"}]}'
    wrong_type = b'{"id":"2","create_time":"yesterday"}'
    no_id = b'{"status":"UNPAID"}'
    numeric_id = b'{"id":3,"status":"UNPAID"}'
    body = (
        b'{"code":0,"message":"Success","request_id":"r","data":{"orders":['
        + b",".join([good, wrong_type, no_id, numeric_id, b'"junk"'])
        + b'],"next_page_token":"n","total_count":5}}'
    )
    h = Harness([body])
    page = h.client.search_orders(CIPHER)
    assert [(d.order.id, d.raw) for d in page.orders] == [("1", good)]
    assert [r.raw for r in page.rejected] == [wrong_type, no_id, numeric_id, b'"junk"']
    assert [r.external_id for r in page.rejected] == ["2", None, "3", None]
    assert "create_time" in page.rejected[0].reason
    assert "id" in page.rejected[1].reason
    assert (page.next_page_token, page.total_count) == ("n", 5)


def test_a_page_that_is_not_a_page_is_a_decode_error() -> None:
    h = Harness([ok({"orders": {"not": "a list"}})])
    with pytest.raises(TikTokDecodeError, match=r"\$\.data\.orders"):
        h.client.search_orders(CIPHER)


# --- Retries ---------------------------------------------------------------------------------


def test_transient_failures_are_retried_with_fresh_signatures() -> None:
    h = Harness(
        [
            (502, b"<html>bad gateway</html>"),
            (200, fail(36009003, "Internal error")),
            httpx.ConnectError,
            ok({"orders": [order("9")]}),
        ]
    )
    page = h.client.search_orders(CIPHER, update_time_ge=1)
    assert [d.order.id for d in page.orders] == ["9"]
    assert len(h.api.requests) == 4
    assert len(h.sleeps) == 3
    assert all(0 <= s <= 30 for s in h.sleeps)
    stamps = [r.url.params["timestamp"] for r in h.api.requests]
    assert len(set(stamps)) == 4
    for request in h.api.requests:
        assert_signed(request)
        assert request.content == b'{"update_time_ge":1}'


def test_request_timeout_code_is_retried() -> None:
    h = Harness([(200, fail(36009007, "Request timeout")), ok({"shops": []})])
    assert h.client.authorized_shops() == []
    assert len(h.sleeps) == 1


def test_retry_budget_is_four_attempts() -> None:
    h = Harness([(503, fail(36009003, "Internal error"))])
    with pytest.raises(TikTokTransientError) as caught:
        h.client.authorized_shops()
    assert len(h.api.requests) == 4
    assert len(h.sleeps) == 3
    assert caught.value.code == 36009003
    assert caught.value.http_status == 503
    assert "req-err" in caught.value.message


def test_rate_limits_honour_retry_after() -> None:
    h = Harness(
        [
            (429, fail(36009002, "Too many requests"), {"Retry-After": "7"}),
            (200, fail(36009002, "Too many requests"), {"Retry-After": "2"}),
            (429, b"slow down", {"Retry-After": "3"}),
            ok({"shops": []}),
        ]
    )
    assert h.client.authorized_shops() == []
    assert h.sleeps == [7.0, 2.0, 3.0]


def test_rate_limit_error_when_retries_run_out() -> None:
    h = Harness([(429, fail(36009002, "Too many requests"), {"Retry-After": "1"})])
    with pytest.raises(RateLimitedError) as caught:
        h.client.authorized_shops()
    assert caught.value.retry_after == 1.0
    assert "36009002" in caught.value.message


@pytest.mark.parametrize(
    "failure",
    [(503, b"unavailable"), (500, fail(36009003, "Internal error")), httpx.ReadTimeout],
)
def test_label_purchase_and_tracking_upload_are_never_retried(failure: object) -> None:
    for call in ("mark", "create"):
        h = Harness([failure])  # type: ignore[list-item]

        def send(h: Harness = h, call: str = call) -> object:
            if call == "mark":
                return h.client.mark_package_shipped(
                    CIPHER, "576", tracking_number="1Z", shipping_provider_id="p"
                )
            return h.client.create_packages(CIPHER, "576", shipping_service_id="svc")

        with pytest.raises((TransientHTTPError, NetworkError)) as caught:
            send()
        assert len(h.api.requests) == 1
        assert h.sleeps == []
        if isinstance(caught.value, NetworkError):
            assert caught.value.may_have_reached_provider


def test_update_shipping_info_is_never_retried() -> None:
    h = Harness([(200, fail(36009003, "Internal error"))])
    with pytest.raises(TikTokTransientError):
        h.client.update_shipping_info(CIPHER, "576", tracking_number="1Z", shipping_provider_id="p")
    assert len(h.api.requests) == 1


# --- Tokens ----------------------------------------------------------------------------------


def test_expired_token_is_refreshed_once_and_the_call_retried() -> None:
    h = Harness(
        [(401, fail(105002, "Access token is expired")), ok({"shops": []})],
        auth_answers=[token_answer()],
    )
    assert h.client.authorized_shops() == []
    first, second = h.api.requests
    assert_signed(first, token=ACCESS)
    assert_signed(second, token="TTP_access_new")
    (refresh,) = h.auth_fake.requests
    assert refresh.url.path == "/api/v2/token/refresh"
    assert refresh.url.params["refresh_token"] == REFRESH
    assert refresh.url.params["grant_type"] == "refresh_token"
    (saved,) = h.refreshed
    assert (saved.access_token, saved.refresh_token) == ("TTP_access_new", "TTP_refresh_new")
    assert saved.access_token_expires_at == NOW + timedelta(days=7)


def test_expired_token_on_a_write_is_retried_once_too() -> None:
    h = Harness(
        [fail(105002, "Access token is expired"), ok({"order_id": "576", "package_id": "p1"})],
        auth_answers=[token_answer()],
    )
    result = h.client.mark_package_shipped(
        CIPHER, "576", tracking_number="1Z", shipping_provider_id="p"
    )
    assert result.package_id == "p1"
    assert len(h.api.requests) == 2
    assert h.api.requests[0].content == h.api.requests[1].content
    assert_signed(h.api.requests[1], token="TTP_access_new")


def test_second_expiry_is_an_auth_error() -> None:
    h = Harness([fail(105002, "Access token is expired")], auth_answers=[token_answer()])
    with pytest.raises(AuthError) as caught:
        h.client.authorized_shops()
    assert caught.value.exit_code == ExitCode.AUTH == 3
    assert "creatorflow connect tiktok" in (caught.value.hint or "")
    assert len(h.api.requests) == 2
    assert len(h.auth_fake.requests) == 1


def test_failed_refresh_asks_to_reconnect() -> None:
    h = Harness(
        [fail(105002, "Access token is expired")],
        auth_answers=[fail(36004005, "can not find related auth record")],
    )
    with pytest.raises(AuthError) as caught:
        h.client.authorized_shops()
    assert caught.value.exit_code == 3
    assert caught.value.title == "Reconnect TikTok"
    assert "creatorflow connect tiktok" in (caught.value.hint or "")
    assert len(h.api.requests) == 1
    assert h.refreshed == []


def test_expired_token_without_refresh_token_asks_to_reconnect() -> None:
    h = Harness([fail(105002, "expired")], token_set=tokens(refresh=None))
    with pytest.raises(AuthError, match="expired") as caught:
        h.client.authorized_shops()
    assert caught.value.exit_code == 3


def test_token_close_to_expiry_is_refreshed_before_the_call() -> None:
    h = Harness(
        [ok({"shops": []})],
        auth_answers=[token_answer()],
        token_set=tokens(expires_in=timedelta(hours=23)),
    )
    h.client.authorized_shops()
    assert_signed(h.api.last, token="TTP_access_new")
    assert [t.refresh_token for t in h.refreshed] == ["TTP_refresh_new"]
    h.client.authorized_shops()
    assert len(h.auth_fake.requests) == 1


def test_token_with_a_day_left_is_used_as_is() -> None:
    h = Harness([ok({"shops": []})], token_set=tokens(expires_in=timedelta(hours=25)))
    h.client.authorized_shops()
    assert_signed(h.api.last, token=ACCESS)
    assert h.auth_fake.requests == []


# --- Errors ----------------------------------------------------------------------------------


def test_bad_signature_is_not_retried_and_names_the_app_secret() -> None:
    body = fail(106001, "Invalid credentials. The 'sign' query parameter is invalid.", "rq-9")
    h = Harness([(401, body)])
    with pytest.raises(TikTokApiError) as caught:
        h.client.authorized_shops()
    error = caught.value
    assert (error.code, error.request_id, error.http_status) == (106001, "rq-9", 401)
    assert error.title == "Signature rejected"
    assert "app secret" in (error.hint or "")
    assert "106001" in error.message
    assert "rq-9" in error.message
    assert error.exit_code == ExitCode.NETWORK
    assert len(h.api.requests) == 1


def test_business_error_carries_code_and_message() -> None:
    h = Harness([(200, fail(21011022, "Invalid tracking number", "rq-5"))])
    with pytest.raises(TikTokApiError) as caught:
        h.client.mark_package_shipped(CIPHER, "576", tracking_number="x", shipping_provider_id="p")
    assert caught.value.code == 21011022
    assert "Invalid tracking number" in caught.value.message
    assert "POST /fulfillment/202309/orders/576/packages" in caught.value.message


def test_errors_never_show_secrets() -> None:
    failures: list[Answer] = [
        (401, fail(106001, "bad sign")),
        (200, fail(105005, "you should apply auth pkg for this api")),
        (200, fail(36009004, "Invalid x-tts-access-token")),
        (400, b"not json"),
        (200, fail(12345, "other")),
    ]
    for failure in failures:
        h = Harness([failure], with_auth=False)
        with pytest.raises((AuthError, ProviderError)) as caught:
            h.client.search_orders(CIPHER, page_token="tok")
        error = caught.value
        text = f"{error} {getattr(error, 'hint', '')} {error!r}"
        for secret in (ACCESS, REFRESH, APP_SECRET):
            assert secret not in text


def test_non_json_client_error_is_a_decode_error() -> None:
    h = Harness([(404, b"<html>not found</html>")])
    with pytest.raises(TikTokDecodeError, match="HTTP 404"):
        h.client.authorized_shops()


def test_http_error_with_success_code_is_still_an_error() -> None:
    h = Harness([(400, ok({"shops": []}))])
    with pytest.raises(TikTokApiError, match="HTTP 400"):
        h.client.authorized_shops()


def test_client_closes_and_checks_attempts() -> None:
    keeper = TokenKeeper(tokens(), auth=None, on_refresh=lambda _t: None, now=Clock())
    with pytest.raises(ValueError, match="attempts"):
        TikTokClient(
            api_base=API, app_key=APP_KEY, app_secret=APP_SECRET, tokens=keeper, attempts=0
        )
    with TikTokClient(
        api_base=API,
        app_key=APP_KEY,
        app_secret=APP_SECRET,
        tokens=keeper,
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=ok({"shops": []}))),
    ) as client:
        assert client.authorized_shops() == []
    with pytest.raises(ValueError, match="cipher"):
        client.search_orders("")


@pytest.mark.parametrize(
    ("code", "status", "message", "kind", "exit_code"),
    [
        (105002, 200, "expired", AuthError, 3),
        (36009002, 200, "too many", RateLimitedError, 4),
        (12345, 429, "slow", RateLimitedError, 4),
        (36009003, 200, "internal", TikTokTransientError, 4),
        (36009007, 200, "timeout", TikTokTransientError, 4),
        (21011022, 502, "odd", TikTokTransientError, 4),
        (106001, 401, "bad sign", TikTokApiError, 4),
        (105005, 200, "you should apply auth pkg for this api", AuthError, 3),
        (36004001, 200, "rt has expired", AuthError, 3),
        (36004005, 200, "can not find related auth record", AuthError, 3),
        (101000, 200, "invalid x-tts-access-token", AuthError, 3),
        (36009004, 200, "Invalid credentials. The access_token is invalid.", AuthError, 3),
        (36009004, 200, "The `x-tts-access-token` header is invalid.", AuthError, 3),
        (36009004, 200, "Invalid timestamp", TikTokApiError, 4),
        (36009014, 404, "The version name is invalid", TikTokApiError, 4),
    ],
)
def test_error_classification(
    code: int, status: int, message: str, kind: type[Exception], exit_code: int
) -> None:
    from creatorflow.integrations.tiktok.errors import error_for
    from creatorflow.integrations.tiktok.models import Envelope

    error = error_for(Envelope(code=code, message=message, request_id="rq"), status, where="GET /x")
    assert isinstance(error, kind)
    assert error.exit_code == exit_code
    assert str(code) in error.message
    assert "rq" in error.message
    if code in (36004001, 36004005, 101000, 36009004) and exit_code == 3:
        assert error.title == "Reconnect TikTok"
        assert "creatorflow connect tiktok" in (error.hint or "")
    if code == 105005:
        assert "scope" in (error.hint or "")
    if isinstance(error, TikTokTransientError):
        assert error.status in (500, 502, 503, 504)
