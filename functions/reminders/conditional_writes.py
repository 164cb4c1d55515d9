"""Conditional writes in bulk: one commit when nothing conflicts, one commit per write when
something does, keeping the writes whose condition still held."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from google.cloud import firestore

from lib import firestore as db
from lib import tombstones

IAM_PERMISSIONS = db.WRITES


Write = Callable[[firestore.WriteBatch], None]


def set_merged(ref: firestore.DocumentReference, fields: dict[str, Any]) -> Write:
    return lambda batch: batch.set(ref, fields, merge=True)


def deleted(ref: firestore.DocumentReference) -> Write:
    return lambda batch: batch.delete(ref)


def guarded(uid: str, write: Write) -> Write:
    """`write`, whose commit fails once `uid`'s account is deleted (lib/tombstones.py)."""

    def apply(batch: firestore.WriteBatch) -> None:
        tombstones.guard(batch, uid)
        write(batch)

    return apply


def _commit(writes: Sequence[Write]) -> bool:
    batch = db.client().batch()
    for write in writes:
        write(batch)
    try:
        db.commit_batch(batch)
    except db.CONFLICTS:  # a failed `create()`, `last_update_time` or tombstone precondition
        return False
    return True


def apply_each(writes: Sequence[Write], shared: Sequence[Write] = ()) -> list[bool]:
    """Which of `writes` were applied, in order. `shared` writes (counters, markers) go into
    the same commit when nothing conflicts, else into one commit of their own first."""
    if _commit([*shared, *writes]):
        return [True] * len(writes)
    if shared:
        _commit(shared)
    return [_commit([write]) for write in writes]


def commit(writes: Sequence[Write]) -> None:
    """All of `writes` in one atomic commit (unconditional and unguarded writes only)."""
    if not writes:
        return
    batch = db.client().batch()
    for write in writes:
        write(batch)
    db.commit_batch(batch)
