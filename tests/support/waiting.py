"""Polling for what the stack does in the background."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T], what: str, timeout_s: float = 30.0, interval_s: float = 0.1) -> T:
    """Polls until `check` answers something truthy and answers it; fails naming `what`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def wait_until_stable(read: Callable[[], T], what: str, quiet_s: float = 0.5, timeout_s: float = 60.0) -> T:
    """Reads until two reads `quiet_s` apart agree, and answers that value; fails naming `what`."""
    deadline = time.monotonic() + timeout_s
    previous = read()
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        current = read()
        if current == previous:
            return current
        previous = current
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what} to settle")
