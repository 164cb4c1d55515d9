"""Reading what the functions stored in Firestore, for assertions."""

from __future__ import annotations

from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from lib import firestore as db


def user_ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection("users").document(uid)


def user_doc(uid: str) -> dict[str, Any]:
    return user_ref(uid).get().to_dict() or {}


def checkin_days(uid: str) -> list[str]:
    return sorted(ref.id for ref in user_ref(uid).collection("checkins").list_documents())


def device_ids(uid: str) -> list[str]:
    return sorted(ref.id for ref in user_ref(uid).collection("devices").list_documents())


def _under(ref: firestore.DocumentReference, found: set[str]) -> None:
    if ref.get().exists:
        found.add(ref.path)
    for sub in ref.collections():
        for child in sub.list_documents():
            _under(child, found)


def documents_naming(uid: str) -> set[str]:
    """Every document of the whole database that belongs to `uid` by one of the ways a document
    can: its id is the uid or starts with `{uid}_`, a `uid` field holds it, or it sits under
    such a document."""
    client = db.client()
    found: set[str] = set()
    for collection in client.collections():
        _under(collection.document(uid), found)
        by_field = collection.where(filter=firestore.FieldFilter("uid", "==", uid))
        prefix = collection.where(
            filter=firestore.FieldFilter(FieldPath.document_id(), ">=", collection.document(f"{uid}_"))
        ).where(filter=firestore.FieldFilter(FieldPath.document_id(), "<", collection.document(f"{uid}`")))
        for snapshot in [*by_field.stream(), *prefix.stream()]:
            _under(snapshot.reference, found)
    return found
