"""bench.process_cpu: CPU seconds by process group, read from /proc."""

from __future__ import annotations

import hashlib
import os

from bench import process_cpu


def test_group_cpu_includes_this_process() -> None:
    for _ in range(20_000):
        hashlib.sha256(b"x" * 1024).digest()
    mine = process_cpu.own_cpu_s()
    grouped = process_cpu.group_cpu_s({"tests": os.getpgrp()})["tests"]
    assert grouped >= mine - 0.05  # /proc counts whole clock ticks


def test_a_group_with_no_process_counts_zero() -> None:
    assert process_cpu.group_cpu_s({"none": 2**22 + 12345}) == {"none": 0.0}
