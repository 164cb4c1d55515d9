"""Kills the local stack's process groups when the stack itself dies, however it dies.

The stack starts this process in a session of its own and keeps the write end of its stdin; it
writes `+<pgid>` for each child it starts and `-<pgid>` for each it has stopped. When stdin reaches
end of file, the stack is gone (a clean stop, Ctrl-C, SIGKILL or a closed terminal alike: the
kernel closes the pipe), and every group still listed is killed, grandchildren included (gunicorn
workers, the Firestore emulator's JVM), so the next `make run` finds its ports free.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterable

GRACE_S = 3.0


def live_groups(lines: Iterable[str]) -> set[int]:
    """The groups registered and not yet unregistered."""
    groups: set[int] = set()
    for line in lines:
        sign, number = line[:1], line[1:].strip()
        if not number.isdigit():
            continue
        if sign == "+":
            groups.add(int(number))
        elif sign == "-":
            groups.discard(int(number))
    return groups


def _signal_groups(groups: set[int], sig: int) -> set[int]:
    """Signals each group (0: none, a probe); answers those that still exist."""
    alive = set()
    for group in groups:
        try:
            os.killpg(group, sig)
            alive.add(group)
        except (ProcessLookupError, PermissionError):
            pass
    return alive


def kill_groups(groups: set[int]) -> None:
    alive = _signal_groups(groups, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = _signal_groups(alive, 0)
    _signal_groups(alive, signal.SIGKILL)


def main() -> None:
    # Ctrl-C and a closed terminal are for the stack; this process acts only on end of file.
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    kill_groups(live_groups(sys.stdin))


if __name__ == "__main__":
    main()
