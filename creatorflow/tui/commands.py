"""Every dashboard command, declared once: its key, its action, its words.

The app's and each screen's ``BINDINGS``, the command palette and the help screen are all
generated from :data:`COMMANDS`, so a key cannot be documented in one place and bound to
something else in another.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider

__all__ = ["COMMANDS", "Command", "CommandProvider", "bindings", "commands_for"]


@dataclass(frozen=True)
class Command:
    """One thing a person can do, by key or from the command palette.

    ``scope`` is ``"app"`` (works everywhere) or the name of the screen it belongs to;
    ``action`` is run on the app for app commands and on that screen otherwise.
    """

    key: str
    action: str
    title: str
    help: str
    scope: str = "app"
    show: bool = True
    key_display: str | None = None

    @property
    def shown_key(self) -> str:
        """The key as the help screen writes it."""
        return self.key_display or self.key


COMMANDS: tuple[Command, ...] = (
    # The footer shows the everyday keys only: each key shown there is a widget rebuilt at
    # every change of focus, which a keypress-to-redraw budget of 50 ms cannot afford.
    Command(
        "1",
        "switch_mode('dispatch')",
        "Dispatch",
        "Orders needing action, by ship-by time.",
        show=False,
    ),
    Command(
        "2",
        "switch_mode('orders')",
        "Orders",
        "Every order: filter, search, page through.",
        show=False,
    ),
    Command(
        "3", "switch_mode('labels')", "Labels", "Today's labels: print, reprint, void.", show=False
    ),
    Command(
        "4",
        "switch_mode('daemon')",
        "Daemon",
        "Is the daemon running, its jobs, its log.",
        show=False,
    ),
    Command(
        "5", "switch_mode('reports')", "Reports", "Orders, revenue, label spend, rates.", show=False
    ),
    Command(
        "6",
        "switch_mode('billing')",
        "Billing",
        "Your CreatorFlow plan: status, orders used, upgrade.",
        show=False,
    ),
    Command("a", "approve", "Approve", "Approve the selected order: its label gets bought."),
    Command("h", "hold", "Hold", "Hold the selected order, with a reason."),
    Command("u", "release", "Release", "Release the selected held order back to new.", show=False),
    Command("p", "print", "Print", "Print (or reprint) the selected order's label."),
    Command("v", "void", "Void", "Void the selected order's label (asks first)."),
    Command("o", "open_order", "Open", "Show the selected order in full.", show=False),
    Command("slash", "search", "Search", "Search orders by id or buyer name.", key_display="/"),
    Command("r", "refresh", "Refresh", "Read the store again."),
    Command("question_mark", "help", "Help", "List every key.", key_display="?"),
    Command("q", "quit", "Quit", "Leave the dashboard."),
    Command(
        "right_square_bracket",
        "next_page",
        "Next page",
        "The next page of orders.",
        scope="orders",
        key_display="]",
    ),
    Command(
        "left_square_bracket",
        "previous_page",
        "Previous page",
        "The previous page of orders.",
        scope="orders",
        key_display="[",
    ),
    Command("f", "filters", "Filters", "Move to the filters.", scope="orders", show=False),
    Command("x", "clear_filters", "Clear", "Show every order again.", scope="orders"),
    Command("b", "app.print_batch", "Print batch", "Print today's labels.", scope="labels"),
    Command("w", "window", "Window", "Show 14, 30 or 7 days.", scope="reports"),
    # `u` is Release everywhere, so Upgrade is `g`.
    Command(
        "g",
        "upgrade",
        "Upgrade",
        "Choose or change the plan (Stripe Checkout, or the portal).",
        scope="billing",
    ),
    Command(
        "m",
        "portal",
        "Portal",
        "Stripe Customer Portal: change the plan, cancel, update the card.",
        scope="billing",
    ),
    Command("c", "check", "Check", "Ask the billing service for the plan now.", scope="billing"),
    Command("escape", "app.back", "Back", "Back to the list.", scope="order"),
)


def commands_for(scope: str) -> list[Command]:
    """The commands of one scope, in declaration order."""
    return [command for command in COMMANDS if command.scope == scope]


def bindings(scope: str) -> list[BindingType]:
    """The ``BINDINGS`` of the app (``"app"``) or of one screen."""
    return [
        Binding(
            command.key,
            command.action,
            command.title,
            show=command.show,
            key_display=command.key_display,
            tooltip=command.help,
        )
        for command in commands_for(scope)
    ]


class CommandProvider(Provider):
    """The command palette's entries: the app's commands and those of the current screen."""

    def _available(self) -> list[Command]:
        scope = getattr(self.screen, "SCOPE", None)
        return [c for c in COMMANDS if c.scope == "app" or (scope and c.scope == scope)]

    async def _run(self, command: Command) -> None:
        target = self.app if command.scope == "app" else self.screen
        await target.run_action(command.action)

    async def discover(self) -> Hits:
        """Every available command, before anything is typed."""
        for command in self._available():
            yield DiscoveryHit(command.title, partial(self._run, command), help=command.help)

    async def search(self, query: str) -> Hits:
        """The commands whose title matches what was typed."""
        matcher = self.matcher(query)
        for command in self._available():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    partial(self._run, command),
                    help=command.help,
                )
