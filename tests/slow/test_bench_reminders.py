"""A small run of the reminder benchmark on the test stack: it completes and prints its line."""

from __future__ import annotations

import re

import pytest

from bench.reminders import run
from devstack.stack import Stack
from tests.support import reminders as reminders_support
from tests.support.reminders import Fcm

fcm = reminders_support.fcm


def test_benchmark_smoke_run_prints_its_line_with_nothing_lost_or_doubled(
    fcm: Fcm, stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    line = run(users=30, sample=30, latency_ms=5, max_per_second=1000, stack=stack)
    assert re.search(r"cpu reminders-send_batch: [\d.]+s", capsys.readouterr().out)
    pattern = (
        r"reminders users=30 baseline_s=[\d.]+ pipeline_s=[\d.]+ speedup=[\d.]+ "
        r"lost=0 doubled=0 reads_per_due_user=[\d.]+"
    )
    assert re.fullmatch(pattern, line), line
