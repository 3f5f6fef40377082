"""Reports: orders, revenue, label spend per day, margin per SKU, dispatch and tracking rates.

The figures are ``services.reports.report`` (the same as ``creatorflow report``), drawn with
textual-plotext. Money is shown in one currency at a time: the one with the most orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid
from textual.widgets import Header, Static
from textual_plotext import PlotextPlot

from creatorflow.services.context import Services
from creatorflow.tui.calls import guarded
from creatorflow.tui.commands import bindings
from creatorflow.tui.messages import ReportLoaded
from creatorflow.tui.screens.base import DataScreen
from creatorflow.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from creatorflow.services.reports import Report, ReportRow

__all__ = ["WINDOWS", "Figures", "ReportsScreen", "summary_text"]

#: The windows ``w`` cycles through, in days.
WINDOWS = (14, 30, 7)
#: SKUs drawn in the margin chart (highest revenue first).
TOP_SKUS = 8


@dataclass(frozen=True)
class Figures:
    """Both reports of one window: per day and per SKU."""

    daily: Report
    skus: Report


def _percent(rate: float | None) -> str:
    return f"{rate * 100:.1f}%" if rate is not None else "n/a"


def summary_text(totals: list[ReportRow], days: int) -> str:
    """One line per currency with the window's totals."""
    if not totals:
        return f"No orders in the last {days} days."
    lines = []
    for row in totals:
        lines.append(
            f"Last {days} days ({row.currency}): {row.orders:,} orders, {row.units:,} units, "
            f"revenue {row.revenue}, label spend {row.label_spend}, margin {row.margin}, "
            f"late dispatch {_percent(row.late_dispatch_rate)} "
            f"({row.late}/{row.dispatch_decided}), valid tracking "
            f"{_percent(row.valid_tracking_rate)} ({row.tracking_valid}/{row.tracking_judged})"
        )
    return "\n".join(lines)


class ReportsScreen(DataScreen):
    """Five charts and the window's totals; ``w`` changes the window."""

    SCOPE = "reports"
    BINDINGS: ClassVar[list[BindingType]] = bindings(SCOPE)

    def __init__(self) -> None:
        super().__init__()
        self.window = WINDOWS[0]

    def compose(self) -> ComposeResult:
        """Totals on top, the charts in a grid."""
        yield Header()
        yield Static("Reading the store…", id="report-summary")
        with Grid(id="charts"):
            for chart in ("orders", "revenue", "spend", "margin", "rates"):
                yield PlotextPlot(id=chart)
        yield KeyBar(self.SCOPE)

    def reload(self) -> None:
        """Read both reports again."""
        self._load(self.services, self.window, self.now())

    @work(thread=True, exclusive=True, group="load")
    def _load(self, services: Services, days: int, now: datetime) -> None:
        from creatorflow.services.reports import report

        def both() -> Figures:
            return Figures(
                daily=report(services, days=days, by="day", now=now),
                skus=report(services, days=days, by="sku", now=now),
            )

        figures = guarded(self, both)
        if figures is not None:
            self.post_message(ReportLoaded(figures))

    def action_window(self) -> None:
        """``w``: the next window (14, 30, 7 days)."""
        self.window = WINDOWS[(WINDOWS.index(self.window) + 1) % len(WINDOWS)]
        self.reload()

    def on_report_loaded(self, message: ReportLoaded) -> None:
        """Draw the charts."""
        figures: Figures = message.report
        daily = figures.daily
        self.query_one("#report-summary", Static).update(
            Text(summary_text(daily.totals, daily.days))
        )
        currency = (
            max(daily.totals, key=lambda r: (r.orders, r.currency)).currency
            if (daily.totals)
            else None
        )
        rows = [row for row in daily.rows if row.currency == currency]
        days = [row.key[5:] for row in rows]
        money = f" ({currency})" if currency else ""
        self._bars("orders", "Orders per day", days, [row.orders for row in rows])
        self._bars("revenue", f"Revenue{money}", days, [float(row.revenue) for row in rows])
        self._bars("spend", f"Label spend{money}", days, [float(row.label_spend) for row in rows])
        skus = [row for row in figures.skus.rows if row.currency == currency][:TOP_SKUS]
        self._bars(
            "margin",
            f"Margin per SKU{money}",
            [row.label.split(" — ")[0][:14] for row in skus],
            [float(row.margin) for row in skus],
            horizontal=True,
        )
        self._rates(days, rows)

    def _bars(
        self,
        chart: str,
        title: str,
        labels: list[str],
        values: list[float],
        *,
        horizontal: bool = False,
    ) -> None:
        widget = self.query_one(f"#{chart}", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        if labels:
            # Numbered positions and explicit ticks: plotext's own choice of labels for text
            # categories differs from run to run.
            positions = [float(index) for index in range(len(labels))]
            step = 1 if horizontal or len(labels) <= 8 else 2
            plt.bar(positions, values, orientation="horizontal" if horizontal else "vertical")
            ticks = plt.yticks if horizontal else plt.xticks
            ticks(positions[::step], labels[::step])
        widget.refresh()

    def _rates(self, days: list[str], rows: list[ReportRow]) -> None:
        widget = self.query_one("#rates", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("Late dispatch / valid tracking (%)")
        for name, rates in (
            ("late dispatch", [row.late_dispatch_rate for row in rows]),
            ("valid tracking", [row.valid_tracking_rate for row in rows]),
        ):
            # Days with nothing judged yet have no rate: they are gaps, not zeros.
            points = [(float(i), rate * 100) for i, rate in enumerate(rates) if rate is not None]
            if points:
                plt.plot([x for x, _ in points], [y for _, y in points], label=name)
        if rows:
            ticks = [float(index) for index in range(len(days))]
            plt.xticks(ticks[::2], days[::2])
            plt.ylim(0, 100)
        widget.refresh()
