"""checkout_attempts/{uid}: the idempotency key of the caller's current checkout attempt.

Concurrent checkout requests of one user must create one session. The first request creates
the attempt with `create()`; any request racing it reads the same key, and Stripe answers
every request made with that key with the same session. Once that session is paid or expired
the attempt is retired (conditionally, so two retirers agree on one new key).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.api_core import exceptions as gexc
from google.cloud import firestore

from lib import firestore as db
from lib import tombstones

IAM_PERMISSIONS = db.WRITES


COLLECTION = "checkout_attempts"
# Stripe keeps an idempotency key for 24 hours and a Checkout session expires after 24 hours.
KEEP = timedelta(days=1)


@dataclass(frozen=True)
class Attempt:
    key: str
    update_time: datetime | None  # None: created by this request


def _ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(uid)


def _fresh(uid: str) -> dict[str, object]:
    return {
        "key": f"checkout-{uid}-{secrets.token_hex(8)}",
        "created_at": firestore.SERVER_TIMESTAMP,
        "expire_at": datetime.now(UTC) + KEEP,
    }


def current(uid: str) -> Attempt:
    """The user's current attempt, started by this request if there is none; AccountDeleted
    once the account is deleted."""
    snapshot = _ref(uid).get()
    stored = snapshot.to_dict() or {}
    if stored.get("key"):
        return Attempt(key=str(stored["key"]), update_time=snapshot.update_time)
    fresh = _fresh(uid)
    try:
        tombstones.write(uid, lambda batch: batch.create(_ref(uid), fresh))
    except gexc.AlreadyExists:
        return current(uid)  # a concurrent request started it: share its key
    return Attempt(key=str(fresh["key"]), update_time=None)


def retire(uid: str, attempt: Attempt) -> None:
    """Replaces the attempt's key, unless another request already did (an update conditioned on
    the version read cannot recreate a deleted attempt, so only the set is guarded)."""
    fresh = _fresh(uid)
    try:
        if attempt.update_time is None:
            tombstones.write(uid, lambda batch: batch.set(_ref(uid), fresh))
        else:
            _ref(uid).update(fresh, option=db.client().write_option(last_update_time=attempt.update_time))
    except (gexc.FailedPrecondition, gexc.NotFound):
        return
