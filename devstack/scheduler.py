"""The local stand-in for Cloud Scheduler's reminder tick: POSTs the tick function's own URL
every minute (the cloud's job runs every 5 minutes; a minute keeps the demo's wait short)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import requests

TICK_EVERY_S = 60.0


def tick_every(url: str, stop: threading.Event, report: Callable[[str], None], every_s: float = TICK_EVERY_S) -> None:
    """Ticks at once and then every `every_s` until `stop` is set; a failed tick is reported and
    the next one tried, as Cloud Scheduler does."""
    while not stop.is_set():
        try:
            response = requests.post(url, timeout=120)
            if response.status_code != 200:
                report(f"  ! scheduler: the tick answered {response.status_code}: {response.text[:200]}")
        except requests.RequestException as exc:
            report(f"  ! scheduler: the tick could not be called: {exc}")
        stop.wait(every_s)


def start(url: str, stop: threading.Event, report: Callable[[str], None]) -> threading.Thread:
    thread = threading.Thread(target=tick_every, args=(url, stop, report), name="scheduler", daemon=True)
    thread.start()
    return thread
