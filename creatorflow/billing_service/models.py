"""Request and response bodies of the HTTP API (`docs/billing-api.md`), as pydantic models.

They are what `/openapi.json` documents, so the contract and the code cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

#: Usage event ids: the hex SHA-256 of the contract, or any id safe as a Stripe meter
#: `identifier` (at most 100 characters).
EVENT_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{8,100}$"
MAX_BATCH = 500


#: Text the service stores may not hold NUL (PostgreSQL text cannot, and no value needs it).
NO_NUL = r"^[^\x00]*$"


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer."""

    error: str = Field(description="machine-readable code, e.g. invalid_token")
    message: str = Field(description="what happened, for people")


class Health(BaseModel):
    """`GET /healthz`."""

    status: str


class DeviceCodeRequest(BaseModel):
    """`POST /v1/device/code`."""

    station: Annotated[str, Field(max_length=200, pattern=NO_NUL)] = ""


class DeviceCodeResponse(BaseModel):
    """A new device login (RFC 8628 §3.2)."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int


class DeviceTokenRequest(BaseModel):
    """`POST /v1/device/token`; `grant_type` (RFC 8628 §3.4) is accepted and not required."""

    device_code: Annotated[str, Field(min_length=1, max_length=200)]
    grant_type: Annotated[str | None, Field(max_length=200)] = None


class DeviceTokenResponse(BaseModel):
    """The install token, handed out once."""

    install_token: str
    install_id: str
    account_id: str


class RevokeResponse(BaseModel):
    """`DELETE /v1/install`."""

    install_id: str
    revoked: bool


class PlanOut(BaseModel):
    """A plan on sale; price fields are null until the service has read the Stripe price."""

    name: str
    order_limit: int
    price_lookup_key: str
    amount: int | None
    currency: str | None
    interval: str | None


class PlansResponse(BaseModel):
    """`GET /v1/plans`."""

    plans: list[PlanOut]


class CheckoutRequest(BaseModel):
    """`POST /v1/checkout`."""

    plan: Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]


class CheckoutResponse(BaseModel):
    """A Stripe Checkout URL to open in the browser."""

    url: str
    session_id: str


class PortalRequest(BaseModel):
    """`POST /v1/portal` takes an empty object."""

    model_config = ConfigDict(extra="ignore")


class PortalResponse(BaseModel):
    """A Stripe Customer Portal URL to open in the browser."""

    url: str


class EntitlementResponse(BaseModel):
    """`GET /v1/entitlement`: a signed `cfe1.` token."""

    token: str


class UsageEventIn(BaseModel):
    """One labelled order."""

    id: Annotated[str, Field(pattern=EVENT_ID_PATTERN)]
    order_id: Annotated[str, Field(min_length=1, max_length=200, pattern=NO_NUL)]
    occurred_at: datetime


class UsageBatch(BaseModel):
    """`POST /v1/usage`."""

    events: Annotated[list[UsageEventIn], Field(max_length=MAX_BATCH)]


class UsageResult(BaseModel):
    """What a batch did, the period's authoritative count, and a fresh entitlement."""

    accepted: int
    duplicates: int
    period_used: int
    order_limit: int
    token: str


class UsageSummary(BaseModel):
    """`GET /v1/usage`."""

    period_start: int
    period_end: int
    used: int
    order_limit: int


class WebhookAck(BaseModel):
    """A validly signed webhook, acknowledged."""

    received: bool
    handled: bool
    duplicate: bool
