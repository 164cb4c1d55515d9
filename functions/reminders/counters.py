"""Delivery counters, one document per UTC day (the tick's day): ops_daily/{YYYY-MM-DD}.

Fields: due (users in a batch, counted once per batch name), sent, skipped_done (checked in
already), skipped_off (reminder turned off since), skipped_duplicate (another batch had the
user-day), no_device, failed (final), retried (hand-backs, not final), tokens_pruned,
tokens_swept, docs_read. Every due user-kind ends in exactly one of sent, skipped_*
(skipped_cap: over the daily cap; skipped_not_at_risk: a streak under 3 at the nudge;
skipped_resolved: an account notice whose matter was settled before the send; skipped_deleted:
the account was deleted after the batch was queued), no_device
or failed, and each final count is committed together with the record it counts.

The same per kind in `kinds.{kind}.{counter}` (the flat fields are their sums), and each copy
variant's `variants.{kind}.{variant}.sent`.

Opens (`opened` and `variants.{kind}.{variant}.opened`) are counted on the day their message was
sent, so one day's opened over sent is its open rate. They come one request per message, many at
once after a morning's reminders, so they do not go to the day's document, which would be hot:
each adds to one of OPEN_SHARDS documents ops_daily/{day}/open_shards/{n} at random, and readers
add them to the day (ops/daily_stats.py; decision 0002). The other counters commit once per
chunk of a batch.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from typing import Any

from google.cloud import firestore

from functions.reminders.conditional_writes import Write, commit, set_merged
from lib import firestore as db

IAM_PERMISSIONS = db.WRITES


# Every due user-kind ends in exactly one of these; `due` and the hand-backs (`retried`) are the
# other counters kept per kind.
OUTCOMES = (
    "sent",
    "skipped_done",
    "skipped_off",
    "skipped_duplicate",
    "skipped_cap",
    "skipped_not_at_risk",
    "skipped_resolved",
    "skipped_deleted",
    "no_device",
    "failed",
)
PER_KIND = ("due", *OUTCOMES, "retried")

Counts = Mapping[str, int]


def _increments(counts: Counts) -> dict[str, Any]:
    return {name: firestore.Increment(value) for name, value in counts.items() if value}


def increment(
    day: str,
    deltas: Counts | None = None,
    by_kind: Mapping[str, Counts] | None = None,
    variants: Mapping[tuple[str, str], Counts] | None = None,
) -> list[Write]:
    """The write adding to the day's counters (none when all are zero), to commit alongside the
    records they count: `deltas` to flat fields only, `by_kind` to its kind's and the flat ones,
    `variants` to each (kind, variant)'s."""
    by_kind, variants = by_kind or {}, variants or {}
    totals: Counter[str] = Counter(deltas or {})
    for counts in by_kind.values():
        totals.update(counts)
    fields: dict[str, Any] = _increments(totals)
    if kinds := {kind: found for kind, counts in by_kind.items() if (found := _increments(counts))}:
        fields["kinds"] = kinds
    per_variant: dict[str, dict[str, Any]] = {}
    for (kind, variant), counts in variants.items():
        if found := _increments(counts):
            per_variant.setdefault(kind, {})[variant] = found
    if per_variant:
        fields["variants"] = per_variant
    if not fields:
        return []
    ref = db.client().collection("ops_daily").document(day)
    return [set_merged(ref, {"day": day, **fields})]


OPEN_SHARDS = 8
_OPEN_SHARD_COLLECTION = "open_shards"


def open_shards(day: str) -> list[firestore.DocumentReference]:
    day_ref = db.client().collection("ops_daily").document(day)
    return [day_ref.collection(_OPEN_SHARD_COLLECTION).document(str(n)) for n in range(OPEN_SHARDS)]


def opened(day: str, kind: str, variant: str) -> Write:
    """The write counting one open of a message sent on `day`, blind (no read), in a shard."""
    counted = firestore.Increment(1)
    return set_merged(
        random.choice(open_shards(day)), {"opened": counted, "variants": {kind: {variant: {"opened": counted}}}}
    )


def set_fields(day: str, fields: Mapping[str, object]) -> list[Write]:
    """The write setting plain fields (not counters) on the day's document."""
    ref = db.client().collection("ops_daily").document(day)
    return [set_merged(ref, {"day": day, **fields})]


def add(day: str, deltas: Mapping[str, int]) -> None:
    commit(increment(day, deltas))
