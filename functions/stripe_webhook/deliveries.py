"""A sender's delivery (a Stripe event, an App Store notification) processed once per id.

lib.idempotency keeps the record; this module turns its outcomes into what the sender
understands: a duplicate is acknowledged, a delivery racing another one answers 409 with
`Retry-After` (the sender retries), and each outcome is counted for the day (daily_counts).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

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
# benchmark read to prove each took effect exactly once.
COUNT_RUN = {"applied": firestore.Increment(1)}

OutcomeT = TypeVar("OutcomeT", bound=enum.StrEnum)


@dataclass(frozen=True)
class Deliveries:
    """One sender's deliveries: where their records are, what the sender calls one (in a 409's
    message), and the prefix of their daily counts (daily_counts.OUTCOMES)."""

    records: FirestoreIdempotency
    collection: str
    noun: str
    counts_prefix: str = ""

    def handle(self, key: str, process: Callable[[], OutcomeT], *, duplicate: OutcomeT, orphaned: OutcomeT) -> OutcomeT:
        """`process()` once for `key`, its outcome recorded; `duplicate` for a key already done."""
        try:
            outcome = self._once(key, process, duplicate=duplicate, orphaned=orphaned)
        except errors.Conflict:
            daily_counts.count_outcome(f"{self.counts_prefix}busy")
            raise
        except Exception:
            daily_counts.count_outcome(f"{self.counts_prefix}failed")
            raise
        if outcome is duplicate:
            daily_counts.count_outcome(f"{self.counts_prefix}duplicate")
        return outcome

    def _once(self, key: str, process: Callable[[], OutcomeT], *, duplicate: OutcomeT, orphaned: OutcomeT) -> OutcomeT:
        def completion(outcome: OutcomeT) -> dict[str, Any]:
            return {**COUNT_RUN, "outcome": outcome.value}

        def count_processed(outcome: OutcomeT, batch: firestore.WriteBatch) -> None:
            counted = "orphaned" if outcome is orphaned else "processed"
            daily_counts.count_in(batch, f"{self.counts_prefix}{counted}")

        try:
            return self.records.run_once(
                key, lambda lease: process(), completion=completion, completion_writes=count_processed
            )
        except IdempotencyAlreadyCompletedError:
            return duplicate
        except IdempotencyAlreadyInProgressError as exc:
            headers = {"Retry-After": str(max(1, round(exc.retry_after_s)))}
            raise errors.Conflict(f"this {self.noun} is being processed; retry later", headers=headers) from exc
        except IdempotencyLeaseLostError as exc:
            # The work ran, but another delivery took over; count the run all the same.
            db.client().collection(self.collection).document(key).set(COUNT_RUN, merge=True)
            raise errors.Conflict(f"this {self.noun} was taken over by another delivery") from exc
