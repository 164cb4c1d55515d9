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
# Unused days before each handout: a test also reads days before its own (the stats chart looks
# back 14 days), and those must not be another test's.
LOOK_BACK_DAYS = 14


def unique_day() -> date:
    """A day that neither it nor any of the `LOOK_BACK_DAYS` before it was given to an earlier
    caller in this process."""
    for _ in range(LOOK_BACK_DAYS):
        next(_next_offset)
    return _FIRST + timedelta(days=next(_next_offset))
