"""entitlements/{uid}: the one output of payments, written only here.

The document is hot (every event of a customer lands on it, duplicates and all), so it is
written with a conditional write rather than a read-modify-write transaction: read it,
refuse if it already holds a newer view of Stripe, else update on the condition that it
has not changed since the read (or create it if absent); on a lost race, read again.
Each write carries `synced_at`, the moment its state was read from Stripe, so an older
view never overwrites a newer one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from firebase_admin import auth as fb_auth
from google.api_core import exceptions as gexc
from google.cloud import firestore
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from functions.stripe_webhook.entitlement import Entitlement
from lib import errors, firebase, log
from lib import firestore as db
from lib.entitlements import plan_from

COLLECTION = "entitlements"

_logger = log.get_logger("entitlements")


class _Raced(Exception):
    """Another writer changed the document between our read and our write."""


def _ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(uid)


def read(uid: str) -> dict[str, Any] | None:
    return _ref(uid).get().to_dict()


@retry(
    retry=retry_if_exception_type(_Raced),
    wait=wait_random_exponential(multiplier=0.01, max=0.5),
    stop=stop_after_attempt(12),
    reraise=True,
)
def _write_if_newer(uid: str, data: dict[str, Any], synced_at: datetime) -> bool:
    ref = _ref(uid)
    snapshot = ref.get()
    try:
        if not snapshot.exists:
            ref.create(data)
            return True
        stored = (snapshot.to_dict() or {}).get("synced_at")
        if isinstance(stored, datetime) and stored >= synced_at:
            return False
        ref.update(data, option=db.client().write_option(last_update_time=snapshot.update_time))
        return True
    except (gexc.AlreadyExists, gexc.FailedPrecondition) as exc:
        raise _Raced from exc


def write_if_newer(uid: str, entitlement: Entitlement, synced_at: datetime) -> bool:
    """Stores the entitlement unless a newer view is already stored; answers whether it did."""
    data = {**entitlement.model_dump(), "synced_at": synced_at, "updated_at": firestore.SERVER_TIMESTAMP}
    try:
        return _write_if_newer(uid, data, synced_at)
    except _Raced as exc:
        raise errors.Unavailable("the entitlement is being updated; retry shortly", retry_after_s=1) from exc


def sync_plan_claim(uid: str) -> None:
    """Sets the `plan` custom claim from the stored entitlement (not from the caller's view,
    which may already be stale), keeping the user's other claims."""
    plan = plan_from(read(uid))
    try:
        user = fb_auth.get_user(uid, app=firebase.app())
        claims = dict(user.custom_claims or {})
        if claims.get("plan") != plan:
            fb_auth.set_custom_user_claims(uid, {**claims, "plan": plan}, app=firebase.app())
    except fb_auth.UserNotFoundError:
        _logger.warning("no auth user for entitlement", extra={"fields": {"outcome": "no-user"}})
