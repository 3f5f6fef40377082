"""Spans of time as people type them on the command line: ``90d``, ``12h``, ``2w``, ``30m``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["UNITS", "format_duration", "parse_duration"]

#: The units a span may be given in, with their length.
UNITS: dict[str, timedelta] = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}

_SPAN = re.compile(r"^\s*(\d{1,6})\s*([a-z]+)\s*$", re.IGNORECASE)
_NAMES = {
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "hour": "h",
    "hours": "h",
    "day": "d",
    "days": "d",
    "week": "w",
    "weeks": "w",
}


def parse_duration(text: str) -> timedelta:
    """Read ``90d``, ``12h``, ``2w`` or ``30m`` (also ``90 days``, ``2 weeks``).

    Raises:
        ValueError: not a whole number followed by a unit, or not more than zero.
    """
    match = _SPAN.match(text)
    unit = match.group(2).lower() if match else ""
    unit = _NAMES.get(unit, unit)
    if match is None or unit not in UNITS:
        raise ValueError(f"{text!r} is not a span of time: write e.g. 90d, 12h, 2w or 30m")
    count = int(match.group(1))
    if count == 0:
        raise ValueError(f"{text!r} is no time at all: give a span of more than zero")
    return UNITS[unit] * count


def format_duration(span: timedelta) -> str:
    """The shortest exact spelling of ``span`` in the largest unit that divides it (``2w``)."""
    for unit, size in sorted(UNITS.items(), key=lambda item: item[1], reverse=True):
        count, rest = divmod(span, size)
        if not rest and count:
            return f"{count}{unit}"
    return f"{int(span.total_seconds())}s"
