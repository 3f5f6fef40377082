"""The ``data`` of TikTok's token endpoints (``/api/v2/token/get`` and ``/refresh``, §3.4).

Both ``*_expire_in`` fields are absolute Unix seconds despite their name;
:mod:`creatorflow.integrations.tiktok.oauth` turns them into aware datetimes.
"""

from __future__ import annotations

import msgspec

__all__ = ["TokenData"]


class TokenData(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    """The tokens TikTok hands out; ``user_type`` 0 is a seller, 1 a creator, 3 a partner."""

    access_token: str
    access_token_expire_in: int | None = None
    refresh_token: str | None = None
    refresh_token_expire_in: int | None = None
    open_id: str | None = None
    seller_name: str | None = None
    seller_base_region: str | None = None
    user_type: int | None = None
    granted_scopes: list[str] = msgspec.field(default_factory=list)

    def __repr__(self) -> str:
        return f"TokenData(open_id={self.open_id!r}, seller_name={self.seller_name!r}, ...)"
