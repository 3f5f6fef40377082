"""Sessions over one engine: short read transactions and ``BEGIN IMMEDIATE`` write transactions.

Rules every caller follows:

* **Never hold a network call inside ``write()``.** A write transaction locks the whole SQLite
  database for every other process. Journal the intent and commit, make the call outside any
  transaction, then record the result in a second ``write()`` (DESIGN §5).
* Keep ``read()`` blocks short too: fetch, leave the block, then render. A long reader pins
  the WAL file and stalls checkpoints.

Objects loaded in either session stay readable after the block ends (no expiry on commit).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from creatorflow.store.engine import (
    SQLITE_BEGIN_OPTION,
    SQLITE_SYNCHRONOUS_OPTION,
    store_error_from,
)

#: ``Session.info`` key holding the name of this packing station (``Store(station=…)``).
STATION_INFO = "creatorflow.station"


class Store:
    """The one handle on the database that services share.

    ``station`` names this packing station; every session carries it in
    ``session.info[STATION_INFO]`` so records written through it (order events) say which
    station wrote them when several share one PostgreSQL database.
    """

    def __init__(self, engine: Engine, *, station: str | None = None) -> None:
        self._engine = engine
        self.station = station
        info = {STATION_INFO: station}
        self._reader = sessionmaker(engine, expire_on_commit=False, info=info)
        # Same pool, different begin mode: the "begin" hook reads this execution option.
        writer_engine = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self._writer = sessionmaker(writer_engine, expire_on_commit=False, info=info)
        relaxed_engine = writer_engine.execution_options(**{SQLITE_SYNCHRONOUS_OPTION: "NORMAL"})
        self._relaxed_writer = sessionmaker(relaxed_engine, expire_on_commit=False, info=info)

    @property
    def engine(self) -> Engine:
        """The engine this store wraps."""
        return self._engine

    @property
    def dialect(self) -> str:
        """The backend's name: ``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; whatever it changed is rolled back when the block ends.

        Raises:
            StoreError: the database could not be opened or read.
        """
        try:
            with self._reader() as session:
                yield session
        except OperationalError as exc:
            raise store_error_from(exc) from exc

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Session]:
        """A session whose transaction takes the write lock at once (``BEGIN IMMEDIATE``).

        Commits when the block ends normally, rolls back when it raises. Never make a network
        call inside this block.

        ``durable=False`` is for data that can be fetched again (a page of synced orders with
        its watermark): the commit does not wait for the disk (SQLite ``synchronous=NORMAL``,
        PostgreSQL ``synchronous_commit=off``). It stays atomic and consistent; a power cut
        may only lose the last such transactions, which the next sync re-reads. Money records
        (effects, shipments) always use the default.

        Raises:
            StoreError: the database stayed locked past the busy timeout, or could not be
                written (disk full, read-only, connection lost).
        """
        maker = self._writer if durable else self._relaxed_writer
        try:
            with maker.begin() as session:
                if not durable and self.dialect == "postgresql":
                    session.execute(text("SET LOCAL synchronous_commit TO OFF"))
                yield session
        except OperationalError as exc:
            raise store_error_from(exc) from exc

    def dispose(self) -> None:
        """Close every pooled connection (call at shutdown and before forking)."""
        self._engine.dispose()
