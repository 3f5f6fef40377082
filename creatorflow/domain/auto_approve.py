"""The auto-approve rules: which new orders the daemon may approve without a person.

Auto-approval only ever *approves*: an order that passes every purchase guard
(:mod:`creatorflow.domain.guards`, which already refuse an order with a SKU that has no
parcel) *and* these rules is approved; any other order stays ``new`` for a person to look at.
The rules are deliberately narrow (small orders, shipping at home, nothing the buyer asked
for), each one switched by a ``approve.*`` setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "AutoApproveFacts",
    "AutoApproveRules",
    "AutoRefusal",
    "AutoRefusalCode",
    "auto_refusals",
]

#: The only ship-to country ``approve.auto_us_only`` lets through.
HOME_COUNTRY = "US"


class AutoRefusalCode(StrEnum):
    """Why an order that passes the guards is still left for a person."""

    TOO_MANY_UNITS = "too_many_units"
    OUTSIDE_US = "outside_us"
    BUYER_MESSAGE = "buyer_message"


@dataclass(frozen=True)
class AutoRefusal:
    """One auto-approve rule an order does not meet, in words a seller reads."""

    code: AutoRefusalCode
    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class AutoApproveRules:
    """The ``approve.auto_*`` settings."""

    max_units: int
    us_only: bool = True
    without_buyer_message: bool = True

    def __post_init__(self) -> None:
        if self.max_units < 1:
            raise ValueError("max_units must be at least 1")

    def describe(self) -> str:
        """The rules as one sentence, stored as the reason of each auto-approval."""
        parts = [f"at most {self.max_units} unit{'s' if self.max_units != 1 else ''}"]
        if self.us_only:
            parts.append("ships to the US")
        if self.without_buyer_message:
            parts.append("no buyer message")
        return "Auto-approved (approve.auto): " + ", ".join(parts) + "."


@dataclass(frozen=True)
class AutoApproveFacts:
    """What the rules look at: the order's units, ship-to country and buyer message."""

    order_id: str
    units: int
    country: str | None
    buyer_message: str | None


def auto_refusals(facts: AutoApproveFacts, rules: AutoApproveRules) -> tuple[AutoRefusal, ...]:
    """Every auto-approve rule ``facts`` breaks; empty means the rules allow it.

    The guards are checked separately (they apply to every approval, by hand or not).
    """
    refusals: list[AutoRefusal] = []
    if facts.units > rules.max_units:
        refusals.append(
            AutoRefusal(
                AutoRefusalCode.TOO_MANY_UNITS,
                f"{facts.units} units is more than approve.auto_max_units ({rules.max_units}).",
            )
        )
    country = (facts.country or "").strip().upper()
    if rules.us_only and country != HOME_COUNTRY:
        shown = country or "an unknown country"
        refusals.append(
            AutoRefusal(
                AutoRefusalCode.OUTSIDE_US,
                f"It ships to {shown}, and approve.auto_us_only allows only the US.",
            )
        )
    if rules.without_buyer_message and (facts.buyer_message or "").strip():
        refusals.append(
            AutoRefusal(
                AutoRefusalCode.BUYER_MESSAGE,
                "The buyer left a message; read it and approve the order yourself.",
            )
        )
    return tuple(refusals)
