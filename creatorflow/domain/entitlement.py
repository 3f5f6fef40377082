"""The plan entitlement, judged offline: what the verified claims allow at ``now``.

The billing service signs a short-lived token (``docs/billing-api.md``, "Entitlement"); the
integration layer checks its signature, and this module decides what the claims mean:

* **state**: ``active`` (``nbf ≤ now ≤ exp``), ``grace`` (``exp < now ≤ grace_until``: it still
  counts, with a warning), ``expired`` (after that, or the clock looks rolled back), ``none``
  (no token, or the account has no subscription);
* **anti-rollback**: a token issued before the newest one accepted is refused
  (:func:`check_newer`), so an old, more generous token cannot be put back;
* **clock rollback**: ``now`` far earlier than the last time this install trusted is treated as
  expired, so turning the computer's clock back does not stretch an entitlement;
* **the plan limit** at approval (:func:`allowance`): how many more orders may be approved.

Local enforcement is advisory: the authoritative count is the service's. Nothing here reads a
clock; ``now`` is always an argument.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = [
    "CLOCK_TOLERANCE",
    "ISSUER",
    "LIVE_STATUSES",
    "Allowance",
    "Claims",
    "ClaimsError",
    "Entitlement",
    "EntitlementState",
    "allowance",
    "check_newer",
    "evaluate",
    "next_trusted_time",
    "usage_event_id",
]

ISSUER = "creatorflow-billing"
#: Stripe statuses under which the account holds a subscription (changes go through the portal).
LIVE_STATUSES = frozenset({"active", "trialing", "past_due"})
#: How far the clock may sit behind the last trusted time (or a token's ``nbf``) before the
#: entitlement is treated as expired. Generous: a badly set clock is common, and rolling it
#: back by less than this gains at most this much.
CLOCK_TOLERANCE = timedelta(hours=24)
_UPGRADE = "creatorflow billing upgrade"
_PORTAL = "creatorflow billing portal"
_REFRESH = "creatorflow billing status"


class ClaimsError(ValueError):
    """The claims are malformed, or must not be accepted (rolled back, wrong install)."""


class EntitlementState(StrEnum):
    """How the cached entitlement stands at a moment."""

    ACTIVE = "active"
    GRACE = "grace"
    EXPIRED = "expired"
    NONE = "none"


def _time(raw: Mapping[str, Any], name: str) -> datetime:
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClaimsError(f"the claim {name} is not a whole number of seconds")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ClaimsError(f"the claim {name} is out of range") from exc


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str):
        raise ClaimsError(f"the claim {name} is missing")
    return value


def _count(raw: Mapping[str, Any], name: str) -> int:
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ClaimsError(f"the claim {name} is not a count")
    return value


@dataclass(frozen=True)
class Claims:
    """The claims of a token whose signature has been checked, times as aware UTC."""

    kid: str
    issuer: str
    account_id: str
    install_id: str
    issued_at: datetime
    not_before: datetime
    expires_at: datetime
    grace_until: datetime
    plan: str
    order_limit: int
    period_start: datetime
    period_end: datetime
    status: str
    used: int
    token_id: str

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Claims:
        """Read the claims of ``docs/billing-api.md``.

        Raises:
            ClaimsError: a claim is missing or of the wrong type, or the issuer is not ours.
        """
        claims = cls(
            kid=_text(raw, "kid"),
            issuer=_text(raw, "iss"),
            account_id=_text(raw, "sub"),
            install_id=_text(raw, "aud"),
            issued_at=_time(raw, "iat"),
            not_before=_time(raw, "nbf"),
            expires_at=_time(raw, "exp"),
            grace_until=_time(raw, "grace_until"),
            plan=_text(raw, "plan"),
            order_limit=_count(raw, "order_limit"),
            period_start=_time(raw, "period_start"),
            period_end=_time(raw, "period_end"),
            status=_text(raw, "status"),
            used=_count(raw, "used"),
            token_id=_text(raw, "jti"),
        )
        if claims.issuer != ISSUER:
            raise ClaimsError(f"the token was issued by {claims.issuer!r}, not {ISSUER!r}")
        return claims

    @property
    def subscribed(self) -> bool:
        """Whether the account holds a subscription (a plan, and not ``none``)."""
        return self.plan != "none" and self.status != "none"


def check_newer(claims: Claims, newest_accepted: datetime | None) -> None:
    """Refuse a token issued before the newest one this install accepted (anti-rollback).

    Raises:
        ClaimsError: ``claims`` is older than ``newest_accepted``.
    """
    if newest_accepted is not None and claims.issued_at < newest_accepted:
        raise ClaimsError(
            f"the token was issued at {claims.issued_at:%Y-%m-%d %H:%M:%S} UTC, before one "
            f"already accepted ({newest_accepted:%Y-%m-%d %H:%M:%S} UTC): a rolled-back token"
        )


def next_trusted_time(trusted: datetime | None, now: datetime) -> datetime:
    """The last trusted wall-clock time after seeing ``now``: it only ever moves forward."""
    return now if trusted is None or now > trusted else trusted


@dataclass(frozen=True)
class Entitlement:
    """What the cached entitlement allows at one moment.

    ``used`` is the service's count as of the token; ``pending`` the local usage it does not
    include yet (labelled but not reported, approved but not labelled). ``order_limit`` is 0
    unless the state is ``active`` or ``grace``.
    """

    state: EntitlementState
    claims: Claims | None
    order_limit: int
    used: int
    pending: int
    reason: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def counts(self) -> bool:
        """Whether the token still counts (``active`` or within the grace period)."""
        return self.state in (EntitlementState.ACTIVE, EntitlementState.GRACE)

    @property
    def remaining(self) -> int:
        """Orders that may still be approved this period."""
        return max(0, self.order_limit - self.used - self.pending)


def _state(
    claims: Claims, now: datetime, trusted: datetime | None
) -> tuple[EntitlementState, str | None]:
    if trusted is not None and now < trusted - CLOCK_TOLERANCE:
        return EntitlementState.EXPIRED, (
            f"This computer's clock ({now:%Y-%m-%d %H:%M} UTC) is behind a time CreatorFlow has "
            f"already seen ({trusted:%Y-%m-%d %H:%M} UTC); set the clock right, then run "
            f"`{_REFRESH}`."
        )
    if now < claims.not_before - CLOCK_TOLERANCE:
        return EntitlementState.EXPIRED, (
            f"The plan is valid from {claims.not_before:%Y-%m-%d %H:%M} UTC; this computer's "
            f"clock says {now:%Y-%m-%d %H:%M} UTC. Set the clock right."
        )
    if now <= claims.expires_at:
        return EntitlementState.ACTIVE, None
    if now <= claims.grace_until:
        return EntitlementState.GRACE, None
    return EntitlementState.EXPIRED, (
        f"The plan could not be confirmed with the billing service since "
        f"{claims.expires_at:%Y-%m-%d %H:%M} UTC and the offline grace period ended "
        f"{claims.grace_until:%Y-%m-%d %H:%M} UTC; connect to the internet and run `{_REFRESH}`."
    )


def _warnings(claims: Claims, state: EntitlementState, remaining: int) -> tuple[str, ...]:
    found: list[str] = []
    if state is EntitlementState.GRACE:
        found.append(
            f"Working offline: the plan was last confirmed before "
            f"{claims.expires_at:%Y-%m-%d %H:%M} UTC; it keeps counting until "
            f"{claims.grace_until:%Y-%m-%d %H:%M} UTC. Run `{_REFRESH}` once online."
        )
    if claims.status == "past_due":
        found.append(
            f"The last payment failed: update the card with `{_PORTAL}` before "
            f"{claims.grace_until:%Y-%m-%d %H:%M} UTC, or approvals stop."
        )
    elif claims.subscribed and claims.status not in LIVE_STATUSES:
        found.append(f"The subscription is {claims.status}: choose a plan with `{_UPGRADE}`.")
    if state in (EntitlementState.ACTIVE, EntitlementState.GRACE) and claims.order_limit:
        if remaining == 0:
            found.append(
                f"All {claims.order_limit:,} orders of this period are used: `{_UPGRADE}`."
            )
        elif remaining <= claims.order_limit // 10:
            found.append(f"Only {remaining:,} of {claims.order_limit:,} orders left this period.")
    return tuple(found)


def evaluate(
    claims: Claims | None,
    *,
    now: datetime,
    trusted_at: datetime | None = None,
    pending: int = 0,
) -> Entitlement:
    """Judge verified ``claims`` at ``now``.

    Args:
        claims: The cached token's claims; None when there is none.
        trusted_at: The last trusted wall-clock time (anti clock-rollback); None: unknown.
        pending: Local usage the token's ``used`` does not include yet.

    Raises:
        ValueError: ``now`` is naive, or ``pending`` is negative.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if pending < 0:
        raise ValueError("pending usage cannot be negative")
    if claims is None:
        return Entitlement(
            EntitlementState.NONE,
            None,
            0,
            0,
            pending,
            reason=f"No plan is known on this computer yet: run `{_REFRESH}`.",
        )
    state, reason = _state(claims, now, trusted_at)
    limit = claims.order_limit if state is not EntitlementState.EXPIRED else 0
    if state is not EntitlementState.EXPIRED and not claims.subscribed:
        state = EntitlementState.NONE
        reason = f"The account has no subscription: choose a plan with `{_UPGRADE}`."
    remaining = max(0, limit - claims.used - pending)
    return Entitlement(
        state,
        claims,
        limit,
        claims.used,
        pending,
        reason=reason,
        warnings=_warnings(claims, state, remaining),
    )


