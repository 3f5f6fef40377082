"""Connecting a TikTok Shop seller: the authorisation link, the code exchange, token refresh.

The token endpoints live on their own host (``https://auth.tiktok-shops.com``), are not signed
and take the **app secret in the query string** (reference tiktok-shop.md §3). So the URL of
a token request is never logged nor put in an error message, and :class:`TokenSet` keeps its
tokens out of ``repr``.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from creatorflow.errors import AuthError, ProviderError, RateLimitedError
from creatorflow.integrations.http import (
    ClosingClient,
    TransientHTTPError,
    call_with_retries,
    make_client,
    retry_after_seconds,
)
from creatorflow.integrations.tiktok.errors import (
    AUTH_RECORD_MISSING,
    REFRESH_TOKEN_EXPIRED,
    TikTokAuthError,
    error_for,
    reconnect_error,
)
from creatorflow.integrations.tiktok.models import (
    TikTokDecodeError,
    decode_data,
    decode_envelope,
)
from creatorflow.integrations.tiktok.models_auth import TokenData

__all__ = [
    "DEFAULT_AUTH_BASE",
    "TikTokAuthClient",
    "TokenKeeper",
    "TokenSet",
    "authorization_url",
    "new_state",
    "parse_redirect",
]

log = logging.getLogger(__name__)

DEFAULT_AUTH_BASE = "https://auth.tiktok-shops.com"
_US_AUTHORIZE = "https://services.us.tiktokshop.com/open/authorize"
_ROW_AUTHORIZE = "https://services.tiktokshop.com/open/authorize"
_DURATION_LIMIT = 10**9
"""Below this an ``*_expire_in`` value is taken as seconds from now, not a Unix time."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TokenSet:
    """A seller's TikTok tokens; ``repr`` never shows the tokens themselves."""

    access_token: str = field(repr=False)
    access_token_expires_at: datetime | None
    refresh_token: str | None = field(repr=False)
    refresh_token_expires_at: datetime | None
    open_id: str | None = None
    seller_name: str | None = None
    seller_base_region: str | None = None
    granted_scopes: tuple[str, ...] = ()


def _expiry(value: int | None, now: datetime) -> datetime | None:
    if value is None or value <= 0:
        return None
    if value < _DURATION_LIMIT:
        return now + timedelta(seconds=value)
    return datetime.fromtimestamp(value, UTC)


def _token_set(data: TokenData, now: datetime) -> TokenSet:
    return TokenSet(
        access_token=data.access_token,
        access_token_expires_at=_expiry(data.access_token_expire_in, now),
        refresh_token=data.refresh_token or None,
        refresh_token_expires_at=_expiry(data.refresh_token_expire_in, now),
        open_id=data.open_id or None,
        seller_name=data.seller_name or None,
        seller_base_region=data.seller_base_region or None,
        granted_scopes=tuple(data.granted_scopes),
    )


