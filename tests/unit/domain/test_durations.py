"""Spans of time typed on the command line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from creatorflow.domain.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        ("30m", timedelta(minutes=30)),
        (" 3 D ", timedelta(days=3)),
        ("90 days", timedelta(days=90)),
        ("1 week", timedelta(weeks=1)),
    ],
)
def test_spans_parse(text: str, span: timedelta) -> None:
    assert parse_duration(text) == span


@pytest.mark.parametrize("text", ["", "90", "d", "-3d", "1.5d", "3y", "0d", "2w3d", "1234567d"])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"span|no time"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(days=14), "2w"),
        (timedelta(days=90), "90d"),
        (timedelta(hours=36), "36h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(seconds=5), "5s"),
    ],
)
def test_spans_format_in_their_largest_exact_unit(span: timedelta, text: str) -> None:
    assert format_duration(span) == text
    if not text.endswith("s"):
        assert parse_duration(text) == span
