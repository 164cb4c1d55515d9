"""One Stripe customer per uid: stripe_customers/{uid} on our side, metadata.uid on Stripe's."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from lib import firestore as db
from lib import queries, tombstones
from lib.errors import AccountDeleted

IAM_PERMISSIONS = db.WRITES


COLLECTION = "stripe_customers"

BY_CUSTOMER_ID = queries.QueryShape(COLLECTION, filters=(("customer_id", "=="),))


def ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(uid)


def customer_of(uid: str) -> str | None:
    return customer_in(ref(uid).get().to_dict())


def customer_in(mapping: Mapping[str, Any] | None) -> str | None:
    """The customer id a stripe_customers document names, if any."""
    return str(mapping["customer_id"]) if mapping and mapping.get("customer_id") else None


def uid_of(customer_id: str) -> str | None:
    """The uid a customer belongs to, while that user still exists (deletion removes the mapping)."""
    for snapshot in queries.stream(BY_CUSTOMER_ID, db.client(), customer_id, limit=1):
        return snapshot.id
    return None


def last_owner_of(customer_id: str) -> str | None:
    """The uid the customer belongs to or belonged to, remembered per process once found (a query
    per webhook delivery is a round trip). A customer never changes owner: it is created for one
    uid with metadata.uid and only loses its owner when the account is deleted, so whoever writes
    for that uid must check that stripe_customers/{uid} still names the customer
    (entitlement_store.write_if_newer does, in the read it makes anyway)."""
    try:
        return _found_owner(customer_id)
    except LookupError:
        return None


@functools.lru_cache(maxsize=100_000)
def _found_owner(customer_id: str) -> str:
    uid = uid_of(customer_id)
    if uid is None:
        raise LookupError(customer_id)  # not remembered: the mapping may be written a moment later
    return uid


def ensure_customer(uid: str, email: str | None) -> str:
    """The caller's customer id, creating the customer once. The idempotency key makes a
    retried or concurrent first call get the same customer from Stripe. AccountDeleted once the
    account is deleted."""
    # Imported here: the store purchases' writers read the mapping and never call Stripe.
    from lib import stripe_api

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
    mapping = {"customer_id": customer.id, "created_at": firestore.SERVER_TIMESTAMP}
    try:
        tombstones.write(uid, lambda batch: batch.create(ref(uid), mapping))
    except gexc.AlreadyExists:
        return customer_of(uid) or customer.id
    except AccountDeleted:
        # The deletion closed billing before this customer existed; it must not keep the email.
        stripe_api.delete_customer(customer.id)
        raise
    return customer.id
