"""Webhook outcomes counted per UTC day, beside the reminder counters, so the operator CLI
(`wellness-ops stats`) shows both: ops_daily/{YYYY-MM-DD}/webhook_shards/{n}.

One counter per delivery would make a single document hot (Firestore sustains about one
write per second per document; a burst of Stripe retries is far more), so each delivery
increments one of SHARDS documents at random, blind (no read), and readers add them up.

Outcomes: processed (the event was acted on, or was of no concern), duplicate (already done),
busy (another delivery held it; Stripe retries), failed (processing raised; the lease was
released and Stripe retries), orphaned (the customer's user is gone: recorded as done, not
retried), duplicate_subscription (reconcile found a user with a second live subscription).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime

from google.cloud import firestore

from lib import firestore as db
from lib import queries

IAM_PERMISSIONS = db.WRITES


DAILY_COLLECTION = "ops_daily"
SHARD_COLLECTION = "webhook_shards"
SHARDS = 8
OUTCOMES = ("processed", "duplicate", "busy", "failed", "orphaned", "duplicate_subscription")

ALL_SHARDS = queries.QueryShape(SHARD_COLLECTION)


def _day(day: str) -> firestore.DocumentReference:
    return db.client().collection(DAILY_COLLECTION).document(day)


def _shard(now: datetime | None) -> firestore.DocumentReference:
    day = (now or datetime.now(UTC)).date().isoformat()
    shard: firestore.DocumentReference = _day(day).collection(SHARD_COLLECTION).document(str(random.randrange(SHARDS)))
    return shard


def count_outcome(outcome: str, now: datetime | None = None) -> None:
    _shard(now).set({outcome: firestore.Increment(1)}, merge=True)


def count_in(batch: firestore.WriteBatch, outcome: str, now: datetime | None = None) -> None:
    """Adds the count to `batch`, so it commits with the batch's other writes (one round trip)."""
    batch.set(_shard(now), {outcome: firestore.Increment(1)}, merge=True)


def totals(day: date) -> dict[str, int]:
    """The day's outcomes, zero where none was counted."""
    counted: Counter[str] = Counter()
    for snapshot in queries.stream(ALL_SHARDS, _day(day.isoformat())):
        counted.update({k: int(v) for k, v in (snapshot.to_dict() or {}).items() if isinstance(v, int)})
    return {outcome: counted[outcome] for outcome in OUTCOMES}
