"""Days in the past that belong to one test: reminder counters and send records are kept per
day, so two tests that drew the same day would count each other's work."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

# A random start keeps a rerun against a kept emulator off the days of an earlier run; within
# one run the days are handed out in order, so no two tests can share one.
_FIRST = date(1990, 1, 1)
_next_offset = itertools.count(uuid.uuid4().int % 6000)


def unique_days(count: int) -> list[date]:
    """`count` consecutive days no earlier call in this process was given."""
    start = next(_next_offset)
    for _ in range(count - 1):
        next(_next_offset)
    return [_FIRST + timedelta(days=start + i) for i in range(count)]


def unique_day() -> date:
    return unique_days(1)[0]
