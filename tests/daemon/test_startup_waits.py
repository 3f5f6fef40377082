"""A daemon started while the database is locked or unreachable waits for it; it never exits."""

from __future__ import annotations

import threading

import pytest

from creatorflow.daemon import scheduler
from creatorflow.errors import SchemaMismatchError, StoreError


def test_a_busy_store_is_tried_again_until_it_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler, "STORE_RETRY_SECONDS", 0.01)
    answers: list[int | StoreError] = [StoreError("busy"), StoreError("unreachable"), 3]

    def call() -> int:
        answer = answers.pop(0)
        if isinstance(answer, StoreError):
            raise answer
        return answer

    assert scheduler._when_the_store_answers(threading.Event(), "probe", call) == 3
    assert answers == []


def test_an_old_schema_is_not_waited_for() -> None:
    def call() -> int:
        raise SchemaMismatchError("old")

    with pytest.raises(SchemaMismatchError):
        scheduler._when_the_store_answers(threading.Event(), "probe", call)


def test_a_stop_ends_the_wait() -> None:
    stop = threading.Event()
    stop.set()

    def call() -> int:
        raise StoreError("busy")

    assert scheduler._when_the_store_answers(stop, "probe", call) == 0
