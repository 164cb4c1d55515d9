"""CPU seconds used by process groups (Linux /proc), to say where a benchmark's CPU goes.

The local stack starts each piece in its own session (devstack.stack), so a piece and every
child it spawns (the Firestore emulator's JVM under gcloud, node under the firebase CLI)
share one process group whose id is the piece's pid.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _stat_fields(stat: str) -> list[str]:
    """The fields after the command name, which may itself hold spaces and parentheses."""
    return stat.rsplit(")", 1)[1].split()


def group_cpu_s(groups: Mapping[str, int]) -> dict[str, float]:
    """User + system CPU seconds of every live process in each named process group."""
    totals = dict.fromkeys(groups, 0.0)
    names = {pgid: name for name, pgid in groups.items()}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields((entry / "stat").read_text())
        except OSError:
            continue  # exited meanwhile
        name = names.get(int(fields[2]))
        if name is not None:
            totals[name] += (int(fields[11]) + int(fields[12])) / _TICKS_PER_S
    return totals


def own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system
