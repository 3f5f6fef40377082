"""Latency figures shared by the load benchmarks (``billing.py``, ``webhooks.py``)."""

from __future__ import annotations

import statistics


def summary(values: list[float]) -> dict[str, float]:
    """n, p50, p90, p99, max and mean of sorted millisecond ``values`` (``{}`` when empty)."""
    if not values:
        return {}

    def pct(p: float) -> float:
        return round(values[min(len(values) - 1, int(p / 100 * len(values)))], 2)

    return {
        "n": len(values),
        "p50": pct(50),
        "p90": pct(90),
        "p99": pct(99),
        "max": round(values[-1], 2),
        "mean": round(statistics.fmean(values), 2),
    }
