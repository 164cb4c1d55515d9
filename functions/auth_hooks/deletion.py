"""Account deletion: the tombstone, billing, every document of the user, then the auth user.

The tombstone (lib/tombstones.py) goes first, so a writer still in flight for the user (a
request past its token check, a webhook, a queued reminder batch) is refused from then on,
and the sweep that follows finds whatever committed before it. Safe to retry: each step does
what is still to do, and the auth user goes last so a failed run can be repeated with the
same token.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from firebase_admin import auth as fb_auth
from google.cloud import firestore
from pydantic import BaseModel

from functions.auth_hooks import user_data
from lib import firebase, log, stripe_api, tombstones
from lib import firestore as db

# delete_user is an accounts:delete call.
IAM_PERMISSIONS = db.WRITES | {"firebaseauth.users.delete"}


BATCH = 400

_logger = log.get_logger("deletion")


class DeletionReport(BaseModel):
    uid: str
    documents_deleted: int
    subscriptions_cancelled: int = 0
    checkouts_expired: int = 0
    customer_deleted: bool = False


def _delete_all(refs: Iterable[firestore.DocumentReference]) -> int:
    client = db.client()
    deleted = 0
    batch = client.batch()
    pending = 0
    for ref in refs:
        batch.delete(ref)
        pending += 1
        if pending == BATCH:
            db.commit_batch(batch)
            deleted += pending
            batch, pending = client.batch(), 0
    if pending:
        db.commit_batch(batch)
        deleted += pending
    return deleted


def user_documents(uid: str) -> list[firestore.DocumentReference]:
    """Every document that holds this user's data (user_data.py), the profile last. Device
    and check-in documents are listed even when only their subcollections exist."""
    profile = user_data.profile_ref(uid)
    refs: list[firestore.DocumentReference] = []
    for name in user_data.USER_SUBCOLLECTIONS:
        refs.extend(profile.collection(name).list_documents())
    top_level = (s.reference for s in user_data.user_snapshots(uid) if s.reference.parent.parent is None)
    refs.extend(ref for ref in top_level if ref.path != profile.path)
    refs.append(profile)
    return refs


class BillingClosed(BaseModel):
    subscriptions_cancelled: int = 0
    checkouts_expired: int = 0
    customer_deleted: bool = False


def close_billing(uid: str) -> BillingClosed:
    """Before the documents go (the customer mapping goes with them): cancels the user's
    subscriptions, expires open Checkout sessions so none can be paid after deletion, then
    deletes the Stripe customer and the email it holds."""
    mapping = db.client().collection("stripe_customers").document(uid).get().to_dict()
    if not mapping or not mapping.get("customer_id"):
        return BillingClosed()
    customer_id = str(mapping["customer_id"])
    cancelled = stripe_api.cancel_subscriptions(customer_id)
    expired = stripe_api.expire_open_checkouts(customer_id)
    stripe_api.delete_customer(customer_id)
    return BillingClosed(subscriptions_cancelled=len(cancelled), checkouts_expired=len(expired), customer_deleted=True)


def delete_account(uid: str) -> DeletionReport:
    tombstones.record(uid, datetime.now(UTC))
    billing = close_billing(uid)
    deleted = _delete_all(user_documents(uid))
    try:
        fb_auth.delete_user(uid, app=firebase.app())
    except fb_auth.UserNotFoundError:
        _logger.info("auth user already gone", extra={"fields": {"outcome": "already-deleted"}})
    report = DeletionReport(uid=uid, documents_deleted=deleted, **billing.model_dump())
    _logger.info("account deleted", extra={"fields": {**report.model_dump(exclude={"uid"}), "outcome": "deleted"}})
    return report
