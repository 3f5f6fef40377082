"""How the dashboard writes times, deadlines, money and stages: plain functions over data."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from rich.text import Text

from creatorflow.domain.deadlines import DispatchState, dispatch_state, time_left
from creatorflow.domain.stages import Stage

__all__ = [
    "NEXT_STEP",
    "countdown",
    "money",
    "next_step",
    "short_status",
    "short_when",
    "urgency",
    "when",
]

#: What the station does next for an order in each stage that needs action.
NEXT_STEP: dict[Stage, str] = {
    Stage.NEW: "approve",
    Stage.APPROVED: "label queued",
    Stage.PURCHASING: "buying label",
    Stage.LABELLED: "print & pack",
    Stage.SHIPPED: "hand to carrier",
    Stage.NEEDS_ATTENTION: "needs a person",
    Stage.HELD: "fix, then release",
}

#: How close a deadline must be to count as soon (beyond TikTok's own "at risk").
SOON = timedelta(hours=24)


def when(moment: datetime | None) -> str:
    """A time in the station's local zone, to the minute; ``-`` when there is none."""
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def short_when(moment: datetime | None) -> str:
    """:func:`when` with a two-digit year, for table cells."""
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%y-%m-%d %H:%M")


#: TikTok's statuses in a few letters, for table cells.
_SHORT_STATUS = {
    "AWAITING_SHIPMENT": "to ship",
    "AWAITING_COLLECTION": "to collect",
    "PARTIALLY_SHIPPING": "partial",
}


def short_status(status: str) -> str:
    """``AWAITING_SHIPMENT`` → ``to ship``; other statuses in lower case words."""
    return _SHORT_STATUS.get(status, status.lower().replace("_", " "))


def money(amount: Decimal | None, currency: str | None) -> str:
    """``24.99 USD``; ``-`` when unknown."""
    if amount is None:
        return "-"
    return f"{amount} {currency or ''}".strip()


def urgency(due: datetime | None, now: datetime) -> str:
    """``overdue``, ``at_risk`` (TikTok's six hours), ``soon`` (a day) or ``later``."""
    if due is None:
        return "later"
    state = dispatch_state(due, first_scan_at=None, now=now)
    if state is DispatchState.OVERDUE:
        return "overdue"
    if state is DispatchState.AT_RISK:
        return "at_risk"
    return "soon" if due - now <= SOON else "later"


def countdown(due: datetime | None, now: datetime, colours: dict[str, str]) -> Text:
    """Time left to ship (``5h 10m left``, ``1h overdue``), coloured by :func:`urgency`.

    ``colours`` maps urgency names to styles taken from the theme by the caller.
    """
    if due is None:
        return Text("no deadline", style="dim")
    level = urgency(due, now)
    return Text(time_left(due, now).text(), style=colours.get(level, ""))


def next_step(stage: Stage, status: str) -> str:
    """What to do next with an order, in a word or three."""
    if stage is Stage.NEW and status != "AWAITING_SHIPMENT":
        return f"waiting ({status.lower().replace('_', ' ')})"
    if stage in NEXT_STEP:
        return NEXT_STEP[stage]
    return f"nothing ({stage.value.replace('_', ' ')})"
