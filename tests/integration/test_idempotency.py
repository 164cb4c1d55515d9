"""lib/idempotency on the Firestore emulator: states, leases, takeover, release, expiry fields."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lib import firestore as db
from lib.idempotency import (
    FirestoreIdempotency,
    IdempotencyAlreadyCompletedError,
    IdempotencyAlreadyInProgressError,
    IdempotencyLeaseLostError,
    RecordStatus,
)

LEASE = timedelta(seconds=60)
KEEP = timedelta(days=30)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(stack: object) -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> FirestoreIdempotency:
    return FirestoreIdempotency("idempotency_tests", lease=LEASE, keep=KEEP, clock=clock)


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


def test_second_acquire_during_a_live_lease_is_in_progress(store: FirestoreIdempotency) -> None:
    k = key()
    store.acquire(k)
    with pytest.raises(IdempotencyAlreadyInProgressError) as raised:
        store.acquire(k)
    assert 0 < raised.value.retry_after_s <= LEASE.total_seconds()


def test_acquire_after_complete_is_already_completed(store: FirestoreIdempotency) -> None:
    k = key()
    store.complete(store.acquire(k))
    with pytest.raises(IdempotencyAlreadyCompletedError):
        store.acquire(k)


def test_expired_lease_is_taken_over_and_counts_the_attempt(store: FirestoreIdempotency, clock: Clock) -> None:
    k = key()
    first = store.acquire(k)
    clock.now += LEASE + timedelta(seconds=1)
    record = store.record(k)
    assert record is not None
    assert record.state(clock.now) is RecordStatus.EXPIRED
    second = store.acquire(k)
    assert second.attempt == 2
    with pytest.raises(IdempotencyLeaseLostError):
        store.complete(first)
    store.complete(second)


def test_release_lets_the_next_caller_in_at_once(store: FirestoreIdempotency) -> None:
    k = key()
    store.release(store.acquire(k))
    assert store.acquire(k).attempt == 1


def test_run_once_releases_the_key_when_the_work_fails(store: FirestoreIdempotency) -> None:
    k = key()

    def fail(_: object) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.run_once(k, fail)
    assert store.record(k) is None
    assert store.run_once(k, lambda lease: lease.attempt) == 1


def test_completed_record_expires_after_the_keep_period(store: FirestoreIdempotency) -> None:
    k = key()
    store.run_once(k, lambda lease: None)
    data = db.client().collection("idempotency_tests").document(k).get().to_dict()
    assert data is not None
    assert data["status"] == "completed"
    assert data["expire_at"] - data["processed_at"] == KEEP
    assert timedelta(days=3) < KEEP
