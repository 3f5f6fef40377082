"""The authorised shops and when the seller's tokens expire (the tokens are in the secret store)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from creatorflow.store.tables import Shop

__all__ = [
    "ShopData",
    "active_shops",
    "all_shops",
    "mark_deauthorized",
    "set_token_expiry",
    "token_expiry",
    "upsert_shops",
]


@dataclass(frozen=True, slots=True)
class ShopData:
    """A shop as TikTok lists it."""

    id: str
    name: str
    region: str
    cipher: str
    seller_type: str | None = None


def upsert_shops(
    session: Session,
    shops: Sequence[ShopData],
    *,
    access_expires_at: datetime | None,
    refresh_expires_at: datetime | None,
    now: datetime,
) -> None:
    """Store the shops of a fresh authorisation; a shop seen again is authorised again."""
    for data in shops:
        shop = session.get(Shop, data.id)
        if shop is None:
            shop = Shop(id=data.id, authorized_at=now)
            session.add(shop)
        shop.name = data.name
        shop.region = data.region
        shop.cipher = data.cipher
        shop.seller_type = data.seller_type
        shop.access_token_expires_at = access_expires_at
        shop.refresh_token_expires_at = refresh_expires_at
        shop.authorized_at = now
        shop.deauthorized_at = None
    session.flush()


def all_shops(session: Session) -> list[Shop]:
    """Every shop ever authorised, by name."""
    return list(session.scalars(select(Shop).order_by(Shop.name, Shop.id)))


def active_shops(session: Session) -> list[Shop]:
    """The shops whose authorisation has not been revoked."""
    query = select(Shop).where(Shop.deauthorized_at.is_(None)).order_by(Shop.name, Shop.id)
    return list(session.scalars(query))


def token_expiry(session: Session) -> tuple[datetime | None, datetime | None]:
    """The earliest access and refresh token expiries among the active shops."""
    row = session.execute(
        select(
            func.min(Shop.access_token_expires_at), func.min(Shop.refresh_token_expires_at)
        ).where(Shop.deauthorized_at.is_(None))
    ).one()
    return row[0], row[1]


def set_token_expiry(
    session: Session, access_expires_at: datetime | None, refresh_expires_at: datetime | None
) -> None:
    """Record the expiries of refreshed tokens on every active shop (one seller, one token)."""
    session.execute(
        update(Shop)
        .where(Shop.deauthorized_at.is_(None))
        .values(
            access_token_expires_at=access_expires_at,
            refresh_token_expires_at=refresh_expires_at,
        )
    )


def mark_deauthorized(session: Session, shop_id: str | None, *, now: datetime) -> int:
    """Record that the seller revoked the app (one shop, or all when ``shop_id`` is None)."""
    query = update(Shop).where(Shop.deauthorized_at.is_(None)).values(deauthorized_at=now)
    if shop_id is not None:
        query = query.where(Shop.id == shop_id)
    result = session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)
