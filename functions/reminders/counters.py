"""Delivery counters, one document per UTC day (the tick's day): ops_daily/{YYYY-MM-DD}.

Fields: due (users in a batch, counted once per batch name), sent, skipped_done (checked in
already), skipped_off (reminder turned off since), skipped_duplicate (another batch had the
user-day), no_device, failed (final), retried (hand-backs, not final), tokens_pruned,
tokens_swept, docs_read. Every due user ends in exactly one of sent, skipped_*, no_device
or failed, and each final count is committed together with the record it counts.
"""

from __future__ import annotations

from collections.abc import Mapping

from google.cloud import firestore

from functions.reminders.conditional_writes import Write, commit, set_merged
from lib import firestore as db

IAM_PERMISSIONS = db.WRITES


def increment(day: str, deltas: Mapping[str, int]) -> list[Write]:
    """The write adding `deltas` to the day's counters (none when all are zero), to commit
    alongside the records they count."""
    fields = {name: firestore.Increment(value) for name, value in deltas.items() if value}
    if not fields:
        return []
    ref = db.client().collection("ops_daily").document(day)
    return [set_merged(ref, {"day": day, **fields})]


def set_fields(day: str, fields: Mapping[str, object]) -> list[Write]:
    """The write setting plain fields (not counters) on the day's document."""
    ref = db.client().collection("ops_daily").document(day)
    return [set_merged(ref, {"day": day, **fields})]


def add(day: str, deltas: Mapping[str, int]) -> None:
    commit(increment(day, deltas))
