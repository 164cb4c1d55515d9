"""Conditional writes in bulk: one commit when nothing conflicts, one commit per write when
something does, keeping the writes whose condition still held."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from google.api_core import exceptions as gexc
from google.cloud import firestore

from lib import firestore as db

Write = Callable[[firestore.WriteBatch], None]

# What a failed `create()` or `last_update_time` precondition raises.
_CONFLICTS = (gexc.AlreadyExists, gexc.FailedPrecondition, gexc.NotFound)


def _commit(writes: Sequence[Write]) -> bool:
    batch = db.client().batch()
    for write in writes:
        write(batch)
    try:
        batch.commit()
    except _CONFLICTS:
        return False
    return True


def apply_each(writes: Sequence[Write]) -> list[bool]:
    """Which of `writes` were applied, in order."""
    if not writes:
        return []
    if _commit(writes):
        return [True] * len(writes)
    return [_commit([write]) for write in writes]
