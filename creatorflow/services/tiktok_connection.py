"""Connecting TikTok Shop: the authorisation link, the code exchange, tokens, and the client.

Tokens live in the secret store (``tiktok_access_token``, ``tiktok_refresh_token``); their
expiries and the shops they open live in the ``shops`` table. Every use case that talks to
TikTok gets its client from :func:`open_client`, whose token keeper refreshes before expiry
and persists each refreshed pair at once (a refresh may rotate the refresh token).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from creatorflow.errors import AuthError, ConfigError
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.integrations.tiktok.client import TikTokClient
    from creatorflow.integrations.tiktok.oauth import TikTokAuthClient, TokenSet

__all__ = [
    "ConnectResult",
    "ShopView",
    "authorization_link",
    "connect_tiktok",
    "has_app_secret",
    "list_shops",
    "open_client",
    "redirect_code",
]

# Names in the secret store, not secrets.
ACCESS_TOKEN = "tiktok_access_token"  # noqa: S105
REFRESH_TOKEN = "tiktok_refresh_token"  # noqa: S105
APP_SECRET = "tiktok_app_secret"  # noqa: S105

_RECONNECT = "Run `creatorflow connect tiktok` to authorise CreatorFlow for your shop."


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ShopView:
    """A shop as the front ends show it."""

    id: str
    name: str
    region: str
    seller_type: str | None
    authorized_at: datetime
    deauthorized_at: datetime | None
    access_token_expires_at: datetime | None
    refresh_token_expires_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether CreatorFlow may still act for this shop."""
        return self.deauthorized_at is None


@dataclass(frozen=True)
class ConnectResult:
    """What a successful connection stored."""

    seller_name: str | None
    shops: list[ShopView]
    access_token_expires_at: datetime | None
    refresh_token_expires_at: datetime | None


def _app_key(services: Services, override: str | None = None) -> str:
    key = (override or services.settings.text("tiktok.app_key")).strip()
    if not key:
        raise ConfigError(
            "No TikTok Shop app key is configured.",
            hint="Pass --app-key, or run `creatorflow config set tiktok.app_key KEY`.",
        )
    return key


def _auth_client(services: Services, app_key: str) -> TikTokAuthClient:
    from creatorflow.integrations.tiktok.oauth import TikTokAuthClient

    return TikTokAuthClient(
        auth_base=services.settings.text("tiktok.auth_base"),
        app_key=app_key,
        app_secret=services.secrets.require(APP_SECRET),
    )


def has_app_secret(services: Services) -> bool:
    """Whether the TikTok app secret can be read from the secret store."""
    return bool(services.secrets.get(APP_SECRET))


def authorization_link(services: Services) -> tuple[str, str]:
    """The link the seller opens to authorise the app, and the ``state`` it carries.

    Raises:
        ConfigError: ``tiktok.service_id`` is not set.
    """
    from creatorflow.integrations.tiktok.oauth import authorization_url, new_state

    service_id = services.settings.text("tiktok.service_id").strip()
    if not service_id:
        raise ConfigError(
            "No TikTok Shop service id is configured.",
            hint="Find it on your app's page in Partner Center, then run "
            "`creatorflow config set tiktok.service_id ID` (or pass --auth-code).",
        )
    base = services.settings.text("tiktok.authorize_base").strip() or None
    state = new_state()
    region = services.settings.text("tiktok.region")
    url = authorization_url(service_id=service_id, state=state, region=region, base=base)
    return url, state


def redirect_code(pasted: str, *, expected_state: str | None) -> str:
    """The authorisation code in what the seller pasted (the redirect URL or the bare code).

    Raises:
        AuthError: the seller declined, or the ``state`` does not match this attempt.
    """
    from creatorflow.integrations.tiktok.oauth import parse_redirect

    return parse_redirect(pasted, expected_state=expected_state)


def _view(shop: object) -> ShopView:
    from creatorflow.store.tables import Shop

    assert isinstance(shop, Shop)
    return ShopView(
        id=shop.id,
        name=shop.name,
        region=shop.region,
        seller_type=shop.seller_type,
        authorized_at=shop.authorized_at,
        deauthorized_at=shop.deauthorized_at,
        access_token_expires_at=shop.access_token_expires_at,
        refresh_token_expires_at=shop.refresh_token_expires_at,
    )


def _save_tokens(services: Services, tokens: TokenSet) -> None:
    services.secrets.set(ACCESS_TOKEN, tokens.access_token)
    if tokens.refresh_token:
        services.secrets.set(REFRESH_TOKEN, tokens.refresh_token)


