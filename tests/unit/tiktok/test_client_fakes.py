"""A scripted TikTok Shop for the client tests (no tests here): answers, recorded requests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from creatorflow.integrations.tiktok.client import TikTokClient
from creatorflow.integrations.tiktok.oauth import TikTokAuthClient, TokenKeeper, TokenSet
from creatorflow.integrations.tiktok.signing import sign

APP_KEY = "app-key-123"
APP_SECRET = "s3cr3t-app-secret"
ACCESS = "TTP_access_old"
REFRESH = "TTP_refresh_old"
API = "https://open-api.tiktok.test"
AUTH = "https://auth.tiktok.test"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REFERENCE = Path(__file__).parents[2] / "fixtures" / "tiktok-api"

Answer = (
    dict[str, Any]
    | bytes
    | tuple[int, dict[str, Any] | bytes]
    | tuple[int, dict[str, Any] | bytes, dict[str, str]]
    | type[httpx.TransportError]
)


def ok(data: Any = None, request_id: str = "req-1") -> dict[str, Any]:
    """A success envelope."""
    return {"code": 0, "message": "Success", "request_id": request_id, "data": data}


def fail(code: int, message: str = "nope", request_id: str = "req-err") -> dict[str, Any]:
    """An error envelope."""
    return {"code": code, "message": message, "request_id": request_id, "data": None}


def spec_body(endpoint: str) -> bytes:
    """The example ``response_body`` of a reference page, e.g. ``"orders/get-order-list"``."""
    spec = json.loads((REFERENCE / f"{endpoint}.spec.json").read_text())
    body: str = spec["document_api_meta"]["response_body"]
    return body.encode()


class FakeTikTok:
    """Answers each request with the next scripted answer (the last one repeats)."""

    def __init__(self, answers: Iterable[Answer]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, type):
            raise answer("scripted failure", request=request)
        status, body, headers = 200, answer, {}
        if isinstance(answer, tuple):
            status, body = answer[0], answer[1]
            headers = answer[2] if len(answer) == 3 else {}
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content, headers=headers)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def assert_signed(request: httpx.Request, *, token: str = ACCESS) -> None:
    """The request carries our app key, a valid signature over path + raw query + body."""
    params = dict(request.url.params)
    assert params["app_key"] == APP_KEY
    assert "access_token" not in params
    body = request.content.decode()
    expected = sign(APP_SECRET, request.url.path, params, body)
    assert params["sign"] == expected
    assert request.headers["x-tts-access-token"] == token
    assert request.headers["content-type"] == "application/json"


class Clock:
    """A clock that moves one second per reading, so every attempt gets a new timestamp."""

    def __init__(self, start: datetime = NOW, step: timedelta = timedelta(seconds=1)) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current


def tokens(*, expires_in: timedelta = timedelta(days=6), refresh: str | None = REFRESH) -> TokenSet:
    return TokenSet(
        access_token=ACCESS,
        access_token_expires_at=NOW + expires_in,
        refresh_token=refresh,
        refresh_token_expires_at=NOW + timedelta(days=300),
        open_id="open-1",
        seller_name="Shop",
    )


def token_answer(access: str = "TTP_access_new", refresh: str = "TTP_refresh_new") -> Answer:
    return ok(
        {
            "access_token": access,
            "access_token_expire_in": int((NOW + timedelta(days=7)).timestamp()),
            "refresh_token": refresh,
            "refresh_token_expire_in": int((NOW + timedelta(days=365)).timestamp()),
            "open_id": "open-1",
            "seller_name": "Shop",
            "seller_base_region": "US",
            "user_type": 0,
            "granted_scopes": ["seller.order.read"],
        }
    )


class Harness:
    """A client wired to a fake API (and a fake token service), recording sleeps and refreshes."""

    def __init__(
        self,
        answers: Iterable[Answer],
        *,
        auth_answers: Iterable[Answer] = (),
        token_set: TokenSet | None = None,
        clock: Callable[[], datetime] | None = None,
        with_auth: bool = True,
    ) -> None:
        self.api = FakeTikTok(answers)
        self.auth_fake = FakeTikTok(list(auth_answers) or [fail(99, "unexpected refresh")])
        self.sleeps: list[float] = []
        self.refreshed: list[TokenSet] = []
        self.clock = clock or Clock()
        self.auth = (
            TikTokAuthClient(
                auth_base=AUTH,
                app_key=APP_KEY,
                app_secret=APP_SECRET,
                transport=httpx.MockTransport(self.auth_fake),
                now=self.clock,
                sleep=self.sleeps.append,
            )
            if with_auth
            else None
        )
        self.keeper = TokenKeeper(
            token_set or tokens(),
            auth=self.auth,
            on_refresh=self.refreshed.append,
            now=self.clock,
        )
        self.client = TikTokClient(
            api_base=API,
            app_key=APP_KEY,
            app_secret=APP_SECRET,
            tokens=self.keeper,
            transport=httpx.MockTransport(self.api),
            now=self.clock,
            sleep=self.sleeps.append,
        )
