"""What every data screen shares: it (re)loads when shown, on ``r`` and on daemon activity."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.screen import Screen

if TYPE_CHECKING:
    from creatorflow.services.context import Services
    from creatorflow.tui.app import CreatorflowApp

__all__ = ["DataScreen"]


class DataScreen(Screen[None]):
    """A screen showing store data, read by a worker each time the screen is shown.

    Subclasses implement :meth:`reload` by starting a ``@work(thread=True, exclusive=True,
    group="load")`` worker that calls services and posts the result as a message.
    """

    #: The scope of this screen's commands in :mod:`creatorflow.tui.commands`.
    SCOPE: ClassVar[str] = ""

    @property
    def dashboard(self) -> CreatorflowApp:
        """The dashboard app (typed)."""
        from creatorflow.tui.app import CreatorflowApp

        app = self.app
        assert isinstance(app, CreatorflowApp)
        return app

    @property
    def services(self) -> Services:
        """The services the app was built with."""
        return self.dashboard.services

    def now(self) -> datetime:
        """The app's clock."""
        return self.dashboard.clock()

    def on_screen_resume(self) -> None:
        """Shown (first time or again): read fresh data."""
        self.reload()

    def reload(self) -> None:
        """Start reading this screen's data (a worker posts it when done)."""

    @property
    def selected_order_id(self) -> str | None:
        """The order the app's actions (approve, hold, print, void) apply to."""
        return None