@dataclass(frozen=True)
class Allowance:
    """How many of the orders about to be approved the plan allows."""

    requested: int
    allowed: int
    order_limit: int
    used: int

    @property
    def refused(self) -> int:
        """Orders over the limit."""
        return self.requested - self.allowed

    def reason(self, entitlement: Entitlement) -> str:
        """Why the refused orders were refused, and what to do."""
        if entitlement.state is EntitlementState.NONE:
            return entitlement.reason or f"No plan: choose one with `{_UPGRADE}`."
        if entitlement.state is EntitlementState.EXPIRED:
            return f"The plan limit cannot be checked. {entitlement.reason or ''}".strip()
        if self.order_limit == 0:
            status = entitlement.claims.status if entitlement.claims else "none"
            return (
                f"The subscription is {status}, so no orders may be approved; choose a plan "
                f"with `{_UPGRADE}`."
            )
        return (
            f"Your plan's {self.order_limit:,} orders for this period are used up "
            f"({self.used:,} labelled or approved); upgrade with `{_UPGRADE}` or wait for the "
            "next period."
        )


def allowance(entitlement: Entitlement, requested: int) -> Allowance:
    """How many of ``requested`` orders may be approved now (the first ones, in order).

    Raises:
        ValueError: ``requested`` is negative.
    """
    if requested < 0:
        raise ValueError("requested cannot be negative")
    allowed = min(requested, entitlement.remaining) if entitlement.counts else 0
    return Allowance(
        requested=requested,
        allowed=allowed,
        order_limit=entitlement.order_limit,
        used=entitlement.used + entitlement.pending,
    )


def usage_event_id(shop_id: str, order_id: str) -> str:
    """The deterministic id of "this order was labelled": the same on every station and replay."""
    return hashlib.sha256(f"labelled/{shop_id}/{order_id}".encode()).hexdigest()
