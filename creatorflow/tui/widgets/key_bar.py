"""The line of keys at the bottom of each screen, written once from the command list.

Textual's ``Footer`` rebuilds a widget per key at every change of focus; on the Orders
screen that alone cost most of a filter's 50 ms budget. The keys of a screen never change,
so one line of text does.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from creatorflow.tui.commands import Command, commands_for

__all__ = ["KeyBar", "key_line"]


def key_line(scope: str, *, key_style: str = "bold") -> Text:
    """``a Approve  h Hold …`` for the footer-worthy commands of ``scope`` and of the app."""
    extra = commands_for(scope) if scope != "app" else []
    shown: list[Command] = [c for c in (*extra, *commands_for("app")) if c.show]
    line = Text(no_wrap=True, overflow="ellipsis")
    for command in shown:
        line.append(f" {command.shown_key} ", style=key_style)
        line.append(f"{command.title} ")
    line.append(" ^p ", style=key_style)
    line.append("all commands")
    return line


class KeyBar(Static):
    """The keys of one screen (its scope's and the app's), docked at the bottom."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    """

    def __init__(self, scope: str) -> None:
        super().__init__()
        self._scope = scope

    def on_mount(self) -> None:
        """Write the line, the keys in the theme's footer key colour."""
        colour = self.app.theme_variables.get("footer-key-foreground", "")
        self.update(key_line(self._scope, key_style=f"bold {colour}".strip()))
