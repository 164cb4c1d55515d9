"""Run a keyed piece of work at most once at a time and never again once it is done.

Shaped like Powertools' idempotency utility, on Firestore: one record per key, either in
progress (held by a lease until `lease_until`) or completed. Expired is a third state that
is computed from the lease, never stored: the holder crashed or overran, and the next
caller may take the work over. The common path is one conditional `create()`; only a key
that already has a record is read, inside a transaction, to decide what it means.
Completing or releasing is one write on the condition that the record is still as the
lease wrote it (its update time), which proves nobody has taken the work over since.

Records carry `expire_at` for a Firestore TTL policy, so they outlive the sender's retry
window and then disappear on their own.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore

from lib import firestore as db

IAM_PERMISSIONS = db.WRITES


T = TypeVar("T")


class RecordStatus(enum.Enum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    EXPIRED = "expired"  # computed from lease_until; never written


class IdempotencyError(Exception):
    """Base of the errors this utility raises."""


class IdempotencyAlreadyCompletedError(IdempotencyError):
    """The work for this key is done; nothing is left to do."""


class IdempotencyAlreadyInProgressError(IdempotencyError):
    """Another caller holds a live lease on this key."""

    def __init__(self, key: str, retry_after_s: float) -> None:
        super().__init__(f"{key} is in progress elsewhere")
        self.retry_after_s = retry_after_s


class IdempotencyLeaseLostError(IdempotencyError):
    """The lease expired and another caller took the work over (or the record vanished)."""


class IdempotencyInvalidRecordError(IdempotencyError):
    """A stored record this utility cannot read."""


@dataclass(frozen=True)
class IdempotencyRecord:
    key: str
    status: RecordStatus
    lease_id: str
    lease_until: datetime
    attempts: int

    def state(self, now: datetime) -> RecordStatus:
        if self.status is RecordStatus.IN_PROGRESS and self.lease_until <= now:
            return RecordStatus.EXPIRED
        return self.status

    @classmethod
    def from_document(cls, key: str, data: Mapping[str, Any]) -> IdempotencyRecord:
        try:
            status = RecordStatus(data["status"])
            lease_until = data["lease_until"]
            if status is RecordStatus.EXPIRED or not isinstance(lease_until, datetime):
                raise ValueError(status)
            return cls(key, status, str(data["lease_id"]), lease_until, int(data.get("attempts", 1)))
        except (KeyError, ValueError, TypeError) as exc:
            raise IdempotencyInvalidRecordError(f"record {key} is not readable") from exc


@dataclass(frozen=True)
class Lease:
    key: str
    lease_id: str
    lease_until: datetime
    attempt: int
    version: datetime | None = None  # the record's update time as this lease wrote it


def utc_now() -> datetime:
    return datetime.now(UTC)


class FirestoreIdempotency:
    """Records in `collection/{key}`; a lease lasts `lease`, a record is kept for `keep`."""

    def __init__(
        self, collection: str, *, lease: timedelta, keep: timedelta, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.collection = collection
        self.lease = lease
        self.keep = keep
        self.clock = clock

    def _ref(self, key: str) -> firestore.DocumentReference:
        return db.client().collection(self.collection).document(key)

    def _lease_fields(self, lease: Lease, now: datetime) -> dict[str, Any]:
        return {
            "status": RecordStatus.IN_PROGRESS.value,
            "lease_id": lease.lease_id,
            "lease_until": lease.lease_until,
            "attempts": lease.attempt,
            "started_at": now,
            "expire_at": lease.lease_until + self.keep,
        }

    def record(self, key: str) -> IdempotencyRecord | None:
        snapshot = self._ref(key).get()
        return IdempotencyRecord.from_document(key, snapshot.to_dict() or {}) if snapshot.exists else None

    def acquire(self, key: str) -> Lease:
        """A lease on `key`, or IdempotencyAlreadyCompletedError / IdempotencyAlreadyInProgressError."""
        ref = self._ref(key)
        now = self.clock()
        lease = Lease(key, uuid.uuid4().hex, now + self.lease, 1)
        try:
            written = ref.create(self._lease_fields(lease, now))
            return replace(lease, version=written.update_time)
        except gexc.AlreadyExists:
            pass
        # A plain read settles the common conflicts: completed never changes back, and a live
        # lease seen a moment ago only means "retry later". Only a record that may be taken
        # over (expired, or released since our create()) needs the transaction.
        found = self.record(key)
        if found is not None:
            self._refuse_unless_expired(found, self.clock())

        def take_over(transaction: firestore.Transaction) -> Lease:
            now = self.clock()
            snapshot = ref.get(transaction=transaction)
            if not snapshot.exists:  # released by a failed holder since our create()
                fresh = Lease(key, uuid.uuid4().hex, now + self.lease, 1)
                transaction.create(ref, self._lease_fields(fresh, now))
                return fresh
            record = IdempotencyRecord.from_document(key, snapshot.to_dict() or {})
            self._refuse_unless_expired(record, now)
            taken = Lease(key, uuid.uuid4().hex, now + self.lease, record.attempts + 1)
            transaction.update(ref, self._lease_fields(taken, now))
            return taken

        taken = db.run_transaction(take_over)
        # The transaction does not report the record's new update time; read it back.
        snapshot = ref.get()
        if not snapshot.exists or (snapshot.to_dict() or {}).get("lease_id") != taken.lease_id:
            raise IdempotencyAlreadyInProgressError(key, self.lease.total_seconds())
        return replace(taken, version=snapshot.update_time)

    @staticmethod
    def _refuse_unless_expired(record: IdempotencyRecord, now: datetime) -> None:
        state = record.state(now)
        if state is RecordStatus.COMPLETED:
            raise IdempotencyAlreadyCompletedError(f"{record.key} is already done")
        if state is RecordStatus.IN_PROGRESS:
            raise IdempotencyAlreadyInProgressError(record.key, (record.lease_until - now).total_seconds())

    def complete(
        self, lease: Lease, fields: Mapping[str, Any] | None = None, *, batch: firestore.WriteBatch | None = None
    ) -> None:
        """Marks the work done (storing `fields` with it) if the record is still as this lease
        wrote it: an expired lease nobody took over still completes. Writes already in `batch`
        commit with the completion, atomically: all of them or, when the lease was lost, none."""
        now = self.clock()
        done = {"status": RecordStatus.COMPLETED.value, "processed_at": now, "expire_at": now + self.keep}
        batch = batch or db.client().batch()
        batch.update(self._ref(lease.key), {**done, **(fields or {})}, option=self._unchanged_since(lease))
        try:
            db.commit_batch(batch)
        except (gexc.FailedPrecondition, gexc.NotFound) as exc:
            raise IdempotencyLeaseLostError(f"{lease.key} was taken over by another caller") from exc

    def release(self, lease: Lease) -> None:
        """Gives the key back after a failure, so the next attempt need not wait for the lease."""
        try:
            self._ref(lease.key).delete(option=self._unchanged_since(lease))
        except (gexc.FailedPrecondition, gexc.NotFound):
            return  # taken over already: not ours to give back

    def _unchanged_since(self, lease: Lease) -> Any:
        return db.client().write_option(last_update_time=lease.version)

    def run_once(
        self,
        key: str,
        work: Callable[[Lease], T],
        *,
        completion: Mapping[str, Any] | Callable[[T], Mapping[str, Any]] | None = None,
        completion_writes: Callable[[T, firestore.WriteBatch], None] | None = None,
    ) -> T:
        """`work(lease)` under a lease on `key`, then the key is marked done with `completion`
        fields (or those `completion(result)` answers), in one commit with whatever
        `completion_writes(result, batch)` adds. If `work` raises, the lease is released and the
        error propagates."""
        lease = self.acquire(key)
        try:
            result = work(lease)
        except BaseException:
            self.release(lease)
            raise
        batch = db.client().batch()
        if completion_writes is not None:
            completion_writes(result, batch)
        self.complete(lease, completion(result) if callable(completion) else completion, batch=batch)
        return result
