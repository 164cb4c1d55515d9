"""Token buckets per client key: pure arithmetic, the clock is passed in."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass


@dataclass
class Bucket:
    tokens: float
    updated_at: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: int = 0


class TokenBuckets:
    """`burst` tokens per key, refilled at `per_second`; one token per request."""

    def __init__(self, burst: int, per_second: float, max_keys: int = 100_000) -> None:
        self.burst = burst
        self.per_second = per_second
        self.max_keys = max_keys
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float) -> Decision:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._forget_full(now)
                bucket = self._buckets[key] = Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated_at) * self.per_second)
            bucket.updated_at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return Decision(True)
            return Decision(False, retry_after_s=max(1, math.ceil((1 - bucket.tokens) / self.per_second)))

    def _forget_full(self, now: float) -> None:
        """Drops buckets that have refilled completely: they hold no state worth keeping."""
        full_after = self.burst / self.per_second
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated_at < full_after}