class TikTokAuthClient(ClosingClient):
    """Client of TikTok's token service: exchanges authorisation codes and refreshes tokens."""

    def __init__(
        self,
        *,
        auth_base: str = DEFAULT_AUTH_BASE,
        app_key: str,
        app_secret: str,
        transport: httpx.BaseTransport | None = None,
        now: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 3,
    ) -> None:
        self._http = make_client(auth_base.rstrip("/"), transport=transport)
        self._app_key = app_key
        self._app_secret = app_secret
        self._now = now
        self._sleep = sleep
        self._attempts = attempts

    def exchange_code(self, auth_code: str) -> TokenSet:
        """Trade the ``code`` of the authorisation redirect for the seller's tokens.

        Raises:
            TikTokAuthError: TikTok refused the code (codes are single use and expire after
                30 minutes).
            ProviderError: TikTok could not be reached or failed.
        """
        try:
            return self._token_call(
                "/api/v2/token/get",
                {"auth_code": auth_code, "grant_type": "authorized_code"},
            )
        except TikTokAuthError:
            raise
        except ProviderError as exc:
            code = getattr(exc, "code", None)
            if code is None or isinstance(exc, TikTokDecodeError):
                raise
            raise TikTokAuthError(
                f"TikTok did not accept the authorisation code: {exc.message}",
                code=code,
                request_id=getattr(exc, "request_id", None),
                title="TikTok authorisation failed",
                hint=(
                    "An authorisation code works once and for 30 minutes: run "
                    "`creatorflow connect tiktok` again and paste the new redirect."
                ),
            ) from exc

    def refresh(self, refresh_token: str) -> TokenSet:
        """Get a new access token (and usually a new refresh token) with ``refresh_token``.

        Raises:
            TikTokAuthError: The refresh token expired or the seller revoked the app
                (36004001, 36004005): the seller has to connect again (exit code 3).
            ProviderError: TikTok could not be reached or failed.
        """
        return self._token_call(
            "/api/v2/token/refresh",
            {"refresh_token": refresh_token, "grant_type": "refresh_token"},
        )

    def _token_call(self, path: str, params: dict[str, str]) -> TokenSet:
        query = {"app_key": self._app_key, "app_secret": self._app_secret, **params}
        where = f"GET {path}"

        def attempt() -> TokenSet:
            response = self._http.get(path, params=query)
            status = response.status_code
            try:
                envelope = decode_envelope(response.content)
            except TikTokDecodeError as exc:
                if status == 429 or status >= 500:
                    raise _error_for_status(status, where) from exc
                raise
            if envelope.code in (REFRESH_TOKEN_EXPIRED, AUTH_RECORD_MISSING):
                raise reconnect_error(
                    f"TikTok no longer accepts CreatorFlow's authorisation "
                    f"(code {envelope.code}: {envelope.message}).",
                    code=envelope.code,
                    request_id=envelope.request_id,
                    http_status=status,
                )
            if envelope.code != 0 or not 200 <= status < 300:
                wait = retry_after_seconds(response, now=self._now())
                raise error_for(envelope, status, where=where, retry_after=wait)
            data = decode_data(envelope, TokenData)
            log.info("TikTok %s succeeded (request_id %s)", where, envelope.request_id)
            return _token_set(data, self._now())

        return call_with_retries(
            attempt, attempts=self._attempts, idempotent=True, sleep=self._sleep
        )


def _error_for_status(status: int, where: str) -> ProviderError:
    """The error for a 429/5xx answer whose body is not a TikTok envelope."""
    if status == 429:
        return RateLimitedError(f"{where} was rate limited (HTTP 429).")
    return TransientHTTPError(f"{where} failed with HTTP {status}.", status=status)


class TokenKeeper:
    """Hands out a valid access token.

    It refreshes when less than ``margin`` (24 h) is left, or once after TikTok rejected a
    token as expired (105002), and calls ``on_refresh(new TokenSet)`` so the caller persists
    both new tokens. Safe to share between threads: one refresh at a time.
    """

    _RETRY_FAILED_REFRESH = timedelta(minutes=5)

    def __init__(
        self,
        tokens: TokenSet,
        *,
        auth: TikTokAuthClient | None,
        on_refresh: Callable[[TokenSet], None],
        now: Callable[[], datetime],
        margin: timedelta = timedelta(hours=24),
    ) -> None:
        self._tokens = tokens
        self._auth = auth
        self._on_refresh = on_refresh
        self._now = now
        self._margin = margin
        self._lock = threading.Lock()
        self._quiet_until: datetime | None = None

    @property
    def tokens(self) -> TokenSet:
        """The tokens currently in use."""
        return self._tokens

    def access_token(self) -> str:
        """The access token to send, refreshed first when it is close to expiry.

        Raises:
            TikTokAuthError: The token expired and cannot be refreshed (exit code 3).
            ProviderError: The refresh failed and the token it would replace has expired.
        """
        with self._lock:
            tokens, now = self._tokens, self._now()
            expires = tokens.access_token_expires_at
            if expires is None or expires - now > self._margin:
                return tokens.access_token
            expired = expires <= now
            if not self._can_refresh(now):
                if expired:
                    raise reconnect_error("The TikTok access token expired.")
                return tokens.access_token
            if not expired and self._quiet_until is not None and now < self._quiet_until:
                return tokens.access_token
            try:
                return self._refresh().access_token
            except AuthError:
                raise
            except ProviderError as exc:
                if expired:
                    raise
                # The old token still works for a while: keep going and try again later.
                log.warning("Refreshing the TikTok access token failed: %s", exc.message)
                self._quiet_until = now + self._RETRY_FAILED_REFRESH
                return tokens.access_token

    def after_rejection(self, rejected: str) -> str:
        """A new access token after TikTok rejected ``rejected`` as expired (105002).

        Refreshes unless another caller already refreshed since ``rejected`` was handed out.

        Raises:
            TikTokAuthError: There is no refresh token or token client, or the refresh token
                no longer works: the seller has to connect again.
        """
        with self._lock:
            if not hmac.compare_digest(self._tokens.access_token, rejected):
                return self._tokens.access_token
            if self._auth is None or self._tokens.refresh_token is None:
                raise reconnect_error("TikTok says the access token expired.")
            return self._refresh().access_token

    def _can_refresh(self, now: datetime) -> bool:
        tokens = self._tokens
        if self._auth is None or tokens.refresh_token is None:
            return False
        until = tokens.refresh_token_expires_at
        return until is None or until > now

    def _refresh(self) -> TokenSet:
        assert self._auth is not None
        assert self._tokens.refresh_token is not None
        fresh = self._auth.refresh(self._tokens.refresh_token)
        old = self._tokens
        if fresh.refresh_token is None:  # not rotated: the old one stays valid
            fresh = replace(
                fresh,
                refresh_token=old.refresh_token,
                refresh_token_expires_at=old.refresh_token_expires_at,
            )
        merged = replace(
            fresh,
            open_id=fresh.open_id or old.open_id,
            seller_name=fresh.seller_name or old.seller_name,
            seller_base_region=fresh.seller_base_region or old.seller_base_region,
            granted_scopes=fresh.granted_scopes or old.granted_scopes,
        )
        self._tokens = merged
        self._quiet_until = None
        log.info("Refreshed the TikTok access token")
        self._on_refresh(merged)
        return merged


