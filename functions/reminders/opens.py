"""Opens of reminder messages: POST /v1/notifications/{message_id}/opened, once per message.

The message id is on the send record the message was sent under (functions/reminders/kinds.py
derives it from the record's key); the first open by the record's user stamps the record and
counts in the send day's open counters for its kind and copy variant, in one conditional commit.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from google.cloud import firestore
from pydantic import BaseModel

from functions.reminders import counters, send_records
from functions.reminders.kinds import Kind
from lib import errors, queries
from lib import firestore as db

IAM_PERMISSIONS = db.WRITES

MESSAGE_ID_PATTERN = r"^[0-9a-f]{32}$"
_MESSAGE_ID = re.compile(MESSAGE_ID_PATTERN)

SEND_BY_MESSAGE_ID = queries.QueryShape(send_records.COLLECTION, filters=(("message_id", "=="),))


class OpenedReply(BaseModel):
    message_id: str
    kind: Kind
    variant: str
    local_date: date
    opened_at: datetime
    # False when this message's open was already recorded: the call changed nothing.
    first_open: bool


def _not_found(message_id: str) -> errors.NotFound:
    # The same answer for a message of another user as for none, so ids cannot be probed.
    return errors.NotFound(f"no notification {message_id!r} sent to you")


def record_open(uid: str, message_id: str, now: datetime) -> OpenedReply:
    if not _MESSAGE_ID.fullmatch(message_id):
        raise _not_found(message_id)
    sends = queries.stream(SEND_BY_MESSAGE_ID, db.client(), message_id, limit=1)
    found = [s for s in sends if (s.to_dict() or {}).get("uid") == uid]
    if not found:
        raise _not_found(message_id)
    ref = found[0].reference
    return db.rerun_on_conflict(lambda: _mark(ref, message_id, now))


def _mark(ref: firestore.DocumentReference, message_id: str, now: datetime) -> OpenedReply:
    """One attempt: reads the send record and, at its first open, stamps it and counts the open in
    one commit, on the condition that the record is the version read (decision 0001): a repeated
    open that raced this one finds the stamp when it reads again."""
    snapshot = ref.get()
    record: dict[str, Any] = snapshot.to_dict() or {}
    if record.get("status") != send_records.SendStatus.SENT.value:
        raise _not_found(message_id)
    first = record.get("opened_at") is None
    if first:
        batch = db.client().batch()
        batch.update(ref, {"opened_at": now}, option=db.as_read(snapshot))
        # Counted on the day its message was sent.
        counters.opened(str(record["day"]), str(record["kind"]), str(record["variant"]))(batch)
        db.commit_batch(batch)
    return OpenedReply(
        message_id=message_id,
        kind=record["kind"],
        variant=record["variant"],
        local_date=record["local_date"],
        opened_at=now if first else record["opened_at"],
        first_open=first,
    )
