"""Small modal screens: a yes/no question, a line to type (a reason, a plan), the list of keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from creatorflow.tui.commands import COMMANDS

__all__ = ["ConfirmScreen", "HelpScreen", "ReasonScreen"]


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; ``y`` or the button confirms, ``n`` or Escape declines."""

    BINDINGS = [  # noqa: RUF012 - Textual's own class attribute
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, *, confirm: str = "Yes") -> None:
        super().__init__()
        self._question = question
        self._confirm = confirm

    def compose(self) -> ComposeResult:
        """The question and two buttons."""
        with Vertical(classes="dialog"):
            yield Static(self._question, classes="question")
            with Horizontal(classes="buttons"):
                yield Button(f"{self._confirm} (y)", variant="error", id="yes")
                yield Button("No (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A button answers."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        """A key answers."""
        self.dismiss(answer)


class ReasonScreen(ModalScreen[str | None]):
    """Ask for a line of text (a reason, by default); Enter with text returns it, Escape
    returns ``None``. ``empty`` is said when Enter is pressed on an empty box."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012

    def __init__(
        self,
        question: str,
        *,
        placeholder: str = "reason (Enter to confirm, Escape to cancel)",
        empty: str = "Say why, so whoever looks next knows what to fix.",
    ) -> None:
        super().__init__()
        self._question = question
        self._placeholder = placeholder
        self._empty = empty

    def compose(self) -> ComposeResult:
        """The question and the box."""
        with Vertical(classes="dialog"):
            yield Label(self._question, classes="question")
            yield Input(placeholder=self._placeholder, id="reason")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: return the text, unless it is empty."""
        event.stop()
        text = event.value.strip()
        if not text:
            self.notify(self._empty, severity="warning")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Escape: nothing typed, nothing done."""
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key of the dashboard, from the one command list."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]  # noqa: RUF012

    def compose(self) -> ComposeResult:
        """A table of keys; Ctrl+P opens the same commands in the palette."""
        with Vertical(classes="dialog help"):
            yield Label("Keys (everything is also in the command palette: Ctrl+P)")
            table: DataTable[str] = DataTable(cursor_type="none", zebra_stripes=True)
            table.add_columns("Key", "Where", "What")
            for command in COMMANDS:
                where = "everywhere" if command.scope == "app" else command.scope
                table.add_row(command.shown_key, where, command.help)
            yield table

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)
