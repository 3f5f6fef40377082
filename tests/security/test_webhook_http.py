"""The daemon's webhook receiver over real HTTP, fed hostile requests on raw sockets.

Every answer is one of 200 (accepted), 400 (not HTTP, or signed but not an event), 401 (bad
signature), 405, 413 (too big, declared or streamed) or 431 (headers too big); never a 500.
A body refused for its size is never read as the next request on the connection (no request
smuggling), nothing hostile reaches the worker, and afterwards the receiver is healthy and
still applies a genuine webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
import time
from collections.abc import Iterator

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creatorflow.daemon.webhooks import MAX_BODY, WebhookReceiver
from creatorflow.sandbox.tiktok import TikTokShopSimulator
from creatorflow.services.context import Services
from creatorflow.services.tiktok_connection import list_shops
from tests.security.conftest import APP_KEY, APP_SECRET, wait_for
from tests.security.strategies import any_json

PATH = "/webhooks/tiktok"
_STATUS = re.compile(rb"^HTTP/1\.[01] (\d{3}) ", re.MULTILINE)


def sign(body: bytes) -> str:
    return hmac.new(APP_SECRET.encode(), APP_KEY.encode() + body, hashlib.sha256).hexdigest()


def event(shop_id: str, type_: int = 6, **data: object) -> bytes:
    return msgspec.json.encode(
        {
            "type": type_,
            "tts_notification_id": f"73{time.time_ns()}",
            "shop_id": shop_id,
            "timestamp": int(time.time()),
            "data": data or {"message": "revoked"},
        }
    )


def request(body: bytes, headers: dict[str, str] | None = None, path: str = PATH) -> bytes:
    """A well-formed HTTP/1.1 POST, as bytes."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def exchange(port: int, *parts: bytes, expect: int | None = None) -> list[int]:
    """Send ``parts`` on one connection; the status codes of the responses read back.

    Reads until ``expect`` responses came, or else until the server closes the connection.
    """
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        try:
            for part in parts:
                conn.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading everything: fine
        while expect is None or len(_STATUS.findall(bytes(received))) < expect:
            try:
                chunk = conn.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    return [int(code) for code in _STATUS.findall(bytes(received))]


@pytest.fixture
def port(
    receiver: WebhookReceiver,
    http: httpx.Client,
    sim: TikTokShopSimulator,
    connected: Services,
) -> Iterator[int]:
    """The receiver's port. Afterwards: /healthz answers, the shop is still active, and a
    genuine webhook is still accepted and applied (the worker survived what came before)."""
    yield int(httpx.URL(receiver.url).port or 0)
    assert http.get("/healthz").text == "ok"
    assert all(shop.active for shop in list_shops(connected))
    before = receiver.handled
    body = event(sim.shops[0].id, type_=5, product_id="1")
    response = http.post(PATH, content=body, headers={"Authorization": sign(body)})
    assert response.status_code == 200
    wait_for(lambda: receiver.handled == before + 1, "a genuine webhook to be handled")


BIG = MAX_BODY + 1


