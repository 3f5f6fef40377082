"""Plans, checkout, portal, entitlement, usage and the Stripe webhook (`docs/billing-api.md`)."""

from __future__ import annotations

import contextlib
import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from creatorflow.billing_service.deps import AUTH_RESPONSES, InstallDep, ServiceDep
from creatorflow.billing_service.gateway import GatewayError, WebhookSignatureError, verify_webhook
from creatorflow.billing_service.metering import forward_usage
from creatorflow.billing_service.models import (
    CheckoutRequest,
    CheckoutResponse,
    EntitlementResponse,
    ErrorBody,
    PlanOut,
    PlansResponse,
    PortalRequest,
    PortalResponse,
    UsageBatch,
    UsageResult,
    UsageSummary,
    WebhookAck,
)
from creatorflow.billing_service.records import LIVE_STATUSES, UsageEvent
from creatorflow.billing_service.service import ApiError
from creatorflow.billing_service.webhooks import handle_webhook

router = APIRouter()

#: Events claiming to come from further in the future than this are placed at "now".
CLOCK_SKEW = 300
MAX_WEBHOOK_BYTES = 1_000_000

_STRIPE_RESPONSES: dict[int | str, dict[str, object]] = {
    502: {"model": ErrorBody, "description": "Stripe refused or failed"},
    503: {"model": ErrorBody, "description": "Stripe is not configured or unreachable"},
}


def _stripe_failed(exc: GatewayError) -> ApiError:
    return ApiError(502, "stripe_error", f"{exc} (try again later)")


@router.get("/v1/plans", response_model=PlansResponse, tags=["billing"])
def list_plans(service: ServiceDep) -> PlansResponse:
    """The plans on sale (no authentication needed)."""
    out = []
    for plan in service.store.plans():
        # Without its price when Stripe fails; the next listing tries again.
        with contextlib.suppress(GatewayError):
            plan = service.priced(plan)
        out.append(
            PlanOut(
                name=plan.name,
                order_limit=plan.order_limit,
                price_lookup_key=plan.price_lookup_key,
                amount=plan.amount,
                currency=plan.currency,
                interval=plan.interval,
            )
        )
    return PlansResponse(plans=out)


@router.post(
    "/v1/checkout",
    response_model=CheckoutResponse,
    responses={
        **AUTH_RESPONSES,
        404: {"model": ErrorBody, "description": "No such plan"},
        409: {"model": ErrorBody, "description": "Already subscribed: use the portal"},
        **_STRIPE_RESPONSES,
    },
    tags=["billing"],
)
def checkout(
    body: CheckoutRequest, request: Request, install: InstallDep, service: ServiceDep
) -> CheckoutResponse:
    """A Stripe Checkout (mode=subscription) URL for a plan."""
    plan = service.store.plan(body.plan)
    if plan is None:
        raise ApiError(404, "unknown_plan", "There is no plan with that name.")
    sub = service.store.subscription(install.account_id)
    if sub is not None and sub.status in LIVE_STATUSES:
        raise ApiError(
            409,
            "already_subscribed",
            "The account already has a subscription; change plans in the portal.",
        )
    gateway = service.require_gateway()
    account = service.store.account(install.account_id)
    try:
        plan = service.priced(plan)
        if plan.price_id is None:
            raise ApiError(503, "plan_unavailable", "The plan has no Stripe price yet.")
        base = service.public_url(request)
        session = gateway.create_checkout_session(
            price_id=plan.price_id,
            account_id=install.account_id,
            plan=plan.name,
            customer_id=account.stripe_customer_id if account else None,
            customer_email=account.email if account else None,
            success_url=f"{base}/checkout/done?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{base}/checkout/cancel",
            idempotency_key=f"checkout:{install.account_id}:{secrets.token_hex(12)}",
        )
    except GatewayError as exc:
        raise _stripe_failed(exc) from None
    return CheckoutResponse(url=session.url, session_id=session.id)


@router.post(
    "/v1/portal",
    response_model=PortalResponse,
    responses={
        **AUTH_RESPONSES,
        409: {"model": ErrorBody, "description": "no_customer: no checkout yet"},
        **_STRIPE_RESPONSES,
    },
    tags=["billing"],
)
def portal(
    request: Request, install: InstallDep, service: ServiceDep, body: PortalRequest | None = None
) -> PortalResponse:
    """A Stripe Customer Portal URL (change plan, cancel, update the card)."""
    account = service.store.account(install.account_id)
    sub = service.store.subscription(install.account_id)
    customer = (account.stripe_customer_id if account else None) or (
        sub.stripe_customer_id if sub else None
    )
    if not customer:
        raise ApiError(409, "no_customer", "There is no Stripe customer yet: check out first.")
    gateway = service.require_gateway()
    try:
        url = gateway.create_portal_session(
            customer_id=customer,
            return_url=f"{service.public_url(request)}/portal/done",
            idempotency_key=f"portal:{install.account_id}:{secrets.token_hex(12)}",
        )
    except GatewayError as exc:
        raise _stripe_failed(exc) from None
    return PortalResponse(url=url)


