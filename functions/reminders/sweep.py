"""Deletes devices idle for more than `token_idle_days` (270 by default): FCM itself treats
tokens unused for 270 days as expired."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from functions.reminders import counters, devices
from lib.config import settings


def sweep_idle_devices(now: datetime) -> int:
    removed = 0
    for page in devices.idle_devices(now, settings().token_idle_days):
        removed += devices.delete_idle(page)
    counters.add(now.date().isoformat(), Counter(tokens_swept=removed))
    return removed
