"""The per user-day-kind send record, reminder_sends/{uid}_{local_date} for the daily reminder and
reminder_sends/{uid}_{local_date}_{kind} for the others: the idempotency key of reminders.
Claimed before anything is sent, settled after; what is settled is never redone. It also holds
the message's id, copy variant and open, for the open rates.

A record names the batch task that owns it and the attempt that wrote it, so a retry of the
same task takes back what its crashed or handed-back earlier attempt left, while any other
task (an overlapping tick's duplicate) leaves it alone.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from google.cloud import firestore

from functions.reminders.batch import DueUser
from functions.reminders.conditional_writes import Write, apply_each, guarded, set_merged
from functions.reminders.kinds import Kind, message_id, variant_of
from lib import firestore as db
from lib.queries import Snapshot

IAM_PERMISSIONS = db.WRITES


COLLECTION = "reminder_sends"
BATCHES = "reminder_batches"
# Firestore's TTL policies (terraform/firestore.tf) delete each record after its expire_at. A
# send record is the operator's trace of a day's outcome, so it stays a month; a batch marker
# only guards the task's retries, which end within an hour.
RECORD_KEEP = timedelta(days=30)
MARKER_KEEP = timedelta(days=2)


class SendStatus(enum.StrEnum):
    CLAIMED = "claimed"
    RETRY = "retry"
    SENT = "sent"
    SKIPPED_DONE = "skipped_done"
    SKIPPED_OFF = "skipped_off"
    SKIPPED_CAP = "skipped_cap"
    SKIPPED_NOT_AT_RISK = "skipped_not_at_risk"
    SKIPPED_RESOLVED = "skipped_resolved"
    NO_DEVICE = "no_device"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self not in (SendStatus.CLAIMED, SendStatus.RETRY)

    @property
    def pushes(self) -> bool:
        """Whether the record's message went out or still may: what the daily cap counts."""
        return self in (SendStatus.CLAIMED, SendStatus.RETRY, SendStatus.SENT)


class Claim(enum.Enum):
    TAKE = "take"
    ALREADY_COUNTED = "already_counted"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Owner:
    batch: str
    attempt: int
    # The batch's counter day (ops_daily): an open is counted on the day its message was sent.
    day: date


def claim_decision(record: Mapping[str, Any] | None, owner: Owner) -> Claim:
    """Whether `owner` may take the user-day given its current record (None: no record)."""
    if record is None:
        return Claim.TAKE
    ours = record.get("batch") == owner.batch
    earlier = ours and int(record.get("attempt", 0)) < owner.attempt
    if SendStatus(record["status"]).final:
        # Our own earlier attempt counted it; a same-named copy of the task (attempt 0) did not.
        return Claim.ALREADY_COUNTED if earlier else Claim.DUPLICATE
    return Claim.TAKE if earlier else Claim.DUPLICATE


def record_id(user: DueUser) -> str:
    # The daily reminder keeps the id it had before there were kinds, so a task retried across
    # the change still finds its record.
    key = f"{user.uid}_{user.local_date.isoformat()}"
    return key if user.kind is Kind.DAILY_REMINDER else f"{key}_{user.kind.value}"


def day_records(user: DueUser) -> list[str]:
    """The records of every kind on the user's local day: what the daily cap looks at."""
    return [record_id(user.model_copy(update={"kind": kind})) for kind in Kind]


def _ref(key: str) -> firestore.DocumentReference:
    return db.client().collection(COLLECTION).document(key)


def read(keys: Sequence[str]) -> dict[str, Snapshot]:
    """The existing records among `keys`."""
    snapshots = db.client().get_all([_ref(key) for key in keys])
    return {snapshot.id: snapshot for snapshot in snapshots if snapshot.exists}


def _fields(user: DueUser, status: SendStatus, owner: Owner, now: datetime) -> dict[str, Any]:
    key = record_id(user)
    return {
        "uid": user.uid,
        "local_date": user.local_date.isoformat(),
        "kind": user.kind.value,
        # The slot's instant, so the record shows when the push was due (quiet hours included).
        "due_at": user.due_at,
        "variant": variant_of(user.uid, user.kind),
        "message_id": message_id(key),
        "day": owner.day.isoformat(),
        "status": status.value,
        "batch": owner.batch,
        "attempt": owner.attempt,
        "updated_at": now,
        "expire_at": now + RECORD_KEEP,
    }


def _write(key: str, fields: dict[str, Any], existing: Snapshot | None) -> Write:
    def write(batch: firestore.WriteBatch) -> None:
        if existing is None:
            batch.create(_ref(key), fields)
        else:
            batch.update(_ref(key), fields, option=db.as_read(existing))

    return guarded(str(fields["uid"]), write)


def claim(
    wanted: Mapping[str, DueUser],
    existing: Mapping[str, Snapshot],
    owner: Owner,
    now: datetime,
    shared: Sequence[Write] = (),
) -> set[str]:
    """Takes each record in `wanted` as claimed, conditionally: created when absent, updated
    only if unchanged since read, and never for a deleted account; `shared` writes commit with
    them. The keys this owner now holds."""
    keys = list(wanted)
    writes = [_write(key, _fields(wanted[key], SendStatus.CLAIMED, owner, now), existing.get(key)) for key in keys]
    return {key for key, applied in zip(keys, apply_each(writes, shared), strict=True) if applied}


def settled(
    statuses: Mapping[str, SendStatus],
    due: Mapping[str, DueUser],
    owner: Owner,
    now: datetime,
    error_codes: Mapping[str, str],
) -> list[Write]:
    """The writes recording the outcome of records this owner holds; a deleted account's are refused."""
    writes: list[Write] = []
    for key, status in statuses.items():
        fields = _fields(due[key], status, owner, now)
        if status is SendStatus.SENT:
            fields["sent_at"] = now
        if key in error_codes:
            fields["error"] = error_codes[key]
        writes.append(guarded(due[key].uid, set_merged(_ref(key), fields)))
    return writes


def _marker(batch: str) -> firestore.DocumentReference:
    return db.client().collection(BATCHES).document(batch)


def batch_started(batch: str) -> bool:
    """Whether an attempt of this batch (or a same-named copy) already committed its claims."""
    return bool(_marker(batch).get().exists)


def batch_marker(batch: str, now: datetime) -> Write:
    """Created with the batch's first claims, so its `due` is counted once per batch name."""
    return lambda write_batch: write_batch.create(
        _marker(batch), {"batch": batch, "created_at": now, "expire_at": now + MARKER_KEEP}
    )
