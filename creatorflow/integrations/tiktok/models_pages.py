"""Pages decoded one item at a time: a sync must not lose a whole page to one bad order.

The page's items stay raw JSON and each is decoded on its own, keeping the exact bytes for
the store (or for the quarantine, with the reason it was refused).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import msgspec

from creatorflow.integrations.tiktok.models import Envelope, Order, TikTokDecodeError, _Model

__all__ = [
    "DecodedOrder",
    "OrderPage",
    "RawOrderPageData",
    "RejectedItem",
    "decode_items",
    "decode_order_page",
    "decode_page",
]

T = TypeVar("T")


class RawOrderPageData(_Model):
    """``data`` of Search Orders / Get Order Detail with each order left undecoded."""

    orders: list[msgspec.Raw] = msgspec.field(default_factory=list)
    next_page_token: str | None = None
    total_count: int | None = None


class RejectedItem(msgspec.Struct, frozen=True):
    """An item of a page that does not fit its model: its exact JSON and why.

    ``external_id`` is the item's ``id`` when one could still be read.
    """

    raw: bytes
    reason: str
    external_id: str | None


class DecodedOrder(msgspec.Struct, frozen=True):
    """An order and the exact JSON bytes TikTok sent for it."""

    order: Order
    raw: bytes


class OrderPage(msgspec.Struct, frozen=True):
    """One page of orders; ``next_page_token`` is ``None`` on the last page."""

    orders: list[DecodedOrder]
    rejected: list[RejectedItem]
    next_page_token: str | None
    total_count: int | None


class _IdProbe(msgspec.Struct, forbid_unknown_fields=False):
    id: Any = None


_ID_PROBE = msgspec.json.Decoder(_IdProbe)
_ORDER = msgspec.json.Decoder(Order)
_RAW_ORDER_PAGE = msgspec.json.Decoder(RawOrderPageData)


def _probe_id(raw: bytes) -> str | None:
    try:
        value = _ID_PROBE.decode(raw).id
    except (msgspec.MsgspecError, UnicodeDecodeError):
        return None
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def decode_items(
    raws: Iterable[msgspec.Raw], decoder: msgspec.json.Decoder[T]
) -> tuple[list[tuple[T, bytes]], list[RejectedItem]]:
    """Decode each raw item with ``decoder``; the misfits become :class:`RejectedItem`.

    Returns:
        The decoded items with their exact bytes, in page order, and the rejected ones.
    """
    decoded: list[tuple[T, bytes]] = []
    rejected: list[RejectedItem] = []
    for item in raws:
        raw = bytes(item)
        try:
            decoded.append((decoder.decode(raw), raw))
        # A string that is not UTF-8 raises UnicodeDecodeError (not a MsgspecError).
        except (msgspec.MsgspecError, RecursionError, UnicodeDecodeError) as exc:
            rejected.append(RejectedItem(raw, str(exc), _probe_id(raw)))
    return decoded, rejected


def decode_order_page(envelope: Envelope) -> OrderPage:
    """Decode the ``data`` of Search Orders or Get Order Detail one order at a time.

    Raises:
        TikTokDecodeError: ``data`` is missing or is not a page (an order that does not fit
            :class:`Order` is rejected, not raised).
    """
    page = RawOrderPageData() if envelope.data is None else decode_page(envelope, _RAW_ORDER_PAGE)
    decoded, rejected = decode_items(page.orders, _ORDER)
    return OrderPage(
        [DecodedOrder(order, raw) for order, raw in decoded],
        rejected,
        page.next_page_token or None,
        page.total_count,
    )


def decode_page(envelope: Envelope, decoder: msgspec.json.Decoder[T]) -> T:
    """Decode a present ``data`` with a prepared decoder (hot paths reuse one decoder).

    Raises:
        TikTokDecodeError: ``data`` does not fit the decoder's type.
    """
    assert envelope.data is not None
    try:
        return decoder.decode(envelope.data)
    except (msgspec.MsgspecError, RecursionError, UnicodeDecodeError) as exc:
        request = f" (request_id {envelope.request_id})" if envelope.request_id else ""
        detail = str(exc).replace("`$", "`$.data")
        raise TikTokDecodeError(
            f"TikTok sent a page that cannot be read{request}: {detail}",
            hint="TikTok may have changed this API; report it with the request id.",
        ) from exc
