"""The request core of the TikTok Shop client: signing, sending, envelopes, retries.

Every attempt is signed afresh (TikTok accepts a ``timestamp`` five minutes old at most),
with the exact body bytes it sends (reference tiktok-shop.md §2.2). The JSON envelope is read
whatever the HTTP status: a bad signature comes back as HTTP 401 with code 106001.

Reads are retried on transient failures through :func:`~creatorflow.integrations.http.
call_with_retries`; writes never are, since a write that timed out may have happened. One
exception holds for both: TikTok's "access token expired" (105002) means the request was
refused, so the token is refreshed and the request sent once more.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import msgspec

from creatorflow.integrations.http import (
    ClosingClient,
    call_with_retries,
    make_client,
    raise_for_transport,
    retry_after_seconds,
)
from creatorflow.integrations.tiktok.errors import TikTokApiError, TokenExpiredError, error_for
from creatorflow.integrations.tiktok.models import Envelope, TikTokDecodeError, decode_envelope
from creatorflow.integrations.tiktok.oauth import TokenKeeper
from creatorflow.integrations.tiktok.signing import signed_query

__all__ = ["DEFAULT_API_BASE", "QueryValue", "TikTokCore", "path_segment"]

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://open-api.tiktokglobalshop.com"

QueryValue = str | int | bool | Sequence[str] | None
"""A query value before encoding: ``None`` and empty values are left out, lists comma-joined."""

_ENCODER = msgspec.json.Encoder()


def _utcnow() -> datetime:
    return datetime.now(UTC)


def path_segment(value: str) -> str:
    """An id as a path segment: ids are digits, but an odd one must not change the path."""
    if not value:
        raise ValueError("an id in a request path must not be empty")
    return quote(value, safe="")


def _query_text(value: str | int | bool | Sequence[str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return ",".join(value)


class TikTokCore(ClosingClient):
    """Signs, sends and checks TikTok Shop Open API requests; the endpoints build on it."""

    def __init__(
        self,
        *,
        api_base: str = DEFAULT_API_BASE,
        app_key: str,
        app_secret: str,
        tokens: TokenKeeper,
        transport: httpx.BaseTransport | None = None,
        now: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 4,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._http = make_client(api_base.rstrip("/"), transport=transport)
        self._app_key = app_key
        self._app_secret = app_secret
        self._tokens = tokens
        self._now = now
        self._sleep = sleep
        self._attempts = attempts

    def _call(
        self,
        method: str,
        path: str,
        *,
        cipher: str | None,
        query: Mapping[str, QueryValue] | None = None,
        body: Any = None,
        idempotent: bool,
    ) -> Envelope:
        """Send one API call and return its successful envelope.

        Args:
            method: ``GET`` or ``POST``.
            path: The versioned path, e.g. ``/order/202309/orders/search``.
            cipher: The ``shop_cipher``; ``None`` on ``/authorization`` and ``/seller`` paths.
            query: The endpoint's own query parameters.
            body: What to send as JSON (anything msgspec encodes), ``None`` for no body.
            idempotent: Whether transient failures may be retried. Writes pass ``False``.

        Raises:
            CreatorflowError: as :func:`~creatorflow.integrations.tiktok.errors.error_for`
                classifies TikTok's answer, or a network error.
        """
        params: dict[str, str] = {}
        if cipher is not None:
            if not cipher:
                raise ValueError(f"{path} needs a shop cipher")
            params["shop_cipher"] = cipher
        for key, value in (query or {}).items():
            if value is None:
                continue
            text = _query_text(value)
            if text:
                params[key] = text
        content = b"" if body is None else _ENCODER.encode(body)
        text_body = content.decode()
        where = f"{method} {path}"
        used: list[str] = []

        def attempt() -> Envelope:
            token = self._tokens.access_token()
            used.append(token)
            signed = signed_query(
                self._app_key,
                self._app_secret,
                path,
                params,
                text_body,
                int(self._now().timestamp()),
            )
            response = self._http.request(
                method,
                path,
                params=signed,
                content=content if body is not None else None,
                headers={"x-tts-access-token": token, "content-type": "application/json"},
            )
            return self._check(response, where)

        try:
            return self._attempt(attempt, idempotent)
        except TokenExpiredError:
            # attempt() asks the keeper again, which then hands out the refreshed token.
            self._tokens.after_rejection(used[-1])
            log.info("TikTok rejected the access token as expired; retrying %s once", where)
            return self._attempt(attempt, idempotent)

    def _attempt(self, attempt: Callable[[], Envelope], idempotent: bool) -> Envelope:
        return call_with_retries(
            attempt,
            attempts=self._attempts if idempotent else 1,
            idempotent=idempotent,
            sleep=self._sleep,
        )

    def _check(self, response: httpx.Response, where: str) -> Envelope:
        status = response.status_code
        try:
            envelope = decode_envelope(response.content)
        except TikTokDecodeError as exc:
            raise_for_transport(response, now=self._now())
            raise TikTokDecodeError(
                f"{where} answered HTTP {status} with a body that is not a TikTok response.",
                hint="TikTok may be down or a proxy may be in the way; try again later.",
            ) from exc
        log.debug(
            "TikTok %s → HTTP %s code %s (request_id %s)",
            where,
            status,
            envelope.code,
            envelope.request_id,
        )
        if envelope.code == 0 and 200 <= status < 300:
            return envelope
        if envelope.code == 0:
            raise_for_transport(response, now=self._now())
            raise TikTokApiError(
                f"{where} failed with HTTP {status} (request_id {envelope.request_id}).",
                code=0,
                request_id=envelope.request_id,
                http_status=status,
            )
        wait = retry_after_seconds(response, now=self._now())
        raise error_for(envelope, status, where=where, retry_after=wait)
