"""What every billing use case shares: the client, the trusted keys, accepting a token, and
reading the cached entitlement.

Billing applies once the install is signed in (``creatorflow billing login``): the sign-in and
the newest accepted token live in the ``billing_state`` row, the install token in the secret
store as ``billing_install_token``. Before that, nothing is enforced and no call is made.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from creatorflow.domain.entitlement import (
    Claims,
    ClaimsError,
    Entitlement,
    EntitlementState,
    check_newer,
    evaluate,
)
from creatorflow.errors import AuthError
from creatorflow.services.context import Services

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from creatorflow.integrations.billing.client import BillingClient
    from creatorflow.store.tables import BillingState

__all__ = [
    "INSTALL_TOKEN",
    "REFRESH_AFTER",
    "accept_token",
    "current_entitlement",
    "install_token",
    "not_signed_in",
    "open_billing_client",
    "refresh_entitlement",
    "utcnow",
]

INSTALL_TOKEN = "billing_install_token"  # noqa: S105 (the secret's name)
#: A cached entitlement older than this is fetched again by the daemon.
REFRESH_AFTER = timedelta(days=1)
_LOGIN = "creatorflow billing login"


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def not_signed_in() -> AuthError:
    """The error every billing command raises before ``billing login``."""
    return AuthError(
        "This install is not signed in to CreatorFlow billing.",
        hint=f"Run `{_LOGIN}`. Until then no plan limit applies.",
    )


def install_token(services: Services) -> str:
    """The install token from the secret store.

    Raises:
        AuthError: there is none (not signed in, or it was deleted).
    """
    token = services.secrets.get(INSTALL_TOKEN)
    if token is None:
        raise not_signed_in()
    return token


def open_billing_client(services: Services, *, token: str | None) -> BillingClient:
    """A client of the service at ``billing.url`` (close it, or use ``with``)."""
    from creatorflow.integrations.billing.client import BillingClient

    return BillingClient(services.settings.text("billing.url"), token=token)


def _keys(services: Services) -> dict[str, Ed25519PublicKey]:
    from creatorflow.integrations.billing.tokens import trusted_keys

    return trusted_keys(services.settings.text("billing.trusted_keys"))


def _claims(services: Services, state: BillingState, token: str) -> Claims:
    """Verify ``token`` for this install and read its claims.

    Raises:
        TokenRejected: bad signature, unknown key, another install or account, malformed.
    """
    from creatorflow.integrations.billing.tokens import TokenRejected, verify_token

    raw = verify_token(token, _keys(services), audience=state.install_id)
    try:
        claims = Claims.from_mapping(raw)
        if claims.account_id != state.account_id:
            raise ClaimsError("it was issued to another account")
    except ClaimsError as exc:
        raise TokenRejected(
            f"The billing service's entitlement was refused: {exc}.",
            hint="Run `creatorflow billing status` again; if this persists, sign in again.",
        ) from None
    return claims


def accept_token(services: Services, state: BillingState, token: str, *, now: datetime) -> Claims:
    """Verify a token fresh from the service and keep it, unless it is older than the newest
    one accepted (anti-rollback). Changes ``state`` only when it is accepted.

    Raises:
        TokenRejected: the token does not verify, is not ours, or is rolled back.
    """
    from creatorflow.integrations.billing.tokens import TokenRejected
    from creatorflow.store.billing import save_token

    claims = _claims(services, state, token)
    try:
        check_newer(claims, state.newest_iat)
    except ClaimsError as exc:
        raise TokenRejected(
            f"The billing service's entitlement was refused: {exc}.",
            hint="The service's clock may have gone back; the newer entitlement stays in use.",
        ) from None
    save_token(state, token, claims.issued_at, now=now)
    return claims


def current_entitlement(
    services: Services, session: Session, state: BillingState, now: datetime
) -> Entitlement:
    """The cached entitlement judged at ``now``, with the local usage the token lacks
    (labelled and not yet reported this period, approved and not yet labelled)."""
    from creatorflow.integrations.billing.tokens import TokenRejected
    from creatorflow.store.billing import committed_orders, unsent_count

    claims: Claims | None = None
    refused: str | None = None
    if state.token:
        try:
            claims = _claims(services, state, state.token)
        except TokenRejected as exc:
            refused = exc.message
    if claims is not None:
        unsent = unsent_count(session, start=claims.period_start, end=claims.period_end)
    else:
        unsent = unsent_count(session)
    pending = unsent + committed_orders(session)
    entitlement = evaluate(claims, now=now, trusted_at=state.trusted_at, pending=pending)
    if refused is not None:
        entitlement = replace(
            entitlement,
            state=EntitlementState.NONE,
            reason=f"{refused} Run `creatorflow billing status` to fetch a fresh one.",
        )
    return entitlement


def refresh_entitlement(services: Services, *, now: datetime | None = None) -> Entitlement:
    """Fetch a fresh entitlement from the service, verify it, keep it, and judge it.

    Raises:
        AuthError: not signed in, or the service no longer accepts this install.
        TokenRejected: the token does not verify (nothing is kept).
        ProviderError: the service could not be reached or failed.
    """
    from creatorflow.store.billing import billing_state

    token = install_token(services)
    with services.store.read() as session:
        if billing_state(session) is None:
            raise not_signed_in()
    with open_billing_client(services, token=token) as client:
        fresh = client.entitlement()
    moment = now or utcnow()
    with services.store.write() as session:
        state = billing_state(session, for_update=True)
        if state is None:
            raise not_signed_in()
        accept_token(services, state, fresh, now=moment)
        session.flush()
        return current_entitlement(services, session, state, moment)
