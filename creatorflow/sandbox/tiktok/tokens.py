"""The seller's authorization: auth codes, access and refresh tokens, and the token endpoints.

Auth codes live 30 simulated minutes and are single use. Tokens expire by the real wall clock
(access 7 days, refresh 365 days by default); ``*_expire_in`` are absolute Unix seconds. A refresh
rotates both tokens: the old refresh token stops working, old access tokens run out on their own.
Token endpoint errors come as HTTP 200 with a non-zero ``code``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from creatorflow.sandbox.tiktok.data import IdMaker
from creatorflow.sandbox.tiktok.errors import ApiError

ACCESS_LIFETIME = 7 * 86400
REFRESH_LIFETIME = 365 * 86400
AUTH_CODE_LIFETIME = 30 * 60
SCOPES = [
    "seller.authorization.info",
    "seller.order.info",
    "seller.fulfillment.basic",
    "seller.logistics",
    "seller.product.basic",
    "seller.product.write",
]


@dataclass
class Grant:
    """One issued access/refresh token pair."""

    access_token: str
    access_expires: int
    refresh_token: str
    refresh_expires: int
    refresh_used: bool = False
    revoked: bool = False


class Authorization:
    """The one seller's authorization of the app, and every token it produced."""

    def __init__(
        self,
        ids: IdMaker,
        *,
        app_key: str,
        app_secret: str,
        seller_name: str,
        region: str,
        wall: Callable[[], float],
        sim_now: Callable[[], int],
    ) -> None:
        self._ids = ids
        self.app_key = app_key
        self.app_secret = app_secret
        self.seller_name = seller_name
        self.region = region
        self.open_id = ids.token("", 54)
        self._wall = wall
        self._sim_now = sim_now
        self._codes: dict[str, tuple[int, bool]] = {}
        self._by_access: dict[str, Grant] = {}
        self._by_refresh: dict[str, Grant] = {}
        self.refresh_deadline: int | None = None
        self.access_lifetime = ACCESS_LIFETIME

    def issue_code(self) -> str:
        """What the seller's click on "Authorize" produces."""
        code = self._ids.token("ROW_", 40)
        self._codes[code] = (self._sim_now() + AUTH_CODE_LIFETIME, False)
        return code

    def _grant(self) -> Grant:
        now = int(self._wall())
        if self.refresh_deadline is None or self.refresh_deadline <= now:
            self.refresh_deadline = now + REFRESH_LIFETIME
        grant = Grant(
            access_token=self._ids.token("TTP_", 86),
            access_expires=now + self.access_lifetime,
            refresh_token=self._ids.token("TTP_", 60),
            refresh_expires=self.refresh_deadline,
        )
        self._by_access[grant.access_token] = grant
        self._by_refresh[grant.refresh_token] = grant
        return grant

    def token_endpoint(self, grant_type: str, params: Mapping[str, str]) -> dict[str, object]:
        """``/api/v2/token/get`` (``authorized_code``) and ``/api/v2/token/refresh``."""
        if params.get("app_key") != self.app_key:
            raise ApiError(36009004, "Invalid credentials. Invalid `app_key` query parameter.")
        if params.get("app_secret") != self.app_secret:
            raise ApiError(36009004, "Invalid credentials. The `app_secret` is invalid.")
        if params.get("grant_type") != grant_type:
            raise ApiError(36009004, f"Invalid grant_type. Only `{grant_type}` is accepted.")
        if grant_type == "authorized_code":
            code = params.get("auth_code", "")
            expires, used = self._codes.get(code, (0, True))
            if used or expires < self._sim_now():
                raise ApiError(36004004, "invalid auth code")
            self._codes[code] = (expires, True)
            grant = self._grant()
        else:
            old = self._by_refresh.get(params.get("refresh_token", ""))
            if old is None or old.refresh_used:
                raise ApiError(36004004, "invalid refresh token")
            if old.revoked:
                raise ApiError(36004005, "can not find related auth record")
            if old.refresh_expires <= self._wall():
                raise ApiError(36004001, "rt has expired")
            old.refresh_used = True
            grant = self._grant()
        return {
            "access_token": grant.access_token,
            "access_token_expire_in": grant.access_expires,
            "refresh_token": grant.refresh_token,
            "refresh_token_expire_in": grant.refresh_expires,
            "open_id": self.open_id,
            "seller_name": self.seller_name,
            "seller_base_region": self.region,
            "user_type": 0,
            "granted_scopes": SCOPES,
        }

    def check_access(self, token: str | None) -> None:
        """The ``x-tts-access-token`` check: unknown/revoked 36009004, expired 105002."""
        grant = self._by_access.get(token or "")
        if grant is None or grant.revoked:
            raise ApiError(
                36009004,
                "Invalid credentials. The `x-tts-access-token` header is invalid.",
                status=401,
            )
        if grant.access_expires <= self._wall():
            raise ApiError(105002, "Expired credentials. The access token has expired.", status=401)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now expired."""
        past = int(self._wall()) - 1
        for grant in self._by_access.values():
            grant.access_expires = min(grant.access_expires, past)

    def expire_refresh_tokens(self) -> None:
        """Every refresh token is now past its (absolute) expiry."""
        past = int(self._wall()) - 1
        self.refresh_deadline = past
        for grant in self._by_refresh.values():
            grant.refresh_expires = min(grant.refresh_expires, past)

    def revoke(self) -> None:
        """The seller deauthorized the app: every token issued so far stops working."""
        for grant in self._by_access.values():
            grant.revoked = True
