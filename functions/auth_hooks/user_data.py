"""Where a user's data lives in Firestore: the one list that account deletion and the data
export both walk, so neither can miss a place the other covers.

tests/integration/test_user_data.py fills every feature for a user, then searches the whole
database for the uid: a collection holding it that is not listed here fails that test.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.cloud import firestore

from lib import day_rule, queries, tombstones
from lib import firestore as db
from lib.queries import Snapshot

IAM_PERMISSIONS = db.READS


PROFILE_COLLECTION = "users"  # users/{uid}: profile, streak, reminder settings, device addresses
USER_SUBCOLLECTIONS = ("devices", "checkins", day_rule.CHANGES)  # under users/{uid}
# Collections whose document id is the uid.
DOCUMENT_COLLECTIONS = ("entitlements", "stripe_customers", "checkout_attempts")
# Collections whose documents name the uid in a `uid` field.
UID_FIELD_COLLECTIONS = ("reminder_sends", "device_owners", "account_notices", "store_purchases", "store_accounts")
# Not the user's data, so neither exported nor deleted: the tombstone deletion leaves behind
# (lib/tombstones.py), which holds only when the account went and expires on its own.
NOT_USER_DATA = (tombstones.COLLECTION,)

SUBCOLLECTION_SCANS = {name: queries.QueryShape(name) for name in USER_SUBCOLLECTIONS}
BY_UID = {name: queries.QueryShape(name, filters=(("uid", "=="),)) for name in UID_FIELD_COLLECTIONS}


def profile_ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection(PROFILE_COLLECTION).document(uid)


def user_snapshots(uid: str) -> Iterator[Snapshot]:
    """Every stored document of the user, the profile last (deletion removes it last)."""
    client = db.client()
    profile = profile_ref(uid)
    for scan in SUBCOLLECTION_SCANS.values():
        yield from queries.stream(scan, profile)
    for by_uid in BY_UID.values():
        yield from queries.stream(by_uid, client, uid)
    for snapshot in client.get_all([client.collection(name).document(uid) for name in DOCUMENT_COLLECTIONS]):
        if snapshot.exists:
            yield snapshot
    snapshot = profile.get()
    if snapshot.exists:
        yield snapshot
