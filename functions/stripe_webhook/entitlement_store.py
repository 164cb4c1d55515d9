"""entitlements/{uid}: the one output of payments, written only here.

The document holds each source's last view beside the entitlement they make together: `stripe`,
Stripe's view with its `synced_at` (the moment it was read from Stripe), and at the top level what
Stripe's view and the user's store purchases (store_purchases/, each with its own `synced_at`)
grant at the time of writing (entitlement.entitlement_over). A write of Stripe's view is refused
when a newer one is stored; every write recomputes the top level from all sources, so a Stripe
event never erases store access, nor a store's view Stripe's.

The document is hot (every event of a customer lands on it, duplicates and all), so it is
written with a conditional write rather than a read-modify-write transaction: read it, then the
user's store purchases, compute, and update on the condition that it has not changed since the
read (or create it if absent); on a lost race, read again. A store purchase written after our
read of the entitlement is either seen by our read of the purchases, or its own recompute reads
the entitlement after ours and conditions its write on it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from firebase_admin import auth as fb_auth
from google.api_core import exceptions as gexc
from google.cloud import firestore
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from functions.stripe_webhook import customers, store_views
from functions.stripe_webhook.entitlement import Entitlement, entitlement_over, no_entitlement
from lib import entitlements, errors, firebase, log, tombstones
from lib import firestore as db
from lib.config import settings
from lib.errors import AccountDeleted

# The `plan` claim: get_user is accounts:lookup, set_custom_user_claims accounts:update.
IAM_PERMISSIONS = db.WRITES | {"firebaseauth.users.get", "firebaseauth.users.update"}


COLLECTION = "entitlements"
STRIPE_VIEW = "stripe"

_logger = log.get_logger("entitlements")


@dataclass(frozen=True)
class Written:
    applied: bool  # False: a newer view of Stripe was already stored, or the customer is not the user's
    claim_stale: bool  # the plan it grants is not the one last set as the user's claim
    owned: bool = True  # False: stripe_customers/{uid} does not name the customer, or the account was deleted


@dataclass(frozen=True)
class _StripeView:
    """A new view of Stripe to store, and when it was read."""

    entitlement: Entitlement
    synced_at: datetime


class _Raced(Exception):
    """Another writer changed the document between our read and our write."""


def _ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(uid)


def _fields(entitlement: Entitlement) -> dict[str, Any]:
    """The entitlement as stored: enums by value, times as timestamps."""
    return {
        key: value.value if isinstance(value, enum.Enum) else value for key, value in entitlement.model_dump().items()
    }


def stripe_view_in(stored: dict[str, Any]) -> tuple[Entitlement, datetime] | None:
    """Stripe's stored view and its `synced_at`. A document written before the stores joined is
    Stripe's view at its top level."""
    if STRIPE_VIEW in stored:
        view = stored[STRIPE_VIEW]
    elif stored.get("customer_id") and isinstance(stored.get("synced_at"), datetime):
        view = stored
    else:
        return None
    if not view:
        return None
    # Fields added since a document was written read as they read before they existed.
    return Entitlement.model_validate({**_fields(no_entitlement(None)), **view}), view["synced_at"]


def _data(stripe: tuple[Entitlement, datetime] | None, uid: str, now: datetime) -> dict[str, Any]:
    """The whole document: the top level computed over all sources, and Stripe's view."""
    purchases = store_views.views_of(uid)
    combined = entitlement_over(stripe[0] if stripe else None, purchases, settings().stripe_plan, now)
    stripe_field = {**_fields(stripe[0]), "synced_at": stripe[1]} if stripe else None
    return {**_fields(combined), STRIPE_VIEW: stripe_field, "updated_at": firestore.SERVER_TIMESTAMP}


@retry(
    retry=retry_if_exception_type(_Raced),
    wait=wait_random_exponential(multiplier=0.01, max=0.5),
    stop=stop_after_attempt(12),
    reraise=True,
)
def _write(uid: str, new_stripe: _StripeView | None) -> Written:
    ref, owner = _ref(uid), customers.ref(uid)
    # One round trip reads the entitlement and checks the user still owns the customer.
    snapshot, owned = db.read_all([ref, owner])
    stored = snapshot.to_dict() or {}
    stripe = stripe_view_in(stored)
    if new_stripe is not None:
        if customers.customer_in(owned.to_dict()) != new_stripe.entitlement.customer_id:
            return Written(applied=False, claim_stale=False, owned=False)
        if stripe is not None and stripe[1] >= new_stripe.synced_at:
            return Written(applied=False, claim_stale=False)
        stripe = (new_stripe.entitlement, new_stripe.synced_at)
    data = _data(stripe, uid, datetime.now(UTC))
    try:
        if not snapshot.exists:
            tombstones.write(uid, lambda batch: batch.create(ref, data))
            return Written(applied=True, claim_stale=True)
        ref.update(data, option=db.as_read(snapshot))
        return Written(applied=True, claim_stale=_claimed(stored) != entitlements.claims(data))
    except AccountDeleted:
        return Written(applied=False, claim_stale=False, owned=False)
    except (gexc.AlreadyExists, gexc.FailedPrecondition) as exc:
        raise _Raced from exc


def _claimed(stored: dict[str, Any]) -> dict[str, Any]:
    """The claims last set from this document, as recorded in it."""
    return {"plan": stored.get("claim_plan"), "billing": stored.get("claim_billing")}


def _written(uid: str, new_stripe: _StripeView | None) -> Written:
    try:
        return _write(uid, new_stripe)
    except _Raced as exc:
        raise errors.Unavailable("the entitlement is being updated; retry shortly", retry_after_s=1) from exc


def write_if_newer(uid: str, entitlement: Entitlement, synced_at: datetime) -> Written:
    """Stores Stripe's view and recomputes the entitlement, unless a newer view of Stripe is
    already stored or the user no longer owns the view's customer."""
    return _written(uid, _StripeView(entitlement, synced_at))


def recompute(uid: str) -> Written:
    """Recomputes the entitlement from the stored views, after a store purchase of `uid` changed.
    Not owned (`owned` False) once the account is deleted."""
    return _written(uid, None)


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
            option=db.as_read(snapshot),
        )
    except gexc.FailedPrecondition:
        return  # written again since our read; that writer sets the claim in turn
