"""Medians after a warm-up, with their spread, and the figures collected for the report."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """Milliseconds over `runs` runs after one warm-up run."""

    median: float
    low: float
    high: float
    runs: int

    @property
    def spread(self) -> float:
        return self.high - self.low

    def text(self) -> str:
        return f"{self.median:9.1f} ms (±{self.spread / 2:.1f})"

    def as_dict(self) -> dict[str, float]:
        return {
            "median_ms": round(self.median, 3),
            "min_ms": round(self.low, 3),
            "max_ms": round(self.high, 3),
        }


def of(samples: list[float]) -> Timing:
    return Timing(statistics.median(samples), min(samples), max(samples), len(samples))


def clock(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(milliseconds, result) of one call."""
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def measure(fn: Callable[[], Any], runs: int, warmup: int = 1) -> Timing:
    for _ in range(warmup):
        fn()
    return of([clock(fn)[0] for _ in range(runs)])


def paired(
    first: Callable[[], Any], second: Callable[[], Any], runs: int, warmup: int = 1
) -> tuple[Timing, Timing, float]:
    """Two functions measured in turn (first, second, first, …), so that whatever else the
    machine does weighs on both alike; and the median of the differences of each pair."""
    for _ in range(warmup):
        first()
        second()
    a: list[float] = []
    b: list[float] = []
    for _ in range(runs):
        a.append(clock(first)[0])
        b.append(clock(second)[0])
    return of(a), of(b), statistics.median(x - y for x, y in zip(a, b, strict=True))


def rounded(value: Any) -> Any:
    """Floats rounded for the JSON file (three decimals), recursively."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value
