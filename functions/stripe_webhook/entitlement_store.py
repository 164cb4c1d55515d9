"""entitlements/{uid}: the one output of payments, written only here.

The document is hot (every event of a customer lands on it, duplicates and all), so it is
written with a conditional write rather than a read-modify-write transaction: read it,
refuse if it already holds a newer view of Stripe, else update on the condition that it
has not changed since the read (or create it if absent); on a lost race, read again.
Each write carries `synced_at`, the moment its state was read from Stripe, so an older
view never overwrites a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firebase_admin import auth as fb_auth
from google.api_core import exceptions as gexc
from google.cloud import firestore
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from functions.stripe_webhook import customers
from functions.stripe_webhook.entitlement import Entitlement
from lib import entitlements, errors, firebase, log, tombstones
from lib import firestore as db
from lib.errors import AccountDeleted

# The `plan` claim: get_user is accounts:lookup, set_custom_user_claims accounts:update.
IAM_PERMISSIONS = db.WRITES | {"firebaseauth.users.get", "firebaseauth.users.update"}


COLLECTION = "entitlements"

_logger = log.get_logger("entitlements")


@dataclass(frozen=True)
class Written:
    applied: bool  # False: a newer view of Stripe was already stored, or the customer is not the user's
    claim_stale: bool  # the plan it grants is not the one last set as the user's claim
    owned: bool = True  # False: stripe_customers/{uid} does not name the customer, or the account was deleted


class _Raced(Exception):
    """Another writer changed the document between our read and our write."""


def _ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(uid)


@retry(
    retry=retry_if_exception_type(_Raced),
    wait=wait_random_exponential(multiplier=0.01, max=0.5),
    stop=stop_after_attempt(12),
    reraise=True,
)
def _write_if_newer(uid: str, data: dict[str, Any], synced_at: datetime) -> Written:
    ref, owner = _ref(uid), customers.ref(uid)
    # One round trip reads the entitlement and checks the user still owns the customer.
    by_path = {s.reference.path: s for s in db.client().get_all([ref, owner])}
    snapshot = by_path[ref.path]
    if customers.customer_in(by_path[owner.path].to_dict()) != data["customer_id"]:
        return Written(applied=False, claim_stale=False, owned=False)
    try:
        if not snapshot.exists:
            tombstones.write(uid, lambda batch: batch.create(ref, data))
            return Written(applied=True, claim_stale=True)
        stored = snapshot.to_dict() or {}
        if isinstance(stored.get("synced_at"), datetime) and stored["synced_at"] >= synced_at:
            return Written(applied=False, claim_stale=False)
        ref.update(data, option=db.client().write_option(last_update_time=snapshot.update_time))
        return Written(applied=True, claim_stale=_claimed(stored) != entitlements.claims(data))
    except AccountDeleted:
        return Written(applied=False, claim_stale=False, owned=False)
    except (gexc.AlreadyExists, gexc.FailedPrecondition) as exc:
        raise _Raced from exc


def _claimed(stored: dict[str, Any]) -> dict[str, Any]:
    """The claims last set from this document, as recorded in it."""
    return {"plan": stored.get("claim_plan"), "billing": stored.get("claim_billing")}


def write_if_newer(uid: str, entitlement: Entitlement, synced_at: datetime) -> Written:
    """Stores the entitlement unless a newer view is already stored or the user no longer
    owns the entitlement's customer."""
    data = {
        **entitlement.model_dump(),
        "state": entitlement.state.value,
        "synced_at": synced_at,
        "updated_at": firestore.SERVER_TIMESTAMP,
    }
    try:
        return _write_if_newer(uid, data, synced_at)
    except _Raced as exc:
        raise errors.Unavailable("the entitlement is being updated; retry shortly", retry_after_s=1) from exc


def sync_plan_claim(uid: str) -> None:
    """Sets the `plan` and `billing` custom claims from the stored entitlement (not from the
    caller's view, which a concurrent writer may already have replaced), keeping the user's
    other claims, then records them as `claim_plan` and `claim_billing`. A failure leaves those
    behind, so the next event or retry for this user sets the claims again."""
    snapshot = _ref(uid).get()
    wanted = entitlements.claims(snapshot.to_dict())
    try:
        user = fb_auth.get_user(uid, app=firebase.app())
        claims = dict(user.custom_claims or {})
        if {k: claims.get(k) for k in wanted} != wanted:
            fb_auth.set_custom_user_claims(uid, {**claims, **wanted}, app=firebase.app())
    except fb_auth.UserNotFoundError:
        _logger.warning("no auth user for entitlement", extra={"fields": {"outcome": "no-user"}})
        return
    try:
        _ref(uid).update(
            {"claim_plan": wanted["plan"], "claim_billing": wanted["billing"]},
            option=db.client().write_option(last_update_time=snapshot.update_time),
        )
    except gexc.FailedPrecondition:
        return  # written again since our read; that writer sets the claim in turn
