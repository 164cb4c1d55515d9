"""Webhook outcomes counted per UTC day on ops_daily/{YYYY-MM-DD}, beside the reminder
counters, so the operator CLI (`wellness-ops stats`) shows both from one document per day.

Fields: webhooks_processed (the event was acted on, or was of no concern), webhooks_duplicate
(already done), webhooks_busy (another delivery held it; Stripe retries), webhooks_failed
(processing raised; the lease was released and Stripe retries).
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.cloud import firestore

from lib import firestore as db

DAILY_COLLECTION = "ops_daily"


def count_outcome(field: str, now: datetime | None = None) -> None:
    """Adds one to `field` on today's document: a blind increment, so concurrent deliveries
    never contend on a read."""
    day = (now or datetime.now(UTC)).date().isoformat()
    db.client().collection(DAILY_COLLECTION).document(day).set({"day": day, field: firestore.Increment(1)}, merge=True)
