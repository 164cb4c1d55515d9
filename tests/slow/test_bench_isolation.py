"""A small run of bench.isolation on the test stack: it completes, every call and every direct
read answered, and it prints its line."""

from __future__ import annotations

import re

from bench.isolation import run
from devstack.stack import Stack
from tests.support import reminders as reminders_support
from tests.support.reminders import Fcm

fcm = reminders_support.fcm


def test_small_isolation_run_answers_every_call_and_read_and_prints_its_line(fcm: Fcm, stack: Stack) -> None:
    line = run(users=40, events=20, storm_concurrency=4, rate=8.0, idle_s=2.0, topology="units", pieces=stack.pieces)
    pattern = (
        r"isolation idle_p99_ms=\d+ busy_p99_ms=\d+ ratio=[\d.]+ errors=0 topology=units "
        r"floor_idle_p99_ms=\d+ floor_busy_p99_ms=\d+ floor_ratio=[\d.]+ floor_errors=0 "
        r"pss_mib=(?P<pss>\d+) rss_mib=(?P<rss>\d+)"
    )
    match = re.fullmatch(pattern, line)
    assert match, line
    # The whole stack (emulators, servers, gateway, twelve function processes) occupies far more
    # than 100 MiB, and a page counted in proportion is never counted more than in full.
    assert 100 < int(match["pss"]) <= int(match["rss"]), line
