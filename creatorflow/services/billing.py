"""Billing use cases: sign in (device login), status, upgrade, portal, usage, sign out.

The local tool talks only to the CreatorFlow billing service (``billing.url``), never to
Stripe. Signing in stores the install token in the secret store and the first entitlement in
the database; from then on approvals respect the plan limit (see
:mod:`creatorflow.services.billing_usage`). Every function here says so, with a hint, when the
install is not signed in. Secrets are never returned, printed or logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from creatorflow.domain.entitlement import LIVE_STATUSES, Entitlement
from creatorflow.errors import AuthError, CreatorflowError, UsageError
from creatorflow.services.billing_core import (
    INSTALL_TOKEN,
    current_entitlement,
    install_token,
    not_signed_in,
    open_billing_client,
    refresh_entitlement,
    utcnow,
)
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from creatorflow.integrations.billing.client import DeviceCode

__all__ = [
    "BillingLink",
    "BillingStatus",
    "LoginResult",
    "LogoutResult",
    "UsageReport",
    "billing_status",
    "billing_usage",
    "finish_login",
    "logout",
    "portal_link",
    "start_login",
    "upgrade_link",
]


def start_login(services: Services, *, station: str | None = None) -> DeviceCode:
    """Start a device login: the code and the page to show the person.

    Raises:
        SecretError: there is nowhere to keep the install token (checked before anything).
        ProviderError: the billing service could not be reached.
    """

    services.secrets.require_writable(INSTALL_TOKEN)
    with open_billing_client(services, token=None) as client:
        return client.start_device_login(station or services.station)


@dataclass(frozen=True)
class LoginResult:
    """A finished sign-in: where the token went, and the first entitlement (if it came)."""

    install_id: str
    account_id: str
    stored_in: str
    shadowed_by: str | None
    entitlement: Entitlement | None
    entitlement_error: str | None


def finish_login(
    services: Services,
    code: DeviceCode,
    *,
    stopping: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
) -> LoginResult:
    """Wait for the person to approve, keep the install token, fetch the first entitlement.

    A previous sign-in of this install is replaced and its token revoked (best effort).

    Raises:
        DeviceLoginFailed: denied or expired. KeyboardInterrupt: ``stopping()`` or Ctrl-C.
    """
    from creatorflow.integrations.billing.client import BillingClient
    from creatorflow.store.billing import save_sign_in

    with BillingClient(services.settings.text("billing.url"), sleep=sleep) as client:
        grant = client.wait_for_device_token(code, stopping=stopping)
    previous = services.secrets.get(INSTALL_TOKEN)
    if previous is not None and previous != grant.install_token:
        try:
            with open_billing_client(services, token=previous) as old:
                old.revoke()
        except CreatorflowError:
            pass  # already revoked, or offline: the new sign-in matters more
    stored_in = services.secrets.set(INSTALL_TOKEN, grant.install_token)
    answering = services.secrets.source(INSTALL_TOKEN)
    with services.store.write() as session:
        save_sign_in(session, grant.install_id, grant.account_id, now=now or utcnow())
    entitlement: Entitlement | None = None
    error: str | None = None
    try:
        entitlement = refresh_entitlement(services, now=now)
    except CreatorflowError as exc:
        error = f"{exc.title}: {exc}"
    return LoginResult(
        install_id=grant.install_id,
        account_id=grant.account_id,
        stored_in=stored_in,
        shadowed_by=answering if answering != stored_in else None,
        entitlement=entitlement,
        entitlement_error=error,
    )


@dataclass(frozen=True)
class BillingStatus:
    """The install's plan as this computer knows it (refreshed from the service if it could)."""

    install_id: str
    account_id: str
    entitlement: Entitlement
    refreshed: bool
    refresh_error: str | None
    unsent_usage: int


def billing_status(
    services: Services, *, refresh: bool = True, now: datetime | None = None
) -> BillingStatus:
    """Plan, status, period, usage and expiry; fetched again first unless ``refresh=False``.

    Raises:
        AuthError: not signed in.
    """
    from creatorflow.store.billing import billing_state, note_trusted_time, unsent_count

    moment = now or utcnow()
    with services.store.read() as session:
        if billing_state(session) is None:
            raise not_signed_in()
    refreshed, error = False, None
    if refresh:
        try:
            refresh_entitlement(services, now=moment)
            refreshed = True
        except CreatorflowError as exc:
            error = f"{exc.title}: {exc}" + (f" ({exc.hint})" if exc.hint else "")
    with services.store.write() as session:
        state = billing_state(session, for_update=True)
        if state is None:
            raise not_signed_in()
        note_trusted_time(state, moment)
        entitlement = current_entitlement(services, session, state, moment)
        unsent = unsent_count(session)
        return BillingStatus(
            install_id=state.install_id,
            account_id=state.account_id,
            entitlement=entitlement,
            refreshed=refreshed,
            refresh_error=error,
            unsent_usage=unsent,
        )


@dataclass(frozen=True)
class BillingLink:
    """A Stripe page to open in the browser, and what it is for."""

    url: str
    kind: Literal["checkout", "portal"]
    note: str


