"""Account notices: pushes another concern asks for once (payments: a renewal that failed), held
in account_notices/{id} until the tick hands them to the send queue beside the due reminders.

A notice is keyed by the matter it is about (a failed renewal: the customer and the end of its
grace period), so asking again, as a retried webhook does, asks for nothing more. The sender
checks at send time that the matter is still open: a card updated in the meantime means no push.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from google.api_core import exceptions as gexc
from google.cloud import firestore

from functions.reminders.kinds import Kind
from lib import entitlements, tombstones
from lib import firestore as db

IAM_PERMISSIONS = db.WRITES


COLLECTION = "account_notices"
# Firestore's TTL policy (terraform/firestore.tf) deletes a notice after this: long after it was
# sent, and long enough that a webhook retried for days still finds the key it asked for.
KEEP = timedelta(days=30)


def notice_id(uid: str, kind: Kind, key: str) -> str:
    digest = hashlib.sha256(f"{uid}/{kind.value}/{key}".encode()).hexdigest()[:32]
    return f"{kind.value}-{digest}"


def ref(notice: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(notice)


def notify(uid: str, kind: Kind, key: str, now: datetime) -> bool:
    """Asks for one `kind` push to `uid` about the matter `key`, due now; False when it was asked
    before. Raises AccountDeleted once the account is deleted."""
    if not kind.is_notice:
        raise ValueError(f"{kind} is a scheduled reminder, not a notice")
    fields = {"uid": uid, "kind": kind.value, "key": key, "due_at": now, "created_at": now, "expire_at": now + KEEP}
    try:
        tombstones.write(uid, lambda batch: batch.create(ref(notice_id(uid, kind, key)), fields))
    except gexc.AlreadyExists:
        return False
    return True


def still_open(uid: str, kind: Kind) -> bool:
    """Whether the matter of a `kind` notice to `uid` still stands at the send."""
    if kind is Kind.PAYMENT_FAILED:
        return (entitlements.read(uid) or {}).get("state") == "past_due"
    raise ValueError(f"{kind} is not a notice")
