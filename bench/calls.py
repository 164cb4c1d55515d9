"""Calls that either answer or are refused with 503 (errors.Unavailable), timed one by one, and
the figures the concurrency benchmarks print of them."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lib import errors


def timed(call: Callable[[], object]) -> float | None:
    """The call's seconds, or None when it was refused with 503."""
    begun = time.perf_counter()
    try:
        call()
    except errors.Unavailable:
        return None
    return time.perf_counter() - begun


@dataclass
class Calls:
    latencies_s: list[float] = field(default_factory=list)
    unavailable: int = 0
    wall_s: float = 0.0
    # What the run checked afterwards, by name (each printed as name=value).
    checks: dict[str, int] = field(default_factory=dict)

    def add(self, results: Iterable[float | None]) -> None:
        for result in results:
            if result is None:
                self.unavailable += 1
            else:
                self.latencies_s.append(result)

    def line(self, name: str) -> str:
        lat = sorted(self.latencies_s)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
        median = statistics.median(lat) if lat else float("nan")
        checked = "".join(f" {key}={value}" for key, value in self.checks.items())
        return (
            f"{name}: ok={len(lat)} unavailable(503)={self.unavailable} p50={median:.3f}s p99={p99:.3f}s "
            f"wall={self.wall_s:.1f}s{checked}"
        )


def compared(candidate: Calls, baseline: Calls, candidate_name: str, baseline_name: str) -> str:
    """The candidate's wall time over the baseline's, and each one's 503s."""
    return (
        f"wall ratio {candidate_name}/{baseline_name}={candidate.wall_s / baseline.wall_s:.2f} "
        f"503s {baseline_name}={baseline.unavailable} {candidate_name}={candidate.unavailable}"
    )
