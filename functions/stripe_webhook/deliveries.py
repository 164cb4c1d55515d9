"""A store's delivery (a Stripe event, an App Store or Google Play notification) processed once per id.

The id is recorded in a FirestoreIdempotency collection: a duplicate is acknowledged, a
delivery racing another one is told to come back later (409 with Retry-After, which both Stripe
and Pub/Sub retry), and every outcome is counted for the day (daily_counts.py).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from google.cloud import firestore

from functions.stripe_webhook import daily_counts
from lib import errors
from lib import firestore as db
from lib.idempotency import (
    FirestoreIdempotency,
    IdempotencyAlreadyCompletedError,
    IdempotencyAlreadyInProgressError,
    IdempotencyLeaseLostError,
)

IAM_PERMISSIONS = db.WRITES

# `applied` counts how many times processing ran for a delivery: the witness tests and the
# benchmark read to prove each one took effect exactly once.
COUNT_RUN = {"applied": firestore.Increment(1)}


class Outcome(enum.StrEnum):
    APPLIED = "applied"  # the entitlement now reflects the store's current state
    STALE = "stale"  # a newer view of the store was already stored
    ORPHANED = "orphaned"  # not one of ours, or the user was deleted: recorded, never retried
    IGNORED = "ignored"  # a kind of delivery this function does not act on
    DUPLICATE = "duplicate"  # already processed


def records(collection: str, lease_s: float, keep_days: int) -> FirestoreIdempotency:
    """A sender's record of each delivery: leased while one is processed, kept `keep_days`."""
    return FirestoreIdempotency(collection, lease=timedelta(seconds=lease_s), keep=timedelta(days=keep_days))


def handle_once(records: FirestoreIdempotency, key: str, process: Callable[[], Outcome]) -> Outcome:
    """`process()` once for `key`; each outcome is counted for the day."""
    try:
        outcome = _run_once(records, key, process)
    except errors.Conflict:
        daily_counts.count_outcome("busy")
        raise
    except Exception:
        daily_counts.count_outcome("failed")
        raise
    if outcome is Outcome.DUPLICATE:
        daily_counts.count_outcome("duplicate")
    return outcome


def _count_processed(outcome: Outcome, batch: firestore.WriteBatch) -> None:
    daily_counts.count_in(batch, "orphaned" if outcome is Outcome.ORPHANED else "processed")


def _completion(outcome: Outcome) -> dict[str, Any]:
    return {**COUNT_RUN, "outcome": outcome.value}


def _run_once(records: FirestoreIdempotency, key: str, process: Callable[[], Outcome]) -> Outcome:
    try:
        return records.run_once(
            key, lambda lease: process(), completion=_completion, completion_writes=_count_processed
        )
    except IdempotencyAlreadyCompletedError:
        return Outcome.DUPLICATE
    except IdempotencyAlreadyInProgressError as exc:
        headers = {"Retry-After": str(max(1, round(exc.retry_after_s)))}
        raise errors.Conflict("this delivery is being processed; retry later", headers=headers) from exc
    except IdempotencyLeaseLostError as exc:
        # The work ran, but another delivery took over; count the run all the same.
        db.client().collection(records.collection).document(key).set(COUNT_RUN, merge=True)
        raise errors.Conflict("this delivery was taken over by another one") from exc
