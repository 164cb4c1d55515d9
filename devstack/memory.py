"""How much memory a set of processes occupies.

Summed resident sets count a page once per process that maps it: a gunicorn worker's pages
shared copy-on-write with its master, and libraries shared between processes, count twice or
more. Summed proportional sets divide each shared page among its sharers, so they add up to
what the processes occupy together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Memory:
    rss_bytes: int
    pss_bytes: int


def resident_memory(pids: Sequence[int]) -> Memory:
    """From /proc/<pid>/smaps_rollup; processes gone meanwhile are left out."""
    rss = pss = 0
    for pid in pids:
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
            rss += int(fields["Rss"].split()[0]) * 1024
            pss += int(fields["Pss"].split()[0]) * 1024
        except (OSError, KeyError, ValueError):
            continue
    return Memory(rss, pss)
