"""The day's counters: reminder delivery from ops_daily/{YYYY-MM-DD} and opens from its open
shards (written by reminders), webhook outcomes from its webhook shards (written by
stripe_webhook), as rows an operator reads."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from functions.reminders import counters as reminder_counters
from functions.reminders.counters import OUTCOMES
from functions.stripe_webhook import daily_counts
from lib import firestore as db
from ops.kind_counters import Opens, added, count_of, kinds_of, skipped_of, total, variants_of

COLLECTION = "ops_daily"

REMINDER_FIELDS = ("due", "opened", *OUTCOMES, "retried", "tokens_pruned", "tokens_swept", "docs_read")


@dataclass(frozen=True)
class DayStats:
    day: str
    reminders: dict[str, int] = field(default_factory=dict)
    webhooks: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, dict[str, int]] = field(default_factory=dict)
    variants: dict[str, dict[str, Opens]] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        return skipped_of(self.reminders)

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "reminders": {**self.reminders, "skipped": self.skipped},
            "webhooks": self.webhooks,
            "kinds": {kind: {**counters, "skipped": skipped_of(counters)} for kind, counters in self.kinds.items()},
            "variants": {
                kind: {name: opens.as_json() for name, opens in by_variant.items()}
                for kind, by_variant in self.variants.items()
            },
        }


def stats_of(
    day: date, counters: Mapping[str, Any], webhooks: Mapping[str, int], opens: Sequence[Mapping[str, Any]] = ()
) -> DayStats:
    """A day's counters, with the opens counted in its shards, zero where nothing was counted."""
    reminders = {name: count_of(counters.get(name)) for name in REMINDER_FIELDS}
    reminders["opened"] += sum(count_of(shard.get("opened")) for shard in opens)
    return DayStats(
        day=day.isoformat(),
        reminders=reminders,
        webhooks={name: int(webhooks.get(name, 0)) for name in daily_counts.OUTCOMES},
        kinds=kinds_of(counters),
        variants=_variants(counters, opens),
    )


def read_days(days: Sequence[date]) -> list[DayStats]:
    found, opens = _documents(days), _open_shards(days)
    return [stats_of(d, found.get(d.isoformat(), {}), daily_counts.totals(d), opens[d]) for d in days]


def read_opens(days: Sequence[date]) -> list[tuple[str, dict[str, Opens]]]:
    """Per day and kind, reminders sent and opened summed over the kind's variants."""
    found, opens = _documents(days), _open_shards(days)
    return [
        (
            d.isoformat(),
            {kind: total(v.values()) for kind, v in _variants(found.get(d.isoformat(), {}), opens[d]).items()},
        )
        for d in days
    ]


def _variants(counters: Mapping[str, Any], opens: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Opens]]:
    return added(variants_of(counters), *(variants_of(shard) for shard in opens))


def _documents(days: Sequence[date]) -> dict[str, dict[str, Any]]:
    collection = db.client().collection(COLLECTION)
    return {s.id: s.to_dict() or {} for s in db.client().get_all([collection.document(d.isoformat()) for d in days])}


def _open_shards(days: Sequence[date]) -> dict[date, list[dict[str, Any]]]:
    """Each day's open shards that exist, in one round trip."""
    snapshots = iter(db.read_all([ref for d in days for ref in reminder_counters.open_shards(d.isoformat())]))
    per_day = {d: list(itertools.islice(snapshots, reminder_counters.OPEN_SHARDS)) for d in days}
    return {d: [s.to_dict() or {} for s in found if s.exists] for d, found in per_day.items()}
