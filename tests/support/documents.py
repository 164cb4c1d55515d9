"""Reading what the functions stored in Firestore, for assertions."""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from lib import firestore as db


def user_ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection("users").document(uid)


def user_doc(uid: str) -> dict[str, Any]:
    return user_ref(uid).get().to_dict() or {}


def checkin_days(uid: str) -> list[str]:
    return sorted(ref.id for ref in user_ref(uid).collection("checkins").list_documents())


def device_ids(uid: str) -> list[str]:
    return sorted(ref.id for ref in user_ref(uid).collection("devices").list_documents())
