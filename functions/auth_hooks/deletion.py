"""Account deletion: every document of the user, in batches, then the auth user.

Safe to retry: each step deletes what is still there, and the auth user goes last so a
failed run can be repeated with the same token.
"""

from __future__ import annotations

from collections.abc import Iterable

from firebase_admin import auth as fb_auth
from google.cloud import firestore
from pydantic import BaseModel

from lib import day_rule, firebase, log, stripe_api
from lib import firestore as db

# delete_user is an accounts:delete call.
IAM_PERMISSIONS = db.WRITES | {"firebaseauth.users.delete"}


USER_SUBCOLLECTIONS = ("devices", "checkins", day_rule.CHANGES)
BATCH = 400

_logger = log.get_logger("deletion")


class DeletionReport(BaseModel):
    uid: str
    documents_deleted: int
    subscriptions_cancelled: int = 0


def _delete_all(refs: Iterable[firestore.DocumentReference]) -> int:
    client = db.client()
    deleted = 0
    batch = client.batch()
    pending = 0
    for ref in refs:
        batch.delete(ref)
        pending += 1
        if pending == BATCH:
            batch.commit()
            deleted += pending
            batch, pending = client.batch(), 0
    if pending:
        batch.commit()
        deleted += pending
    return deleted


def user_documents(uid: str) -> list[firestore.DocumentReference]:
    """Every document that holds this user's data, the profile last."""
    client = db.client()
    user = client.collection("users").document(uid)
    refs: list[firestore.DocumentReference] = []
    for name in USER_SUBCOLLECTIONS:
        refs.extend(user.collection(name).list_documents())
    sends = client.collection("reminder_sends").where(filter=firestore.FieldFilter("uid", "==", uid))
    refs.extend(snapshot.reference for snapshot in sends.stream())
    refs.append(client.collection("entitlements").document(uid))
    refs.append(client.collection("stripe_customers").document(uid))
    refs.append(user)
    return refs


def cancel_billing(uid: str) -> list[str]:
    """Cancels the user's subscriptions first: the customer mapping goes with the documents."""
    mapping = db.client().collection("stripe_customers").document(uid).get().to_dict()
    if not mapping or not mapping.get("customer_id"):
        return []
    return stripe_api.cancel_subscriptions(str(mapping["customer_id"]))


def delete_account(uid: str) -> DeletionReport:
    cancelled = cancel_billing(uid)
    deleted = _delete_all(user_documents(uid))
    try:
        fb_auth.delete_user(uid, app=firebase.app())
    except fb_auth.UserNotFoundError:
        _logger.info("auth user already gone", extra={"fields": {"outcome": "already-deleted"}})
    fields = {"documents_deleted": deleted, "subscriptions_cancelled": len(cancelled), "outcome": "deleted"}
    _logger.info("account deleted", extra={"fields": fields})
    return DeletionReport(uid=uid, documents_deleted=deleted, subscriptions_cancelled=len(cancelled))
