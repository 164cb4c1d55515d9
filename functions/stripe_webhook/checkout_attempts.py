"""checkout_attempts/{uid}: the caller's current checkout attempt, the idempotency key its
session is created with and a digest of that session's parameters.

Concurrent checkout requests with the same parameters share one key, and Stripe answers every
create with that key with the same session. Stripe refuses a key reused with other parameters,
so the key names the digest, and a request with other parameters, or one that finds the
attempt's session paid or expired, starts a new attempt: `create()` when there is none,
otherwise an update conditional on the old attempt's update time, so racing requests agree on
one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

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
    digest: str  # of the parameters every session of this key is created with
    update_time: datetime


def params_digest(params: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def _ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(uid)


def current(uid: str) -> Attempt | None:
    """The user's current attempt, if any."""
    snapshot = _ref(uid).get()
    stored = snapshot.to_dict() or {}
    if not stored.get("key") or snapshot.update_time is None:
        return None
    return Attempt(key=str(stored["key"]), digest=str(stored.get("digest") or ""), update_time=snapshot.update_time)


def start(uid: str, digest: str, replacing: Attempt | None) -> Attempt | None:
    """A new attempt for parameters of `digest` in place of `replacing` (or of none); None when
    another request changed the attempt first."""
    fresh = {
        "key": f"checkout-{uid}-{digest}-{secrets.token_hex(8)}",
        "digest": digest,
        "created_at": firestore.SERVER_TIMESTAMP,
        "expire_at": datetime.now(UTC) + KEEP,
    }
    try:
        if replacing is None:
            batch = db.client().batch()
            tombstones.guard(batch, uid)
            batch.create(_ref(uid), fresh)
            written = tombstones.commit(batch, uid)[-1]
        else:
            # Conditioned on the version read, an update cannot recreate a deleted account's attempt.
            written = _ref(uid).update(fresh, option=db.client().write_option(last_update_time=replacing.update_time))
    except (gexc.AlreadyExists, gexc.FailedPrecondition, gexc.NotFound):
        return None
    return Attempt(key=str(fresh["key"]), digest=digest, update_time=written.update_time)
