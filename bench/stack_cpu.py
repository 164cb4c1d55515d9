"""CPU time each service of the local stack has used, so a benchmark can say where its work
went and how fast the machine's cores could possibly have done it."""

from __future__ import annotations

from collections.abc import Mapping

import psutil

from devstack.stack import Stack


def _tree_seconds(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def tree_cpu_s(roots: Mapping[str, int]) -> dict[str, float]:
    """Name → CPU seconds used so far by the process `roots[name]` and all its children."""
    return {name: _tree_seconds(pid) for name, pid in roots.items()}


def roots(stack: Stack) -> dict[str, int]:
    """Service name → the process id its CPU is counted from."""
    return {running.service.name: running.process.pid for running in stack.running}


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """Service name → CPU seconds used so far by its process and all its children."""
    return tree_cpu_s(roots(stack))


def report(before: dict[str, float], after: dict[str, float], baseline_s: float, work: int) -> list[str]:
    """What each service spent between two readings, per unit of work, and the fastest time the
    machine's cores could have given had the work been spread over all of them perfectly."""
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    total = sum(spent.values())
    cores = psutil.cpu_count() or 1
    lines = [
        f"cpu {name}: {seconds:.1f}s ({seconds * 1000 / work:.2f} ms per unit)"
        for name, seconds in sorted(spent.items(), key=lambda item: -item[1])
        if seconds >= 0.05
    ]
    floor_s = total / cores
    lines.append(
        f"cpu total {total:.1f}s on {cores} cores: at this cost no run can take less than {floor_s:.1f}s here, "
        f"so the speedup this machine allows is at most {baseline_s / floor_s:.1f}"
    )
    return lines
