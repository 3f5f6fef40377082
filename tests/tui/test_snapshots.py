"""Snapshots of every screen on the fixed shop and the fixed clock (120 x 40).

Update after a deliberate change with ``pytest tests/tui --snapshot-update`` and look at
``snapshot_report.html`` before committing the new SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from textual.pilot import Pilot

from creatorflow.tui import CreatorflowApp
from tests.tui.conftest import settle

SIZE = (120, 40)
SnapCompare = Callable[..., bool]


def keys(*pressed: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """Settle, press the keys one at a time (settling after each), settle again."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)
        await pilot.pause(0.1)

    return run_before


SCREENS: dict[str, Sequence[str]] = {
    "dispatch": (),
    "orders": ("2",),
    "order_delivered": ("2", "ctrl+end", "enter"),
    "order_masked": ("down", "down", "down", "down", "down", "down", "o"),
    "labels": ("3",),
    "daemon": ("4",),
    "reports": ("5",),
    "help": ("question_mark",),
    "hold_dialog": ("h",),
    "billing_signed_out": ("6",),
}


@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(name: str, app: CreatorflowApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=SIZE, run_before=keys(*SCREENS[name]))


def test_billing_signed_in(signed_in_app: CreatorflowApp, snap_compare: SnapCompare) -> None:
    """The growth plan, active, 121 of 500 orders used (the entitlement of tests/tui/billing)."""
    assert snap_compare(signed_in_app, terminal_size=SIZE, run_before=keys("6"))
