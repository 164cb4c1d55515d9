"""The day's counters: reminder delivery from ops_daily/{YYYY-MM-DD} (written by reminders)
and webhook outcomes from its shards (written by stripe_webhook), as rows an operator reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from functions.stripe_webhook import daily_counts
from lib import firestore as db

COLLECTION = "ops_daily"

REMINDER_FIELDS = (
    "due",
    "sent",
    "skipped_done",
    "skipped_off",
    "skipped_duplicate",
    "no_device",
    "retried",
    "failed",
    "tokens_pruned",
    "tokens_swept",
    "docs_read",
)
SKIPPED = ("skipped_done", "skipped_off", "skipped_duplicate", "no_device")


@dataclass(frozen=True)
class DayStats:
    day: str
    reminders: dict[str, int] = field(default_factory=dict)
    webhooks: dict[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        """Due users who got no reminder on purpose: checked in, turned off, already reminded, no device."""
        return sum(self.reminders[name] for name in SKIPPED)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "reminders": {**self.reminders, "skipped": self.skipped}}


def stats_of(day: date, counters: Mapping[str, Any], webhooks: Mapping[str, int]) -> DayStats:
    """A day's counters, zero where nothing was counted."""

    def number(name: str) -> int:
        value = counters.get(name, 0)
        return int(value) if isinstance(value, int | float) else 0

    return DayStats(
        day=day.isoformat(),
        reminders={name: number(name) for name in REMINDER_FIELDS},
        webhooks={name: int(webhooks.get(name, 0)) for name in daily_counts.OUTCOMES},
    )


def read_days(days: Sequence[date]) -> list[DayStats]:
    collection = db.client().collection(COLLECTION)
    found = {s.id: s.to_dict() or {} for s in db.client().get_all([collection.document(d.isoformat()) for d in days])}
    return [stats_of(d, found.get(d.isoformat(), {}), daily_counts.totals(d)) for d in days]