def new_state() -> str:
    """A fresh random ``state`` for the authorisation link (CSRF protection)."""
    return secrets.token_urlsafe(24)


def authorization_url(*, service_id: str, state: str, region: str, base: str | None = None) -> str:
    """The link the seller opens to authorise CreatorFlow (reference §3.1).

    Args:
        service_id: The app's service id from Partner Center.
        state: A value from :func:`new_state`, checked again by :func:`parse_redirect`.
        region: The shop's market (``"US"``, ``"GB"``, …); US sellers use their own host.
        base: Overrides the host (the sandbox); the link is then ``{base}/open/authorize``.
    """
    if base is not None:
        root = f"{base.rstrip('/')}/open/authorize"
    elif region.strip().upper() == "US":
        root = _US_AUTHORIZE
    else:
        root = _ROW_AUTHORIZE
    params = {"service_id": service_id}
    if state:
        params["state"] = state
    return f"{root}?{urlencode(params)}"


def _declined() -> AuthError:
    return AuthError(
        "The TikTok Shop authorization was declined.",
        title="TikTok authorization declined",
        hint="Run `creatorflow connect tiktok` again and choose Authorize on TikTok's page.",
    )


def parse_redirect(text: str, *, expected_state: str | None) -> str:
    """The authorisation code in a pasted redirect URL (``…?code=X&state=Y``) or bare code.

    Raises:
        AuthError: The seller declined (``error=auth_denied``, ``code=null``), the ``state``
            differs from ``expected_state`` (both present), or there is no code.
    """
    text = text.strip()
    if not text:
        raise AuthError("No authorization code was given.", hint="Paste the whole redirect URL.")
    if "=" not in text:
        if text.lower() == "null":
            raise _declined()
        return text
    query = urlsplit(text).query if "?" in text else text
    params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    code = params.get("code", "").strip()
    if params.get("error") or code.lower() in ("", "null", "none"):
        if params.get("error") or "code" in params:
            raise _declined()
        raise AuthError(
            "The pasted text has no authorization code.",
            hint="Paste the whole address TikTok redirected the browser to.",
        )
    state = params.get("state")
    if expected_state and state and not hmac.compare_digest(state, expected_state):
        raise AuthError(
            "The redirect's state does not match this connection attempt.",
            title="TikTok authorization refused",
            hint="Start again with `creatorflow connect tiktok` and use the link it prints.",
        )
    return code
