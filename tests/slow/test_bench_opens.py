"""A small run of bench.opens against the test stack's emulator: both ways count every open once,
and the last line has the run's figures."""

from __future__ import annotations

import re

import pytest

from bench import opens

LAST_LINE = re.compile(r"^opens users=30 concurrency=6 wall ratio sharded/baseline=[\d.]+ 503s baseline=0 sharded=0$")


def test_both_ways_count_every_open_once(stack: object, capsys: pytest.CaptureFixture[str]) -> None:
    result = opens.main(["--users", "30", "--concurrency", "6", "--running-stack"])
    assert (result.baseline.checks["opens_counted"], result.sharded.checks["opens_counted"]) == (30, 30)
    assert (len(result.baseline.latencies_s), len(result.sharded.latencies_s)) == (30, 30)
    assert LAST_LINE.match(capsys.readouterr().out.strip().splitlines()[-1])
