"""bench.stack_cpu: CPU seconds of process trees, and the ceiling it reports."""

from __future__ import annotations

import hashlib
import os

from bench import stack_cpu


def test_a_tree_counts_the_cpu_of_its_root() -> None:
    before = stack_cpu.tree_cpu_s({"tests": os.getpid()})["tests"]
    for _ in range(20_000):
        hashlib.sha256(b"x" * 1024).digest()
    assert stack_cpu.tree_cpu_s({"tests": os.getpid()})["tests"] > before


def test_a_process_that_is_gone_counts_zero() -> None:
    assert stack_cpu.tree_cpu_s({"none": 2**22 + 12345}) == {"none": 0.0}


def test_the_report_divides_the_total_by_the_cores() -> None:
    lines = stack_cpu.report({"a": 1.0, "b": 0.0}, {"a": 5.0, "b": 2.0}, baseline_s=60.0, work=1000)
    assert lines[0].startswith("cpu a: 4.0s (4.00 ms per unit)")
    cores = stack_cpu.psutil.cpu_count() or 1
    assert f"no run can take less than {6.0 / cores:.1f}s" in lines[-1]
