"""Delivery counters, one document per UTC day: ops_daily/{YYYY-MM-DD}.

Fields: due (users a tick enqueued), sent, skipped_done (checked in already), skipped_off
(reminder turned off since), skipped_duplicate (another task had the user), no_device,
failed (final), retried (hand-backs, not final), tokens_pruned, tokens_swept, docs_read.
Every due user ends in exactly one of sent, skipped_*, no_device or failed.
"""

from __future__ import annotations

from collections.abc import Mapping

from google.cloud import firestore

from lib import firestore as db


def add(day: str, deltas: Mapping[str, int]) -> None:
    """Increments the day's counters in one write (no read, no transaction)."""
    fields = {name: firestore.Increment(value) for name, value in deltas.items() if value}
    if fields:
        db.client().collection("ops_daily").document(day).set({"day": day, **fields}, merge=True)