def _plans_text(plans: list[dict[str, object]]) -> str:
    shown = []
    for plan in plans:
        price = ""
        amount, currency = plan.get("amount"), plan.get("currency")
        if isinstance(amount, int) and isinstance(currency, str):
            price = f", {amount / 100:.2f} {currency.upper()}/{plan.get('interval') or 'period'}"
        limit = plan.get("order_limit")
        orders = f"{limit:,}" if isinstance(limit, int) else "?"
        shown.append(f"{plan.get('name')} ({orders} orders{price})")
    return "; ".join(shown) or "none on sale"


def upgrade_link(
    services: Services, plan: str | None = None, *, now: datetime | None = None
) -> BillingLink:
    """A Stripe Checkout URL for ``plan``; the Customer Portal when already subscribed (plan
    changes go through it).

    Raises:
        AuthError: not signed in. UsageError: no plan given (the plans are listed), or unknown.
    """
    from creatorflow.integrations.billing.client import BillingRefused
    from creatorflow.store.billing import billing_state

    token = install_token(services)
    with services.store.read() as session:
        state = billing_state(session)
        if state is None:
            raise not_signed_in()
        cached = current_entitlement(services, session, state, now or utcnow())
    subscribed = cached.claims is not None and cached.claims.status in LIVE_STATUSES
    portal_note = "You already have a subscription: change the plan in the Customer Portal."
    with open_billing_client(services, token=token) as client:
        if plan is None and subscribed:
            return BillingLink(client.portal(), "portal", portal_note)
        if plan is None:
            raise UsageError(
                f"Choose a plan: {_plans_text(client.plans())}.",
                hint="Run `creatorflow billing upgrade PLAN`.",
            )
        try:
            url = client.checkout(plan.strip().lower())
        except BillingRefused as exc:
            if exc.code != "already_subscribed":
                raise
            return BillingLink(client.portal(), "portal", portal_note)
    return BillingLink(
        url,
        "checkout",
        "Pay in the browser; then `creatorflow billing status` shows the new plan.",
    )


def portal_link(services: Services) -> BillingLink:
    """The Stripe Customer Portal URL (change plan, cancel, update the card).

    Raises:
        AuthError: not signed in. UsageError: no subscription yet (check out first).
    """
    from creatorflow.integrations.billing.client import BillingRefused

    token = install_token(services)
    with open_billing_client(services, token=token) as client:
        try:
            url = client.portal()
        except BillingRefused as exc:
            if exc.code != "no_customer":
                raise
            raise UsageError(
                "There is no subscription to manage yet.",
                hint="Choose a plan first: `creatorflow billing upgrade PLAN`.",
            ) from None
    return BillingLink(url, "portal", "Change the plan, cancel, or update the card there.")


@dataclass(frozen=True)
class UsageReport:
    """This period's usage: the service's count, and what this computer has not reported."""

    period_start: datetime
    period_end: datetime
    used: int
    order_limit: int
    unsent: int
    approved_not_labelled: int

    @property
    def remaining(self) -> int:
        """Orders that may still be approved this period."""
        return max(0, self.order_limit - self.used - self.unsent - self.approved_not_labelled)


def billing_usage(services: Services) -> UsageReport:
    """The period's authoritative count from the service, with the local backlog.

    Raises:
        AuthError: not signed in. ProviderError: the service could not be reached.
    """
    from creatorflow.store.billing import billing_state, committed_orders, unsent_count

    token = install_token(services)
    with services.store.read() as session:
        if billing_state(session) is None:
            raise not_signed_in()
    with open_billing_client(services, token=token) as client:
        period = client.usage()
    with services.store.read() as session:
        unsent = unsent_count(session, start=period.period_start, end=period.period_end)
        committed = committed_orders(session)
    return UsageReport(
        period_start=period.period_start,
        period_end=period.period_end,
        used=period.used,
        order_limit=period.order_limit,
        unsent=unsent,
        approved_not_labelled=committed,
    )


@dataclass
class LogoutResult:
    """What sign-out did: usage sent first, the token revoked on the service, local state gone."""

    flushed: int = 0
    unsent_left: int = 0
    revoked: bool = False
    problems: list[str] = field(default_factory=list)


def logout(services: Services) -> LogoutResult:
    """Send pending usage, revoke the install token, forget the sign-in and the entitlement.

    The local part always happens; a service that cannot be reached is reported, not fatal.

    Raises:
        AuthError: not signed in.
    """
    from creatorflow.services.billing_usage import flush_usage
    from creatorflow.store.billing import billing_state, clear_billing_state, unsent_count

    token = services.secrets.get(INSTALL_TOKEN)
    with services.store.read() as session:
        signed_in = billing_state(session) is not None
    if token is None and not signed_in:
        raise not_signed_in()
    result = LogoutResult()
    if token is not None:
        if signed_in:
            try:
                result.flushed = flush_usage(services).sent
            except CreatorflowError as exc:
                result.problems.append(f"usage not sent: {exc}")
        try:
            with open_billing_client(services, token=token) as client:
                client.revoke()
            result.revoked = True
        except AuthError:
            result.revoked = True  # the service no longer knows the token
        except CreatorflowError as exc:
            result.problems.append(f"not revoked on the service: {exc}")
        remaining = services.secrets.delete(INSTALL_TOKEN).still_in
        if remaining:
            result.problems.append(
                f"{INSTALL_TOKEN} is still set in {', '.join(remaining)}; remove it there"
            )
    with services.store.write() as session:
        clear_billing_state(session)
        result.unsent_left = unsent_count(session)
    return result
