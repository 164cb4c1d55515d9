"""One Stripe customer per uid: stripe_customers/{uid} on our side, metadata.uid on Stripe's."""

from __future__ import annotations

from google.api_core import exceptions as gexc
from google.cloud import firestore

from lib import firestore as db
from lib import stripe_api

COLLECTION = "stripe_customers"


def _ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(uid)


def customer_of(uid: str) -> str | None:
    data = _ref(uid).get().to_dict()
    return str(data["customer_id"]) if data and data.get("customer_id") else None


def uid_of(customer_id: str) -> str | None:
    """The uid a customer belongs to, while that user still exists (deletion removes the mapping)."""
    query = db.client().collection(COLLECTION).where(filter=firestore.FieldFilter("customer_id", "==", customer_id))
    for snapshot in query.limit(1).stream():
        return snapshot.id
    return None


def ensure_customer(uid: str, email: str | None) -> str:
    """The caller's customer id, creating the customer once. The idempotency key makes a
    retried or concurrent first call get the same customer from Stripe."""
    existing = customer_of(uid)
    if existing:
        return existing
    params: dict[str, object] = {"metadata": {"uid": uid}}
    if email:
        params["email"] = email
    customer = stripe_api.client().v1.customers.create(
        params,  # type: ignore[arg-type]
        {"idempotency_key": f"customer-for-{uid}"},
    )
    try:
        _ref(uid).create({"customer_id": customer.id, "created_at": firestore.SERVER_TIMESTAMP})
    except gexc.AlreadyExists:
        return customer_of(uid) or customer.id
    return customer.id