def connect_tiktok(
    services: Services,
    *,
    auth_code: str,
    app_key: str | None = None,
    now: Callable[[], datetime] = _utcnow,
) -> ConnectResult:
    """Exchange an authorisation code for tokens, store them, and fetch the shops they open.

    Raises:
        ConfigError: no app key; SecretMissingError: no app secret; AuthError: TikTok refused
        the code (expired after 30 minutes, or already used).
    """
    from creatorflow.integrations.tiktok.client import TikTokClient
    from creatorflow.integrations.tiktok.oauth import TokenKeeper
    from creatorflow.store.shops import ShopData, upsert_shops

    key = _app_key(services, app_key)
    # Fail on an old schema or a secret store that cannot keep the tokens before spending
    # the single-use code.
    store = services.store
    services.secrets.require_writable(ACCESS_TOKEN)
    with _auth_client(services, key) as auth:
        tokens = auth.exchange_code(auth_code.strip())
    _save_tokens(services, tokens)
    if app_key and app_key.strip() != services.settings.text("tiktok.app_key"):
        from creatorflow.services.configuration import set_setting

        set_setting(services, "tiktok.app_key", app_key.strip())
    keeper = TokenKeeper(tokens, auth=None, on_refresh=lambda _tokens: None, now=now)
    with TikTokClient(
        api_base=services.settings.text("tiktok.api_base"),
        app_key=key,
        app_secret=services.secrets.require(APP_SECRET),
        tokens=keeper,
        now=now,
    ) as client:
        shops = client.authorized_shops()
    data = [
        ShopData(
            id=shop.id,
            name=shop.name or shop.id,
            region=shop.region or "",
            cipher=shop.cipher or "",
            seller_type=shop.seller_type,
        )
        for shop in shops
    ]
    with store.write() as session:
        upsert_shops(
            session,
            data,
            access_expires_at=tokens.access_token_expires_at,
            refresh_expires_at=tokens.refresh_token_expires_at,
            now=now(),
        )
    return ConnectResult(
        seller_name=tokens.seller_name,
        shops=list_shops(services),
        access_token_expires_at=tokens.access_token_expires_at,
        refresh_token_expires_at=tokens.refresh_token_expires_at,
    )


def list_shops(services: Services) -> list[ShopView]:
    """Every shop CreatorFlow was authorised for, revoked ones included."""
    from creatorflow.store.shops import all_shops

    with services.store.read() as session:
        return [_view(shop) for shop in all_shops(session)]


def _stored_tokens(services: Services) -> TokenSet:
    from creatorflow.integrations.tiktok.oauth import TokenSet
    from creatorflow.store.shops import token_expiry

    access = services.secrets.get(ACCESS_TOKEN)
    if not access:
        raise AuthError("CreatorFlow is not connected to TikTok Shop.", hint=_RECONNECT)
    with services.store.read() as session:
        access_expires, refresh_expires = token_expiry(session)
    return TokenSet(
        access_token=access,
        access_token_expires_at=access_expires,
        refresh_token=services.secrets.get(REFRESH_TOKEN),
        refresh_token_expires_at=refresh_expires,
    )


@contextmanager
def open_client(
    services: Services, *, now: Callable[[], datetime] = _utcnow
) -> Iterator[TikTokClient]:
    """A TikTok client for this install, with tokens that refresh and persist themselves.

    Raises:
        AuthError: not connected yet (exit code 3, hint: connect).
        ConfigError / SecretMissingError: no app key or app secret.
    """
    from creatorflow.integrations.tiktok.client import TikTokClient
    from creatorflow.integrations.tiktok.oauth import TokenKeeper
    from creatorflow.store.shops import set_token_expiry

    key = _app_key(services)
    secret = services.secrets.require(APP_SECRET)
    tokens = _stored_tokens(services)

    def persist(fresh: TokenSet) -> None:
        _save_tokens(services, fresh)
        with services.store.write() as session:
            set_token_expiry(session, fresh.access_token_expires_at, fresh.refresh_token_expires_at)

    with (
        _auth_client(services, key) as auth,
        TikTokClient(
            api_base=services.settings.text("tiktok.api_base"),
            app_key=key,
            app_secret=secret,
            tokens=TokenKeeper(tokens, auth=auth, on_refresh=persist, now=now),
            now=now,
        ) as client,
    ):
        yield client
