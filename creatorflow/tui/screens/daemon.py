"""Daemon: is it running, how its jobs went and when they run next, queues, end of its log."""

from __future__ import annotations

from collections import deque
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import DataTable, Header, Label, Log, Static

from creatorflow.services.context import Services
from creatorflow.tui.calls import guarded
from creatorflow.tui.commands import bindings
from creatorflow.tui.formatting import when
from creatorflow.tui.messages import DaemonLoaded
from creatorflow.tui.screens.base import DataScreen
from creatorflow.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from creatorflow.services.daemon_status import DaemonStatus

__all__ = ["LOG_LINES", "DaemonScreen", "status_line", "tail"]

LOG_LINES = 40


def tail(path: Path, lines: int = LOG_LINES) -> list[str]:
    """The last ``lines`` lines of a text file; none when it does not exist (yet)."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            return [line.rstrip("\n") for line in deque(handle, maxlen=lines)]
    except FileNotFoundError:
        return []


def _span(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h {rest // 60}m" if hours else f"{rest // 60}m {rest % 60}s"


def status_line(status: DaemonStatus) -> str:
    """``Running on station X (pid 1234), up 2h 5m, last heartbeat …`` or why not."""
    if status.running:
        up = f", up {_span(status.uptime_s)}" if status.uptime_s is not None else ""
        return (
            f"Running on {status.station} ({status.hostname}, pid {status.pid}){up}; "
            f"last heartbeat {when(status.last_beat_at)}."
        )
    if status.last_beat_at is not None:
        return (
            f"Not running: last heard from {status.station} at {when(status.last_beat_at)}. "
            "Start it with `creatorflow daemon start`."
        )
    return "Not running: it has never run here. Start it with `creatorflow daemon start`."


def _next(value: str | None) -> str:
    if not value:
        return "-"
    try:
        return when(datetime.fromisoformat(value))
    except ValueError:
        return value


class DaemonScreen(DataScreen):
    """The daemon as ``daemon status`` and ``daemon logs`` show it, refreshed by the poll."""

    SCOPE = "daemon"
    BINDINGS: ClassVar[list[BindingType]] = bindings(SCOPE)
    AUTO_FOCUS = "#jobs"

    def compose(self) -> ComposeResult:
        """Status, jobs, queues, log."""
        yield Header()
        yield Static("Reading the store…", id="daemon-status")
        yield Label("Jobs", classes="section")
        yield DataTable(id="jobs", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queues")
        yield Label("Log (newest last)", classes="section")
        yield Log(id="log", max_lines=LOG_LINES)
        yield KeyBar(self.SCOPE)

    def on_mount(self) -> None:
        """Name the columns."""
        self.query_one("#jobs", DataTable).add_columns(
            "Job", "Last run", "Finished", "Outcome", "Next run", "Error"
        )

    def reload(self) -> None:
        """Read the status and the log again."""
        self._load(self.services, self.now())

    @work(thread=True, exclusive=True, group="load")
    def _load(self, services: Services, now: datetime) -> None:
        from creatorflow.daemon.log import log_file
        from creatorflow.services.daemon_status import daemon_status

        status = guarded(self, lambda: daemon_status(services, now=now))
        if status is not None:
            lines = guarded(self, lambda: tail(log_file(services.paths.log_dir))) or []
            self.post_message(DaemonLoaded(status, lines))

    def on_daemon_loaded(self, message: DaemonLoaded) -> None:
        """Show it all."""
        status = message.status
        self.query_one("#daemon-status", Static).update(Text(status_line(status)))
        jobs = self.query_one("#jobs", DataTable)
        jobs.clear()
        for name, job in sorted(status.jobs.items()):
            jobs.add_row(
                name,
                when(job.last_run),
                when(job.finished_at),
                job.outcome or "-",
                _next(job.next_run),
                (job.error or "").splitlines()[0][:80] if job.error else "",
            )
        if not status.jobs:
            jobs.add_row("no job has run yet", "", "", "", "", "")
        queues = ", ".join(f"{stage}: {count}" for stage, count in status.queues.items())
        self.query_one("#queues", Static).update(Text(f"Queues: {queues or 'empty'}"))
        log = self.query_one("#log", Log)
        log.clear()
        log.write_lines(message.log or ["(no daemon log yet)"])
