"""deleted_accounts/{uid}: the tombstone account deletion writes before anything else, so that
no writer of per-user data can recreate what the deletion removes.

A writer that commits after the tombstone is refused in that commit: a transaction reads the
tombstone (`refuse_if_deleted`), a batch, which cannot read, carries a precondition that the
tombstone does not exist (`guard`). A writer that committed before it is swept by the deletion
that follows. Writes conditioned on the version of an existing document need no guard: they
cannot recreate a deleted document. The tombstone holds no personal data, only when the
account went, and Firestore's TTL policy (terraform/routes.tf) removes it after `KEEP`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.types.write import WriteResult

from lib import firestore as db
from lib.errors import AccountDeleted

IAM_PERMISSIONS = db.WRITES

COLLECTION = "deleted_accounts"
# Longer than any writer can still arrive: Stripe retries a webhook for 3 days; ID tokens,
# requests and Cloud Tasks retries end within an hour (docs/decisions/0019-*).
KEEP = timedelta(days=7)


def ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(uid)


def record(uid: str, now: datetime) -> None:
    """Writes the tombstone; a retried deletion keeps the first one."""
    try:
        ref(uid).create({"deleted_at": now, "expire_at": now + KEEP})
    except gexc.AlreadyExists:
        return


def refused() -> AccountDeleted:
    return AccountDeleted("this account has been deleted; nothing was written")


def refuse_if_deleted(transaction: firestore.Transaction, uid: str) -> None:
    """Raises AccountDeleted if `uid`'s account is deleted; the read makes a tombstone written
    before the transaction commits abort it."""
    if ref(uid).get(transaction=transaction).exists:
        raise refused()


def guard(batch: firestore.WriteBatch, uid: str) -> None:
    """Makes the whole commit of `batch` fail once `uid`'s account is deleted: a delete of the
    tombstone on the condition that it does not exist, which writes nothing."""
    batch.delete(ref(uid), option=db.client().write_option(exists=False))


def deleted_among(uids: Iterable[str]) -> set[str]:
    """Which of `uids` have a tombstone."""
    refs = [ref(uid) for uid in sorted(set(uids))]
    return {snapshot.id for snapshot in db.client().get_all(refs) if snapshot.exists} if refs else set()


# What a failed precondition raises: Firestore answers `exists=False` with AlreadyExists.
_PRECONDITION_FAILED = (gexc.AlreadyExists, gexc.FailedPrecondition)


def commit(batch: firestore.WriteBatch, uid: str) -> list[WriteResult]:
    """Commits `batch`, guarded by `guard(batch, uid)`, and answers its write results in order;
    AccountDeleted when the guard refused it."""
    try:
        return db.commit_batch(batch)
    except _PRECONDITION_FAILED as exc:
        if deleted_among([uid]):
            raise refused() from exc
        raise


def write(uid: str, writes: Callable[[firestore.WriteBatch], None]) -> None:
    """Commits `writes` of `uid`'s data in one batch, refused (AccountDeleted) once the account is deleted."""
    batch = db.client().batch()
    guard(batch, uid)
    writes(batch)
    commit(batch, uid)
