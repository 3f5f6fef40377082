"""Three processes writing one database at once: no lost update, no "database is locked"."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import select

from creatorflow.store.engine import make_engine
from creatorflow.store.session import Store
from creatorflow.store.tables import Effect

PROCESSES = 3
BUMPS = 40


def bump(url: str, key: str, times: int) -> None:
    """Read-modify-write one row ``times`` times, each in its own write transaction."""
    store = Store(make_engine(url))
    try:
        for _ in range(times):
            with store.write() as session:
                # FOR UPDATE serialises PostgreSQL; SQLite drops it and relies on BEGIN IMMEDIATE.
                query = select(Effect).where(Effect.key == key).with_for_update()
                effect = session.scalars(query).one()
                effect.attempts += 1
    finally:
        store.dispose()


def test_concurrent_writers_lose_nothing(store: Store, db_url: str) -> None:
    with store.write() as session:
        session.add(Effect(key="counter", kind="test"))
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=bump, args=(db_url, "counter", BUMPS)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    with store.read() as session:
        effect = session.scalars(select(Effect).where(Effect.key == "counter")).one()
    assert effect.attempts == PROCESSES * BUMPS