@router.get(
    "/v1/entitlement",
    response_model=EntitlementResponse,
    responses=AUTH_RESPONSES,
    tags=["billing"],
)
def entitlement(install: InstallDep, service: ServiceDep) -> EntitlementResponse:
    """A freshly signed entitlement token for the calling install."""
    now = service.now()
    state = service.standing(install.account_id, now)
    used = service.used(install.account_id, state)
    return EntitlementResponse(token=service.entitlement(install, now, state, used))


def _seconds(moment: datetime, now: int) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        stamp = int(moment.timestamp())
    except (OverflowError, ValueError, OSError):
        return now
    return max(0, min(stamp, now + CLOCK_SKEW))


@router.post("/v1/usage", response_model=UsageResult, responses=AUTH_RESPONSES, tags=["billing"])
def post_usage(
    body: UsageBatch, install: InstallDep, service: ServiceDep, background: BackgroundTasks
) -> UsageResult:
    """Record a batch of labelled orders once each; answer with the period's count."""
    now = service.now()
    state = service.standing(install.account_id, now)
    events: dict[str, UsageEvent] = {}
    for event in body.events:
        if event.id not in events:
            events[event.id] = UsageEvent(
                event.id, event.order_id, _seconds(event.occurred_at, now)
            )
    accepted = service.store.record_usage(
        install.account_id, list(events.values()), state.period_start, now
    )
    if accepted and service.settings.meter_event:
        background.add_task(forward_usage, service, install.account_id)
    used = service.used(install.account_id, state)
    return UsageResult(
        accepted=len(accepted),
        duplicates=len(body.events) - len(accepted),
        period_used=used,
        order_limit=state.order_limit,
        token=service.entitlement(install, now, state, used),
    )


@router.get("/v1/usage", response_model=UsageSummary, responses=AUTH_RESPONSES, tags=["billing"])
def get_usage(install: InstallDep, service: ServiceDep) -> UsageSummary:
    """The current period and its authoritative usage count."""
    state = service.standing(install.account_id, service.now())
    return UsageSummary(
        period_start=state.period_start,
        period_end=state.period_end,
        used=service.used(install.account_id, state),
        order_limit=state.order_limit,
    )


_WEBHOOK_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.post(
    "/stripe/webhook",
    response_model=WebhookAck,
    responses={
        400: {"model": ErrorBody, "description": "Missing, tampered, stale or wrong signature"},
        413: {"model": ErrorBody, "description": "Body too large"},
        503: {"model": ErrorBody, "description": "Not configured, or Stripe unreachable"},
    },
    openapi_extra=_WEBHOOK_BODY,
    tags=["stripe"],
)
async def stripe_webhook(
    request: Request,
    service: ServiceDep,
    stripe_signature: Annotated[str | None, Header(max_length=4096)] = None,
) -> WebhookAck:
    """Receive a Stripe event: verify, dedup, re-fetch the subscription, store its state."""
    secret = service.settings.webhook_secret
    if not secret:
        raise ApiError(503, "webhook_not_configured", "STRIPE_WEBHOOK_SECRET is not set.")
    payload = await request.body()
    if len(payload) > MAX_WEBHOOK_BYTES:
        raise ApiError(413, "payload_too_large", "The webhook body is too large.")
    try:
        verify_webhook(payload, stripe_signature, secret, service.settings.webhook_tolerance)
    except WebhookSignatureError:
        raise ApiError(400, "invalid_signature", "The Stripe-Signature does not verify.") from None
    outcome = await run_in_threadpool(handle_webhook, service, payload)
    return WebhookAck(received=True, handled=outcome.handled, duplicate=outcome.duplicate)


_RETURN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>CreatorFlow billing</title></head><body style="font-family: sans-serif">
<h1>{title}</h1><p>Return to your terminal; you can close this window.</p></body></html>"""


@router.get("/checkout/done", response_class=HTMLResponse, include_in_schema=False)
def checkout_done() -> HTMLResponse:
    """Where Stripe Checkout sends the buyer after paying."""
    return HTMLResponse(_RETURN_PAGE.format(title="Thank you: your plan is being activated"))


@router.get("/checkout/cancel", response_class=HTMLResponse, include_in_schema=False)
def checkout_cancel() -> HTMLResponse:
    """Where Stripe Checkout sends the buyer who turned back."""
    return HTMLResponse(_RETURN_PAGE.format(title="Checkout cancelled"))


@router.get("/portal/done", response_class=HTMLResponse, include_in_schema=False)
def portal_done() -> HTMLResponse:
    """Where the Customer Portal sends the customer back."""
    return HTMLResponse(_RETURN_PAGE.format(title="Billing settings saved"))
