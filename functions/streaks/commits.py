"""The one way streak data is written: check-in and frozen-day documents under
users/{uid}/checkins/{local_date} and the user document's fields, in one atomic commit that
holds only if the user document is still the version read (or, without a profile, still
absent) and the account is not deleted. A conflicting commit fails as a whole and the caller
reads again (decision 0001)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, ParamSpec, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from lib import firestore as db
from lib import tombstones
from lib.errors import Unavailable
from lib.queries import Snapshot

IAM_PERMISSIONS = db.WRITES

P = ParamSpec("P")
R = TypeVar("R")


# Another device (or another concern) wrote or deleted the user document between our read and our commit.
CONFLICTS = (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.NotFound, gexc.Aborted)
_attempts = retry(
    retry=retry_if_exception_type(CONFLICTS),
    wait=wait_random_exponential(multiplier=0.02, max=1.0),
    stop=stop_after_attempt(10),
    reraise=True,
)


def with_retries(attempt: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`attempt` run again after each conflict; 503 once ten attempts have conflicted."""
    try:
        return _attempts(attempt)(*args, **kwargs)
    except CONFLICTS as exc:
        raise Unavailable("too many streak updates at once; retry shortly", retry_after_s=1) from exc


def user_ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection("users").document(uid)


def add_days(batch: firestore.WriteBatch, ref: firestore.DocumentReference, frozen: Iterable[date]) -> None:
    for day in frozen:
        batch.set(
            ref.collection("checkins").document(day.isoformat()),
            {"local_date": day.isoformat(), "frozen": True, "at": firestore.SERVER_TIMESTAMP},
        )


def commit_user(batch: firestore.WriteBatch, snapshot: Snapshot, fields: dict[str, Any]) -> None:
    """Adds the user document's `fields` to `batch`, conditioned on the version read, and commits;
    AccountDeleted once the account is deleted."""
    if snapshot.exists:
        batch.update(snapshot.reference, fields, option=db.as_read(snapshot))
    else:
        batch.create(snapshot.reference, fields)
    tombstones.guard(batch, snapshot.id)
    tombstones.commit(batch, snapshot.id)
