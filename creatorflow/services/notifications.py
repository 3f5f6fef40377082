"""Alerts: tell the seller when an order needs them, runs late, or a shop lost its authorisation.

:func:`notify_pending` (the daemon's ``notify`` job, every poll) finds the events worth an alert
(:mod:`creatorflow.services.notification_events`), journals each under its deterministic key
as a ``notify`` effect — so an event is sent once, even across restarts and on several
stations — and then works the due ones: ``notify.command`` and/or the desktop
(:mod:`creatorflow.integrations.notify`). A failed send is logged and kept on the effect
(``last_error``), retried after :data:`RETRY_DELAY` times the attempts so far, and given up
(``needs_attention``) after :data:`MAX_ATTEMPTS`; it is never raised. A channel that already
took an alert is not asked again when another one failed.

When more than :data:`DIGEST_OVER` alerts are due at once (notifications were just switched
on, or the daemon was down for a day), one digest is sent instead of a flood.

Delivery is at least once: a crash between a send and its record sends that alert again.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from creatorflow.errors import UsageError
from creatorflow.integrations.notify import Alert, NotifyError, run_command, send_desktop
from creatorflow.services.context import Services
from creatorflow.services.notification_events import NotifyEvent, find_events

__all__ = [
    "DIGEST_OVER",
    "MAX_ATTEMPTS",
    "NOTIFY",
    "NotifySummary",
    "notification_channels",
    "notify_pending",
]

log = logging.getLogger(__name__)

#: The effect kind of an alert.
NOTIFY = "notify"
MAX_ATTEMPTS = 3
RETRY_DELAY = timedelta(minutes=5)
#: More alerts due than this at once are sent as one digest.
DIGEST_OVER = 10
#: Alerts claimed per run; the rest wait for the next run.
_BATCH = 500
#: Long enough for every channel of every alert of one run to time out.
_LEASE = timedelta(minutes=15)
_DIGEST_LINES = 5


@dataclass
class NotifySummary:
    """What one run found and sent.

    ``found``: events worth an alert now; ``queued``: new ones journaled by this run;
    ``sent``: alerts delivered (a digest counts every alert in it); ``failed``: alerts to retry;
    ``given_up``: alerts that failed :data:`MAX_ATTEMPTS` times.
    """

    channels: list[str] = field(default_factory=list)
    found: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    digest: bool = False
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Due:
    id: int
    attempts: int
    request: dict[str, Any]


def notification_channels(services: Services) -> list[str]:
    """The configured channels: ``command`` (``notify.command`` set) and/or ``desktop``."""
    channels = []
    if services.settings.text("notify.command").strip():
        channels.append("command")
    if services.settings.flag("notify.desktop"):
        channels.append("desktop")
    return channels


def _journal(services: Services, events: list[NotifyEvent], now: datetime) -> int:
    from creatorflow.store.effects import enqueue
    from creatorflow.store.tables import Effect

    if not events:
        return 0
    keys = [event.key for event in events]
    with services.store.read() as session:
        known = set(session.scalars(select(Effect.key).where(Effect.key.in_(keys))))
    fresh = [event for event in events if event.key not in known]
    if not fresh:
        return 0
    queued = 0
    with services.store.write() as session:
        for event in fresh:
            request = {
                "event": event.event,
                "title": event.title,
                "message": event.message,
                "order_id": event.order_id,
                "shop_id": event.shop_id,
            }
            queued += enqueue(
                session, event.key, NOTIFY, order_id=event.order_id, request=request, now=now
            )
    return queued


def _claim(services: Services, worker: str, now: datetime) -> list[_Due]:
    from creatorflow.store.effects import claim

    claimed: list[_Due] = []
    with services.store.write() as session:
        while len(claimed) < _BATCH:
            effect = claim(session, [NOTIFY], worker=worker, now=now, lease=_LEASE)
            if effect is None:
                break
            claimed.append(_Due(effect.id, effect.attempts, dict(effect.request or {})))
    return claimed


def _send(services: Services, alert: Alert, channels: list[str], done: list[str]) -> str | None:
    """Send on every channel not in ``done`` (appended to as they succeed); the error, if any."""
    errors = []
    for channel in channels:
        if channel in done:
            continue
        try:
            if channel == "command":
                command = services.settings.text("notify.command")
                run_command(command, alert, environ=services.environ)
            else:
                send_desktop(alert)
        except NotifyError as exc:
            errors.append(f"{exc}" + (f" ({exc.hint})" if exc.hint else ""))
            continue
        done.append(channel)
    return "; ".join(errors) or None


def _alert(request: dict[str, Any]) -> Alert:
    return Alert(
        event=str(request.get("event") or "alert"),
        title=str(request.get("title") or "CreatorFlow"),
        message=str(request.get("message") or ""),
        order_id=request.get("order_id") or None,
        shop_id=request.get("shop_id") or None,
    )


def _digest(due: list[_Due]) -> Alert:
    kinds = Counter(str(item.request.get("event") or "alert") for item in due)
    counts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(kinds.items()))
    first = [str(item.request.get("message") or "") for item in due[:_DIGEST_LINES]]
    more = len(due) - len(first)
    lines = "\n".join(f"- {text}" for text in first)
    tail = f"\n…and {more} more." if more else ""
    return Alert(
        event="digest",
        title=f"CreatorFlow: {len(due)} alerts",
        message=f"{len(due)} alerts ({counts}):\n{lines}{tail}",
    )


def _record(
    services: Services,
    items: list[_Due],
    worker: str,
    channels: list[str],
    done: list[str],
    error: str | None,
    now: datetime,
    summary: NotifySummary,
) -> None:
    from creatorflow.store.effects import LostClaim, finish, give_up, note_request, retry_later

    with services.store.write() as session:
        for item in items:
            try:
                if error is None:
                    finish(session, item.id, worker, {"sent": list(done)}, now=now)
                    summary.sent += 1
                    continue
                if done:
                    note_request(session, item.id, worker, {"sent": list(done)}, now=now)
                if item.attempts >= MAX_ATTEMPTS:
                    give_up(session, item.id, worker, error, now=now)
                    summary.given_up += 1
                else:
                    delay = RETRY_DELAY * item.attempts
                    retry_later(session, item.id, worker, error, delay=delay, now=now)
                    summary.failed += 1
            except LostClaim:  # another station took it over after our lease ran out
                continue
    if error is not None:
        summary.errors.append(error)
        log.warning("notify failed alerts=%d channels=%s error=%s", len(items), channels, error)


def notify_pending(services: Services, *, now: datetime | None = None) -> NotifySummary:
    """Journal every new alert-worthy event and send the due alerts; never raises on a send.

    Raises:
        UsageError: no channel is configured (``notify.command`` empty, ``notify.desktop``
            false).
        StoreError: the database could not be read or written.
    """

    channels = notification_channels(services)
    if not channels:
        raise UsageError(
            "No notification channel is configured.",
            hint="Set notify.command (e.g. 'ntfy publish my-topic') or notify.desktop = true.",
        )
    moment = now or datetime.now(UTC)
    summary = NotifySummary(channels=channels)
    events = find_events(services, now=moment)
    summary.found = len(events)
    summary.queued = _journal(services, events, moment)
    worker = f"{services.station}:{os.getpid()}:notify"
    due = _claim(services, worker, moment)
    if len(due) > DIGEST_OVER:
        summary.digest = True
        done: list[str] = []
        error = _send(services, _digest(due), channels, done)
        _record(services, due, worker, channels, done, error, moment, summary)
        return summary
    for item in due:
        done = list(item.request.get("sent") or [])
        error = _send(services, _alert(item.request), channels, done)
        _record(services, [item], worker, channels, done, error, moment, summary)
    return summary
