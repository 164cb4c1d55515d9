"""A small run of bench.isolation on the test stack: it completes, every call answered, and it
prints its line."""

from __future__ import annotations

import re

from bench.isolation import run
from devstack.stack import Stack
from tests.support import reminders as reminders_support
from tests.support.reminders import Fcm

fcm = reminders_support.fcm


def test_small_isolation_run_answers_every_call_and_prints_its_line(fcm: Fcm, stack: Stack) -> None:
    line = run(users=40, events=20, storm_concurrency=4, rate=8.0, idle_s=2.0, topology="units")
    pattern = r"isolation idle_p99_ms=\d+ busy_p99_ms=\d+ ratio=[\d.]+ errors=0 topology=units"
    assert re.fullmatch(pattern, line), line
