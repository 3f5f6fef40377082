"""Calling services from worker threads without ever crashing the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.message_pump import MessagePump

from creatorflow.errors import CreatorflowError
from creatorflow.tui.messages import ServiceFailed

__all__ = ["guarded"]

T = TypeVar("T")


def guarded(target: MessagePump, call: Callable[[], T]) -> T | None:
    """``call()``'s result, or ``None`` after posting :class:`ServiceFailed` to ``target``.

    A :class:`CreatorflowError` is shown with its title, message and hint; anything else is
    a bug, shown by its type and words so the dashboard keeps running.
    """
    try:
        return call()
    except CreatorflowError as exc:
        text = exc.message + (f"\n{exc.hint}" if exc.hint else "")
        target.post_message(ServiceFailed(exc.title, text))
    except Exception as exc:  # the dashboard must survive any failure of a call
        target.post_message(ServiceFailed("Unexpected error", f"{type(exc).__name__}: {exc}"))
    return None
