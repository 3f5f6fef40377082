"""Device login (RFC 8628): device codes, token polling, the approval page, logout.

The approval page (`/device`) trusts an email only from the vendor's login proxy, or from the
form when approval is explicitly open (sandbox, `serve --dev`): see
`creatorflow.billing_service.settings`. Device codes and install tokens are stored hashed.
"""

from __future__ import annotations

import html
import re
import secrets
from typing import Annotated
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from creatorflow.billing_service.deps import (
    AUTH_RESPONSES,
    RATE_LIMIT_RESPONSES,
    RATE_LIMIT_RESPONSES_JSON,
    InstallDep,
    ServiceDep,
    rate_limited,
)
from creatorflow.billing_service.models import (
    DeviceCodeRequest,
    DeviceCodeResponse,
    DeviceTokenRequest,
    DeviceTokenResponse,
    ErrorBody,
    RevokeResponse,
)
from creatorflow.billing_service.records import DeviceCode, token_hash
from creatorflow.billing_service.service import ApiError

router = APIRouter()

#: RFC 8628 §6.1: no vowels (no words), no look-alikes; 20^8 codes.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def new_user_code() -> str:
    """A random user code such as `WDJB-MJHT`."""
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def normalize_user_code(text: str) -> str:
    """What a person typed, as the stored form: upper case, the dash put back."""
    letters = "".join(ch for ch in text.upper() if ch.isalpha())[:8]
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else letters


@router.post(
    "/v1/device/code",
    response_model=DeviceCodeResponse,
    responses=RATE_LIMIT_RESPONSES,
    dependencies=[Depends(rate_limited("device_code"))],
    tags=["device login"],
)
def device_code(
    request: Request, service: ServiceDep, body: DeviceCodeRequest | None = None
) -> DeviceCodeResponse:
    """Start a device login: a device code for the client, a user code for the person."""
    now = service.now()
    settings = service.settings
    service.store.purge_device_codes(now)
    device = secrets.token_urlsafe(32)
    for _ in range(5):
        user_code = new_user_code()
        code = DeviceCode(
            code_hash=token_hash(device),
            user_code=user_code,
            station=body.station if body else "",
            expires_at=now + settings.device_code_ttl,
            interval=settings.device_poll_interval,
            last_polled_at=None,
            status="pending",
            account_id=None,
        )
        if service.store.create_device_code(code, now):
            break
    else:  # pragma: no cover - five collisions in 20^8 codes
        raise ApiError(503, "try_again", "Could not allocate a user code; try again.")
    base = f"{service.public_url(request)}/device"
    return DeviceCodeResponse(
        device_code=device,
        user_code=user_code,
        verification_uri=base,
        verification_uri_complete=f"{base}?user_code={quote(user_code)}",
        expires_in=settings.device_code_ttl,
        interval=settings.device_poll_interval,
    )


@router.post(
    "/v1/device/token",
    response_model=DeviceTokenResponse,
    responses={
        400: {
            "model": ErrorBody,
            "description": "authorization_pending, slow_down, expired_token or access_denied",
        },
        **RATE_LIMIT_RESPONSES,
    },
    dependencies=[Depends(rate_limited("device_token"))],
    tags=["device login"],
)
def device_token(
    body: DeviceTokenRequest, response: Response, service: ServiceDep
) -> DeviceTokenResponse:
    """Poll a device login; the install token is handed out once, after approval."""
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1: never cache a token
    now = service.now()
    code_hash = token_hash(body.device_code)
    code, too_soon = service.store.poll_device(code_hash, now)
    if code is None or code.status == "consumed" or now >= code.expires_at:
        raise ApiError(400, "expired_token", "The device code has expired; log in again.")
    if code.status == "denied":
        raise ApiError(400, "access_denied", "The login was denied.")
    if code.status == "approved":
        try:
            token, install_id, account_id = service.store.exchange_device_code(
                code_hash, code.station, now
            )
        except LookupError:
            raise ApiError(400, "expired_token", "The device code was already used.") from None
        return DeviceTokenResponse(
            install_token=token, install_id=install_id, account_id=account_id
        )
    if too_soon:
        raise ApiError(
            400, "slow_down", f"Polled too fast; wait {code.interval + 5} s between polls."
        )
    raise ApiError(400, "authorization_pending", "Waiting for the login to be approved.")


