"""TikTok Shop request signing against the published vectors (reference tiktok-shop.md §2)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorflow.integrations.tiktok.signing import sign, signed_query

# Copied as data from the reference §2.3. Vector C is self-computed there (regression only).
VECTORS = [
    pytest.param(
        "e59af819cc",
        "/authorization/202309/shops",
        {"app_key": "29a39d", "timestamp": "1623812664"},
        "",
        "e59af819cc/authorization/202309/shopsapp_key29a39dtimestamp1623812664e59af819cc",
        "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8",
        id="A-official-doc",
    ),
    pytest.param(
        "app_secret",
        "/test-api",
        {"foo": "bar"},
        "",
        "app_secret/test-apifoobarapp_secret",
        "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f",
        id="B-ecomphp-test",
    ),
    pytest.param(
        "e59af819cc",
        "/event/202309/webhooks",
        {
            "app_key": "68xu9ks5p4i8",
            "shop_cipher": "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK",
            "timestamp": "1696909648",
        },
        '{"address":"https://partner.tiktokshop.com","event_type":"PACKAGE_UPDATE"}',
        None,
        "cd0d6268252f4ba293bf7ea4c0a2873bf9beec600d22530638564ab301435f7a",
        id="C-body-compact",
    ),
    pytest.param(
        "e59af819cc",
        "/event/202309/webhooks",
        {
            "app_key": "68xu9ks5p4i8",
            "shop_cipher": "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK",
            "timestamp": "1696909648",
        },
        '{    "address":"https://partner.tiktokshop.com",    "event_type": "PACKAGE_UPDATE"}',
        None,
        "495c39774c04ee06162f20a6bef8edae5b17676229588fe76630bb5166da37d2",
        id="C-body-spaced",
    ),
]

DOC_SECRET = "e59af819cc"
DOC_PATH = "/authorization/202309/shops"
DOC_QUERY = {"app_key": "29a39d", "timestamp": "1623812664"}
DOC_SIGN = "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"


def _literal_hmac(secret: str, wrapped: str) -> str:
    return hmac.new(secret.encode(), wrapped.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize(("secret", "path", "query", "body", "wrapped", "expected"), VECTORS)
def test_published_vectors(
    secret: str,
    path: str,
    query: dict[str, str],
    body: str,
    wrapped: str | None,
    expected: str,
) -> None:
    if wrapped is not None:
        # The documented intermediate string really produces the documented signature.
        assert _literal_hmac(secret, wrapped) == expected
    assert sign(secret, path, query, body) == expected


# Vector B carries no app_key/timestamp, so signed_query cannot express it.
WITH_APP_KEY = [v for v in VECTORS if "app_key" in v.values[2]]  # type: ignore[operator]


@pytest.mark.parametrize(("secret", "path", "query", "body", "wrapped", "expected"), WITH_APP_KEY)
def test_signed_query_reproduces_the_vectors(
    secret: str,
    path: str,
    query: dict[str, str],
    body: str,
    wrapped: str | None,
    expected: str,
) -> None:
    rest = {k: v for k, v in query.items() if k not in ("app_key", "timestamp")}
    params = signed_query(query["app_key"], secret, path, rest, body, int(query["timestamp"]))
    assert params == {**query, "sign": expected}


def test_the_curl_sample_sign_is_not_for_these_inputs() -> None:
    # The doc's curl line shows sign=bc721f0e…; the reference says it is illustrative only.
    assert not sign(DOC_SECRET, DOC_PATH, DOC_QUERY).startswith("bc721f0e")


def test_access_token_and_sign_are_not_signed() -> None:
    query = {**DOC_QUERY, "access_token": "TTP_secret_token", "sign": "stale"}
    assert sign(DOC_SECRET, DOC_PATH, query) == DOC_SIGN


def test_other_params_are_signed() -> None:
    assert sign(DOC_SECRET, DOC_PATH, {**DOC_QUERY, "shop_cipher": "ROW_x"}) != DOC_SIGN


def test_empty_params_are_omitted() -> None:
    query = {**DOC_QUERY, "page_token": ""}
    assert sign(DOC_SECRET, DOC_PATH, query) == DOC_SIGN
    params = signed_query("29a39d", DOC_SECRET, DOC_PATH, {"page_token": ""}, "", 1623812664)
    assert "page_token" not in params
    assert params["sign"] == DOC_SIGN


def test_body_is_appended_only_when_given() -> None:
    assert sign(DOC_SECRET, DOC_PATH, DOC_QUERY, "") == DOC_SIGN
    with_body = sign(DOC_SECRET, DOC_PATH, DOC_QUERY, "{}")
    wrapped = DOC_SECRET + DOC_PATH + "app_key29a39dtimestamp1623812664{}" + DOC_SECRET
    assert with_body == _literal_hmac(DOC_SECRET, wrapped)
    assert with_body != DOC_SIGN


def test_keys_sort_in_ordinal_order() -> None:
    query = {"b": "2", "a": "1", "B": "3", "a_b": "4"}
    wrapped = DOC_SECRET + "/p" + "B3a1a_b4b2" + DOC_SECRET
    assert sign(DOC_SECRET, "/p", query) == _literal_hmac(DOC_SECRET, wrapped)


def test_page_token_is_signed_raw_not_url_encoded() -> None:
    token = "6AsPQsUMvH3/N5M1k+7D1ud64MPNz5OaT"
    query = {**DOC_QUERY, "page_token": token, "page_size": "50"}
    wrapped = (
        DOC_SECRET
        + "/order/202309/orders/search"
        + "app_key29a39dpage_size50page_token"
        + token
        + "timestamp1623812664"
        + DOC_SECRET
    )
    signature = sign(DOC_SECRET, "/order/202309/orders/search", query)
    assert signature == _literal_hmac(DOC_SECRET, wrapped)
    encoded = {**query, "page_token": quote(token, safe="")}
    assert sign(DOC_SECRET, "/order/202309/orders/search", encoded) != signature


def test_signed_query_keeps_params_raw_and_replaces_stale_values() -> None:
    params = signed_query(
        "k", "s", "/p", {"page_token": "a/b+c", "sign": "old", "app_key": "wrong"}, "", 1700000000
    )
    assert params["page_token"] == "a/b+c"
    assert params["app_key"] == "k"
    assert params["timestamp"] == "1700000000"
    assert params["sign"] == sign("s", "/p", params)


@pytest.mark.parametrize("timestamp", [1700000000000, -1])
def test_signed_query_refuses_a_timestamp_that_is_not_seconds(timestamp: int) -> None:
    with pytest.raises(ValueError, match="Unix seconds"):
        signed_query("k", "s", "/p", {}, "", timestamp)


def test_signature_is_lowercase_hex() -> None:
    signature = sign("S", "/p", {"K": "V"})
    assert len(signature) == 64
    assert signature == signature.lower()
    int(signature, 16)


_text = st.text(min_size=1, max_size=20)
_queries = st.dictionaries(
    _text.filter(lambda k: k not in ("sign", "access_token")), _text, min_size=1, max_size=6
)


@given(secret=_text, path=_text, query=_queries, body=st.text(max_size=50), data=st.data())
def test_sign_is_deterministic_and_covers_every_value(
    secret: str, path: str, query: dict[str, str], body: str, data: st.DataObject
) -> None:
    signature = sign(secret, path, query, body)
    assert sign(secret, path, dict(reversed(query.items())), body) == signature
    key = data.draw(st.sampled_from(sorted(query)))
    new_value = data.draw(_text.filter(lambda v: v != query[key]))
    assert sign(secret, path, {**query, key: new_value}, body) != signature