@pytest.mark.parametrize(
    ("raw", "allowed"),
    [
        pytest.param(
            b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999"
            b"\r\n\r\n{}",
            {413},
            id="declared huge, small body",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(BIG).encode() + b"\r\n\r\n",
            {413},
            id="declared one byte over, root path",
        ),
        pytest.param(
            b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
            {400},
            id="content-length not a number",
        ),
        pytest.param(
            b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
            {400},
            id="negative content-length",
        ),
        pytest.param(
            b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
            b"Content-Length: 3\r\n\r\n{}",
            {400},
            id="two content-lengths",
        ),
        pytest.param(
            b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"zz\r\n{}\r\n0\r\n\r\n",
            {400},
            id="bad chunk size",
        ),
        pytest.param(
            b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Length: 4\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            {400, 401},
            id="chunked and content-length",
        ),
        pytest.param(
            b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nAuthorization: "
            + b"a" * 100_000
            + b"\r\nContent-Length: 2\r\n\r\n{}",
            {400, 401, 431},
            id="100 kB header",
        ),
        pytest.param(
            b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-H%d: v\r\n" % n for n in range(1000))
            + b"Content-Length: 2\r\n\r\n{}",
            {200, 400, 401, 431},
            id="1000 headers",
        ),
        pytest.param(
            b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nAuthorization: \xff\xfe\x80\r\n"
            b"Content-Length: 2\r\n\r\n{}",
            {401},
            id="authorization not ascii",
        ),
        pytest.param(
            b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nAuthorization: a\x00b\r\n"
            b"Content-Length: 2\r\n\r\n{}",
            {400},
            id="NUL in a header",
        ),
        pytest.param(
            b"POST /webhooks/\xe2\x80\xae/../tiktok HTTP/1.1\r\nHost: x\r\nContent-Length: 2"
            b"\r\n\r\n{}",
            {400, 404},
            id="RTL and dot-dot in the path",
        ),
        pytest.param(
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, {400}, id="TLS"
        ),
        pytest.param(b"GARBAGE\r\n\r\n", {400}, id="not http"),
    ],
)
def test_malformed_http_is_answered_4xx(port: int, raw: bytes, allowed: set[int]) -> None:
    statuses = exchange(port, raw, expect=1)
    assert statuses, "no answer at all"
    assert set(statuses) <= allowed, statuses


def _chunked(total: int, size: int = 65536) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        yield b"%x\r\n" % piece + b"x" * piece + b"\r\n"
        sent += piece
    yield b"0\r\n\r\n"


def test_a_chunked_body_over_the_cap_is_refused_while_streaming(port: int) -> None:
    head = b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert exchange(port, head, *_chunked(MAX_BODY + 65536), expect=1) == [413]


def test_a_body_refused_for_its_size_is_never_read_as_a_request(
    port: int, receiver: WebhookReceiver, sim: TikTokShopSimulator, connected: Services
) -> None:
    # The oversized body carries a complete, validly signed deauthorization. Had the server
    # answered 413 and then parsed the rest of the body as the next request, it would apply
    # it. A last request closes the connection, so every response is read back: the server
    # may close after refusing ([413]) or go on to that last request ([413, 200]), but a
    # smuggled request would add an answer of its own.
    inner = event(sim.shops[0].id)
    smuggled = request(inner, {"Authorization": sign(inner)})
    last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    body = smuggled + b" " * (MAX_BODY + 1 - len(smuggled))
    head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    statuses = exchange(port, head.encode(), smuggled, body[len(smuggled) :], last)
    assert statuses in ([413], [413, 200])
    # The same with a chunked body, refused while it streams in.
    head = "POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    filler = list(_chunked(MAX_BODY))[:-1]
    tail = [b"%x\r\n" % len(smuggled) + smuggled + b"\r\n", b"0\r\n\r\n", last]
    statuses = exchange(port, head.encode(), *filler, *tail)
    assert statuses in ([413], [413, 200])
    assert receiver.handled == 0
    assert receiver.queue.empty()
    assert all(shop.active for shop in list_shops(connected))


def test_a_keep_alive_connection_survives_refusals(port: int) -> None:
    good = event("999", type_=5, product_id="1")
    statuses = exchange(
        port,
        request(b"{}", {"Authorization": "0" * 64}),
        request(b"not json", {"Authorization": sign(b"not json")}),
        request(good, {"Authorization": sign(good), "Connection": "close"}),
        expect=3,
    )
    assert statuses == [401, 400, 200]


bodies = st.one_of(
    st.binary(max_size=200),
    any_json.map(msgspec.json.encode),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    body=bodies,
    signed=st.booleans(),
    path=st.sampled_from([PATH, "/"]),
    content_type=st.sampled_from(["application/json", "text/plain", "multipart/form-data", ""]),
)
def test_fuzzed_bodies_over_http_never_get_a_500(
    port: int, http: httpx.Client, body: bytes, signed: bool, path: str, content_type: str
) -> None:
    headers = {"Authorization": sign(body) if signed else "0" * 64}
    if content_type:
        headers["Content-Type"] = content_type
    response = http.post(path, content=body, headers=headers)
    assert response.status_code in ({200, 400, 401} if signed else {401})
    assert response.content == b""
