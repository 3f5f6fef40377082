"""Housekeeping: buyer data removed after the retention period, old job history, a tidy database.

:func:`purge_buyer_data` is what ``creatorflow data purge`` and the daemon's daily
``housekeeping`` job call. For every order delivered or cancelled longer ago than
``older_than`` (see :mod:`creatorflow.store.housekeeping` for exactly when an order counts as
finished) it removes the buyer's name, phone, street address, city, postal code and message,
scrubs the stored TikTok payload (:mod:`creatorflow.domain.retention`), deletes the label
files (they show the address) and the files of past prints of only such orders kept in the
data folder, blanks the words of the alerts sent about them, and writes a ``note`` event on
each. Ids, amounts, dates, state and country, line items, shipments (carrier, service, cost,
tracking) and the audit log stay, so money and reports are unchanged. Quarantined TikTok
payloads older than the cut-off are deleted too.

:func:`housekeeping` runs that with ``retention.buyer_data_days``, deletes daemon job runs
older than ``retention.job_runs_days``, and tidies the database (``VACUUM`` when worth it on
SQLite, ``ANALYZE`` on PostgreSQL). The daemon's log needs nothing: it rotates itself
(5 files of 5 MB).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from creatorflow.domain.retention import scrub_order_payload
from creatorflow.domain.stages import Actor
from creatorflow.errors import UsageError
from creatorflow.services.context import Services

__all__ = ["HousekeepingSummary", "PurgeSummary", "housekeeping", "purge_buyer_data"]

log = logging.getLogger(__name__)

#: Orders purged per transaction (each transaction holds the write lock briefly).
_BATCH = 500


@dataclass
class PurgeSummary:
    """What a purge removed (or, with ``dry_run``, would remove: ``orders`` only).

    ``files_failed`` counts files that could not be deleted (their paths are logged).
    """

    cutoff: datetime
    dry_run: bool = False
    orders: int = 0
    label_files: int = 0
    print_files: int = 0
    quarantined: int = 0
    files_failed: int = 0


@dataclass
class HousekeepingSummary:
    """What one housekeeping run did."""

    purge: PurgeSummary
    job_runs_pruned: int
    database: str


def _delete(paths: list[str], summary: PurgeSummary) -> int:
    deleted = 0
    for text in paths:
        try:
            Path(text).unlink(missing_ok=True)
        except OSError as exc:
            summary.files_failed += 1
            log.warning("purge could not delete %s: %s", text, exc.strerror or exc)
            continue
        deleted += 1
    return deleted


def _inside(folder: Path) -> Callable[[str], bool]:
    root = folder.resolve()

    def check(text: str) -> bool:
        return Path(text).resolve().is_relative_to(root)

    return check


def purge_buyer_data(
    services: Services,
    older_than: timedelta,
    now: datetime | None = None,
    *,
    dry_run: bool = False,
    actor: Actor = Actor.DAEMON,
) -> PurgeSummary:
    """Remove buyer data from orders finished more than ``older_than`` before ``now``.

    Safe to run again at any time: a purged order is not touched twice, and one whose buyer
    data came back (TikTok updated it after the purge) is purged again.

    Raises:
        UsageError: ``older_than`` is negative.
        StoreError: the database could not be read or written.
    """
    from creatorflow.store.housekeeping import (
        clear_buyer_data,
        count_purge_candidates,
        prune_quarantine,
        purge_candidates,
        purged_print_files,
    )

    if older_than < timedelta(0):
        raise UsageError(
            "The retention period cannot be negative.", hint="Use for example --older-than 90d."
        )
    moment = now or datetime.now(UTC)
    cutoff = moment - older_than
    summary = PurgeSummary(cutoff=cutoff, dry_run=dry_run)
    if dry_run:
        with services.store.read() as session:
            summary.orders = count_purge_candidates(session, cutoff)
        return summary
    seen: set[str] = set()
    while True:
        with services.store.write() as session:
            batch = purge_candidates(session, cutoff, limit=_BATCH)
            if not batch or seen.issuperset(c.order_id for c in batch):
                break
            seen.update(c.order_id for c in batch)
            scrubbed = {c.order_id: scrub_order_payload(c.raw) for c in batch}
            paths = clear_buyer_data(session, scrubbed, actor=actor.value, now=moment)
            # Deleted before the commit: should it fail, the next run purges these again.
            summary.label_files += _delete(paths, summary)
            summary.orders += len(batch)
    with services.store.write() as session:
        summary.quarantined = prune_quarantine(session, cutoff)
        files = purged_print_files(session, _inside(services.paths.data_dir))
        summary.print_files = _delete(files, summary)
    return summary


def housekeeping(services: Services, *, now: datetime | None = None) -> HousekeepingSummary:
    """The daily clean-up: purge buyer data, prune job runs, tidy the database."""
    from creatorflow.store.housekeeping import prune_job_runs, tidy_database

    moment = now or datetime.now(UTC)
    settings = services.settings
    purge = purge_buyer_data(
        services, timedelta(days=settings.integer("retention.buyer_data_days")), moment
    )
    before = moment - timedelta(days=settings.integer("retention.job_runs_days"))
    with services.store.write(durable=False) as session:
        pruned = prune_job_runs(session, before)
    database = tidy_database(services.store.engine)
    return HousekeepingSummary(purge=purge, job_runs_pruned=pruned, database=database)
