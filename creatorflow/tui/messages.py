"""The messages of the dashboard: data loaded by workers, outcomes of actions, choices made in
widgets. Workers post them from their threads; handlers run on the app's event loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.notifications import SeverityLevel

if TYPE_CHECKING:
    from creatorflow.services.billing import BillingLink, BillingStatus
    from creatorflow.services.daemon_status import DaemonStatus
    from creatorflow.services.labels import LabelView
    from creatorflow.services.order_browse import DispatchBoard, OrderFilter, OrderPage
    from creatorflow.services.orders import OrderDetail


@dataclass
class DispatchLoaded(Message):
    """The dispatch board was read."""

    board: DispatchBoard


@dataclass
class OrdersLoaded(Message):
    """A page of the Orders list was read for these filters."""

    page: OrderPage
    filters: OrderFilter


@dataclass
class OrderLoaded(Message):
    """One order was read in full."""

    detail: OrderDetail


@dataclass
class LabelsLoaded(Message):
    """The labels of one day were read."""

    day: str
    labels: list[LabelView]


@dataclass
class DaemonLoaded(Message):
    """The daemon's status and the end of its log were read."""

    status: DaemonStatus
    log: list[str]


@dataclass
class ReportLoaded(Message):
    """The figures of the Reports screen were read."""

    report: Any


@dataclass
class BillingLoaded(Message):
    """The plan was read: ``status`` when signed in, else why not (``problem``, ``hint``)."""

    status: BillingStatus | None
    problem: str = ""
    hint: str = ""


@dataclass
class PlanWanted(Message):
    """An upgrade needs a plan chosen first; ``plans`` lists them as the service said."""

    plans: str


@dataclass
class LinkReady(Message):
    """A Stripe page was asked for; ``opened`` says whether a browser was started for it."""

    link: BillingLink
    opened: bool


@dataclass
class DaemonActivity(Message):
    """The poll saw the daemon run something since the last poll."""

    status: DaemonStatus


@dataclass
class ActionDone(Message):
    """An action on an order finished; ``text`` says how."""

    text: str
    severity: SeverityLevel = "information"


@dataclass
class ServiceFailed(Message):
    """A service call failed; shown as a notification, never a crash."""

    title: str
    text: str


@dataclass
class OrderChosen(Message):
    """A row was chosen (Enter or a click) in an order table."""

    order_id: str


@dataclass
class FiltersChanged(Message):
    """The filter bar of the Orders screen has new values."""

    filters: OrderFilter


@dataclass
class PageEdge(Message):
    """The cursor tried to leave the loaded page: ``step`` is +1 (down) or -1 (up)."""

    step: int
