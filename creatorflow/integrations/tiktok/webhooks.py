"""TikTok Shop webhooks: signature verification and typed parsing of the envelope.

TikTok signs each push with ``lowercase_hex(HMAC-SHA256(key=app_secret, app_key + raw_body))``
and sends it, bare, in the ``Authorization`` header. The MAC covers neither a timestamp nor
the path, so callers dedupe on ``tts_notification_id`` and treat every event as a hint to
re-fetch the order, never as the source of truth.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from enum import IntEnum
from typing import Any

import msgspec

from creatorflow.errors import ProviderError

__all__ = [
    "CancellationStatusChange",
    "EventData",
    "EventType",
    "InventoryDistribution",
    "InventoryStatusChange",
    "OrderStatusChange",
    "PackageRef",
    "PackageUpdate",
    "ProductStatusChange",
    "RecipientAddressUpdate",
    "SellerDeauthorization",
    "TriggerReason",
    "UpcomingAuthorizationExpiration",
    "WebhookEvent",
    "WebhookPayloadError",
    "event_data",
    "parse_event",
    "verify",
]

_SIGNATURE = re.compile(r"[0-9a-f]{64}")


class WebhookPayloadError(ProviderError):
    """A webhook body is not JSON, or lacks the fields of a TikTok Shop event."""

    title = "Bad webhook payload"


class EventType(IntEnum):
    """Webhook topic codes (the envelope's ``type``); TikTok adds new ones over time."""

    ORDER_STATUS_CHANGE = 1
    REVERSE_STATUS_UPDATE = 2
    RECIPIENT_ADDRESS_UPDATE = 3
    PACKAGE_UPDATE = 4
    PRODUCT_STATUS_CHANGE = 5
    SELLER_DEAUTHORIZATION = 6
    UPCOMING_AUTHORIZATION_EXPIRATION = 7
    CANCELLATION_STATUS_CHANGE = 11
    RETURN_STATUS_CHANGE = 12
    NEW_CONVERSATION = 13
    NEW_MESSAGE = 14
    PRODUCT_INFORMATION_CHANGE = 15
    PRODUCT_CREATION = 16
    PRODUCT_CATEGORY_CHANGE = 18
    INVENTORY_STATUS_CHANGE = 27
    NEW_MESSAGE_LISTENER = 33
    INVOICE_STATUS_CHANGE = 36
    PRODUCT_AUDIT_STATUS_CHANGE = 37


class WebhookEvent(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    """The envelope every TikTok Shop webhook shares.

    ``type`` stays a plain int so that topics newer than this code still parse; see
    :attr:`event_type`. ``tts_notification_id`` is missing from some older pushes.
    """

    type: int
    tts_notification_id: str | None = None
    shop_id: str
    timestamp: int
    data: dict[str, Any]

    @property
    def event_type(self) -> EventType | None:
        """The known topic, or ``None`` for a code this version does not know."""
        try:
            return EventType(self.type)
        except ValueError:
            return None


class _Data(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    pass


class OrderStatusChange(_Data):
    """Type 1. ``order_status`` is kept as text: TikTok documents ``CANCEL`` here but
    ``CANCELLED`` in the Order API, and new statuses (``ON_HOLD``) appear over time."""

    order_id: str
    order_status: str | None = None
    is_on_hold_order: bool | None = None
    update_time: int | None = None


class RecipientAddressUpdate(_Data):
    """Type 3: the buyer changed the address; re-read it before buying a label."""

    order_id: str
    update_time: int | None = None


class PackageRef(_Data):
    """One package of a type-4 event and the orders in it."""

    package_id: str
    order_id_list: list[str] = msgspec.field(default_factory=list)


class PackageUpdate(_Data):
    """Type 4: packages were split, combined or had those undone."""

    package_list: list[PackageRef]
    sc_type: str | None = None
    role_type: str | None = None
    update_time: int | None = None


class ProductStatusChange(_Data):
    """Type 5."""

    product_id: str
    status: str | None = None
    suspended_reason: str | None = None
    update_time: int | None = None


class SellerDeauthorization(_Data):
    """Type 6: the seller revoked the app; its tokens no longer work."""

    message: str | None = None


class UpcomingAuthorizationExpiration(_Data):
    """Type 7. TikTok sends ``expiration_time`` (Unix seconds) as a string."""

    message: str | None = None
    expiration_time: int | None = None


class CancellationStatusChange(_Data):
    """Type 11: a cancellation was requested, granted, refused or completed."""

    order_id: str
    cancellations_role: str | None = None
    cancel_status: str | None = None
    cancel_id: str | None = None
    create_time: int | None = None


class TriggerReason(_Data):
    """Why a type-27 inventory event fired."""

    alert_type: str | None = None
    lead_days: int | None = None
    low_stock_threshold: int | None = None


class InventoryDistribution(_Data):
    """Stock counts of a type-27 inventory event."""

    total_quantity: int | None = None
    available_quantity: int | None = None
    creator_reserved_quantity: int | None = None
    campaign_reserved_quantity: int | None = None
    committed_quantity: int | None = None


class InventoryStatusChange(_Data):
    """Type 27: a SKU's stock became low, ran out or recovered."""

    product_id: str
    sku_id: str
    trigger_reason: TriggerReason | None = None
    current_inventory_status: str | None = None
    inventory_distribution: InventoryDistribution | None = None
    update_time: int | None = None


EventData = (
    OrderStatusChange
    | RecipientAddressUpdate
    | PackageUpdate
    | ProductStatusChange
    | SellerDeauthorization
    | UpcomingAuthorizationExpiration
    | CancellationStatusChange
    | InventoryStatusChange
)
"""Every typed ``data`` shape :func:`event_data` can return."""

_DATA_TYPES: dict[int, type[EventData]] = {
    EventType.ORDER_STATUS_CHANGE: OrderStatusChange,
    EventType.RECIPIENT_ADDRESS_UPDATE: RecipientAddressUpdate,
    EventType.PACKAGE_UPDATE: PackageUpdate,
    EventType.PRODUCT_STATUS_CHANGE: ProductStatusChange,
    EventType.SELLER_DEAUTHORIZATION: SellerDeauthorization,
    EventType.UPCOMING_AUTHORIZATION_EXPIRATION: UpcomingAuthorizationExpiration,
    EventType.CANCELLATION_STATUS_CHANGE: CancellationStatusChange,
    EventType.INVENTORY_STATUS_CHANGE: InventoryStatusChange,
}


def verify(app_key: str, app_secret: str, raw_body: bytes, authorization: str) -> bool:
    """Check the ``Authorization`` header of a webhook push against its raw body.

    Call this on the bytes exactly as received, before any JSON parsing.

    Args:
        app_key: The app key from Partner Center.
        app_secret: The app secret from Partner Center.
        raw_body: The request body, unparsed.
        authorization: The ``Authorization`` header value (a bare hex digest).

    Returns:
        True only when the header is the expected HMAC-SHA256; False for a wrong,
        empty or malformed header, a body that is not UTF-8, or missing credentials.
    """
    if not app_key or not app_secret:
        return False
    # Hex case carries no secret, so accept either; anything else cannot be a digest.
    signature = authorization.strip().lower()
    if _SIGNATURE.fullmatch(signature) is None:
        return False
    try:
        raw_body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    expected = hmac.new(app_secret.encode(), app_key.encode() + raw_body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), signature)


def _ids_as_text(value: Any, key: str = "") -> Any:
    # Some TikTok samples send ids as JSON numbers; they are text everywhere else.
    if isinstance(value, dict):
        return {k: _ids_as_text(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_ids_as_text(v, key) for v in value]
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and key.endswith(("_id", "_ids", "_id_list"))
    ):
        return str(value)
    return value


def parse_event(raw_body: bytes) -> WebhookEvent:
    """Decode a webhook body into its envelope, leaving ``data`` as a plain dict.

    Args:
        raw_body: The request body, ideally after :func:`verify` accepted it.

    Returns:
        The envelope; see :func:`event_data` for the typed ``data``.

    Raises:
        WebhookPayloadError: The body is not JSON, not an object, or lacks ``type``,
            ``shop_id``, ``timestamp`` or ``data``.
    """
    try:
        decoded = msgspec.json.decode(raw_body)
        if isinstance(decoded, dict):
            decoded = {k: _ids_as_text(v, k) if k != "data" else v for k, v in decoded.items()}
        return msgspec.convert(decoded, WebhookEvent, strict=False)
    except (msgspec.MsgspecError, RecursionError, UnicodeDecodeError) as exc:
        raise WebhookPayloadError(
            f"The webhook body is not a TikTok Shop event: {exc}",
            hint="Check the Webhook Log in the TikTok Partner Center for what was sent.",
        ) from exc


def event_data(event: WebhookEvent) -> EventData | dict[str, Any]:
    """Decode an event's ``data`` into the shape its topic documents.

    Args:
        event: An envelope from :func:`parse_event`.

    Returns:
        The typed data for a known topic, or the raw ``data`` dict for any other
        (including topics TikTok adds after this version).

    Raises:
        WebhookPayloadError: A known topic's ``data`` lacks its ids or has wrong types.
    """
    data_type = _DATA_TYPES.get(event.type)
    if data_type is None:
        return event.data
    try:
        return msgspec.convert(_ids_as_text(event.data), data_type, strict=False)
    except (msgspec.MsgspecError, RecursionError) as exc:
        raise WebhookPayloadError(
            f"TikTok Shop event type {event.type} has unexpected data: {exc}",
        ) from exc
