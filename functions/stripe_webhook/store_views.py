"""store_purchases/{store}:{purchase_id}: each store purchase's last view, and the user it is bound to.

Document shape: {uid: <the bound user> | None, store, purchase_id, view: <the StoreSubscription as
the store last answered>, synced_at: <when that answer was asked for>, superseded: bool}.
Written only by `store_purchases.record`; read here, by user, to recompute the entitlement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import firestore

from functions.stripe_webhook.store_subscription import Store, StoreSubscription
from lib import errors, queries
from lib import firestore as db

IAM_PERMISSIONS = db.READS

COLLECTION = "store_purchases"
# Firestore's limit on a document id, in bytes.
_MAX_ID_BYTES = 1500

BY_UID = queries.QueryShape(COLLECTION, filters=(("uid", "=="),))


def doc_id(store: Store, purchase_id: str) -> str:
    """The purchase's document id; InvalidArgument for an id no store issues (a path, or too long)."""
    key = f"{store.value}:{purchase_id}"
    if not purchase_id or "/" in purchase_id or len(key.encode()) > _MAX_ID_BYTES:
        raise errors.InvalidArgument("purchase_id is not a purchase id of that store")
    return key


def ref(store: Store, purchase_id: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(doc_id(store, purchase_id))


@dataclass(frozen=True)
class StoredPurchase:
    uid: str | None
    view: StoreSubscription | None  # None: only known as superseded by a later purchase
    synced_at: datetime | None
    superseded: bool


def stored_in(mapping: Mapping[str, Any] | None) -> StoredPurchase:
    stored = mapping or {}
    view = stored.get("view")
    return StoredPurchase(
        uid=str(stored["uid"]) if stored.get("uid") else None,
        view=StoreSubscription.model_validate(view) if view else None,
        synced_at=stored.get("synced_at"),
        superseded=bool(stored.get("superseded")),
    )


def document(subscription: StoreSubscription) -> dict[str, Any]:
    """The view as stored: enums by value, times as timestamps."""
    return {
        **subscription.model_dump(),
        "store": subscription.store.value,
        "state": subscription.state.value,
        "replaces": list(subscription.replaces),
    }


def views_of(uid: str) -> list[StoreSubscription]:
    """The user's store purchases that count: bound to `uid`, with a view, not superseded."""
    found = (stored_in(s.to_dict()) for s in queries.stream(BY_UID, db.client(), uid))
    return [p.view for p in found if p.view is not None and not p.superseded]
