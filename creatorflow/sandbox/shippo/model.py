"""The simulator's request, error and stateful objects (transactions and refunds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

LABEL_FILE_TYPES = frozenset(
    {"PNG", "PNG_2.3x7.5", "PDF", "PDF_2.3x7.5", "PDF_4x6", "PDF_4x8", "PDF_A4", "PDF_A5",
     "PDF_A6", "ZPLII"}
)  # fmt: skip
IN_FLIGHT = frozenset({"QUEUED", "WAITING"})


class ApiError(Exception):
    """An error answer: the HTTP status and the JSON body Shippo would send (DRF style)."""

    def __init__(self, status: int, body: dict[str, Any], *, retry_after: int | None = None):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.retry_after = retry_after


def field_error(name: str, message: str, status: int = 400) -> ApiError:
    """``{"<name>": ["<message>"]}``, the shape of a DRF validation error."""
    return ApiError(status, {name: [message]})


def not_found() -> ApiError:
    """``404 {"detail": "Not found."}``."""
    return ApiError(404, {"detail": "Not found."})


@dataclass
class Call:
    """One parsed API request."""

    method: str
    path_params: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]
    base_url: str


@dataclass
class Transaction:
    """A label purchase and its life: QUEUED → SUCCESS/ERROR → REFUNDPENDING → REFUNDED."""

    object_id: str
    rate_id: str
    shipment_id: str
    parcel_id: str
    provider: str
    service_token: str
    service_name: str
    estimated_days: int
    created: datetime
    updated: datetime
    status: str
    label_file_type: str
    metadata: str
    tracking_number: str
    base_url: str
    outcome: str = "SUCCESS"
    messages: list[dict[str, str]] = field(default_factory=list)
    polls: int = 0
    refund_id: str | None = None


@dataclass
class Refund:
    """A refund request for one transaction: QUEUED → SUCCESS or ERROR (label scanned)."""

    object_id: str
    transaction_id: str
    created: datetime
    updated: datetime
    status: str
    outcome: str
    polls: int = 0