@router.delete(
    "/v1/install",
    response_model=RevokeResponse,
    responses=AUTH_RESPONSES,
    tags=["device login"],
)
def revoke_install(install: InstallDep, service: ServiceDep) -> RevokeResponse:
    """Revoke the calling install token (`creatorflow billing logout`)."""
    service.store.revoke_install(install.id, service.now())
    return RevokeResponse(install_id=install.id, revoked=True)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CreatorFlow login</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto">
<h1>CreatorFlow login</h1>
{body}
</body></html>
"""

_FORM = """<p>{note}</p>
<form method="post" action="/device">
<p><label>Code shown in your terminal<br>
<input name="user_code" value="{user_code}" autocomplete="off" required></label></p>
<p><label>Your email<br><input name="email" type="email" autocomplete="email"></label></p>
<p><button name="action" value="approve">Approve</button>
<button name="action" value="deny">Deny</button></p>
</form>"""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(body=body), status_code=status)


@router.get(
    "/device",
    response_class=HTMLResponse,
    responses={**RATE_LIMIT_RESPONSES_JSON, 200: {"content": {"text/html": {}}}},
    dependencies=[Depends(rate_limited("device_approve"))],
    tags=["device login"],
)
def approval_page(
    service: ServiceDep,
    user_code: Annotated[str, Query(max_length=32)] = "",
) -> HTMLResponse:
    """The page where a person approves or denies a device login."""
    code = service.store.device_by_user_code(normalize_user_code(user_code)) if user_code else None
    if code is not None and code.status == "pending" and service.now() < code.expires_at:
        note = f"Approve the login of station <b>{html.escape(code.station or 'unnamed')}</b>?"
    else:
        note = "Enter the code shown by <code>creatorflow billing login</code>."
    shown = html.escape(normalize_user_code(user_code)) if user_code else ""
    return _page(_FORM.format(note=note, user_code=shown))


_FORM_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["user_code", "action"],
                    "properties": {
                        "user_code": {"type": "string", "maxLength": 32},
                        "email": {"type": "string", "maxLength": 254},
                        "action": {"type": "string", "enum": ["approve", "deny"]},
                    },
                }
            }
        },
    }
}


@router.post(
    "/device",
    response_class=HTMLResponse,
    responses={
        **RATE_LIMIT_RESPONSES_JSON,
        200: {"content": {"text/html": {}}},
        400: {"content": {"text/html": {}}, "description": "Unknown or expired code, bad email"},
        403: {
            "content": {"text/html": {}},
            "description": "Not signed in to the vendor's login, or posted from another site",
        },
    },
    dependencies=[Depends(rate_limited("device_approve"))],
    openapi_extra=_FORM_SCHEMA,
    tags=["device login"],
)
async def approve(request: Request, service: ServiceDep) -> HTMLResponse:
    """Approve (for the account with this email, created if new) or deny a device login."""
    origin = request.headers.get("origin")
    if origin is not None and origin != _origin(service.public_url(request)):
        # Another site posting this form would make a signed-in person approve a code the
        # attacker holds (a cross-site request forgery).
        return _page("<p>This form must be sent from this site.</p>", 403)
    raw = await request.body()
    try:
        form = parse_qs(raw[:16_384].decode("utf-8", "replace"), max_num_fields=10)
    except ValueError:
        return _page("<p>The form is malformed.</p>", 400)
    user_code = normalize_user_code(form.get("user_code", [""])[0][:32])
    email = form.get("email", [""])[0].strip().lower()
    action = form.get("action", [""])[0]
    settings = service.settings
    if settings.approval_email_header:
        email = request.headers.get(settings.approval_email_header, "").strip().lower()
        if not email:
            return _page("<p>Sign in first: this page needs the vendor's login.</p>", 403)
    elif not settings.open_approval:
        return _page("<p>Device approval is not enabled on this service.</p>", 403)
    if action not in ("approve", "deny"):
        return _page("<p>Choose Approve or Deny.</p>", 400)
    if action == "approve" and (len(email) > 254 or not _EMAIL.match(email)):
        note = "Enter a valid email address."
        return _page(_FORM.format(note=note, user_code=html.escape(user_code)), 400)
    done = await run_in_threadpool(
        service.store.decide_device,
        user_code,
        email if action == "approve" else None,
        action == "approve",
        service.now(),
    )
    if not done:
        return _page("<p>This code is unknown, expired or already used.</p>", 400)
    if action == "deny":
        return _page("<p>Login denied. You can close this window.</p>")
    return _page("<p>Approved. Return to your terminal; you can close this window.</p>")
