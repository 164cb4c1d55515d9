"""The tick's side of account notices: the notices due now, each either handed over as a due
user-kind or, when it came due inside the user's quiet hours, moved to their end."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import firestore

from functions.reminders import notices, schedule
from functions.reminders.batch import DueUser
from functions.reminders.conditional_writes import Write, apply_each
from functions.reminders.kinds import Kind
from functions.reminders.preferences import quiet_hours_of
from lib import firestore as db
from lib import queries
from lib.queries import Snapshot
from lib.timezones import check_timezone, zone

IAM_PERMISSIONS = db.WRITES


# Notices waiting for the tick, oldest first; a handed-over notice has no due_at.
DUE_NOTICES = queries.QueryShape(
    notices.COLLECTION, filters=(("due_at", "<="),), order=(("due_at", queries.ASCENDING),)
)


@dataclass(frozen=True)
class Placed:
    """Where a due notice goes: to the send queue now (`due`), later (`later`), or nowhere
    (neither: its user is gone or it is malformed)."""

    due: DueUser | None = None
    later: datetime | None = None


def placement(notice: Mapping[str, Any], user: Mapping[str, Any] | None, now: datetime) -> Placed:
    """A due notice under its user's zone and quiet hours (the reminder's, else the defaults)."""
    if user is None:
        return Placed()
    reminder = user.get("reminder")
    reminder = reminder if isinstance(reminder, dict) else {}
    try:
        kind = Kind(str(notice.get("kind")))
        tz = zone(check_timezone(str(reminder.get("timezone") or user.get("timezone") or "UTC")))
        quiet = quiet_hours_of(reminder)
    except ValueError:
        return Placed()
    at = schedule.out_of_quiet(now, quiet, tz)
    if at > now:
        return Placed(later=at)
    uid = str(notice.get("uid"))
    # The notice counts on the local day it came due, not the tick's: a tick that dies after the
    # enqueue leaves it to the next tick, and across the user's midnight a tick's day would key
    # a second send record, and a second push.
    came_due = notice.get("due_at")
    day = schedule.local_date_of(came_due if isinstance(came_due, datetime) and came_due <= now else now, tz)
    return Placed(due=DueUser(uid=uid, local_date=day, due_at=now, kind=kind))


def due_notices(now: datetime, limit: int) -> tuple[list[tuple[Snapshot, Placed]], int]:
    """Up to `limit` notices due by `now`, oldest first, each placed under its user's document,
    and the documents read. Notices are rare; those beyond `limit` are read by the next tick."""
    found = list(queries.stream(DUE_NOTICES, db.client(), now, limit=limit))
    uids = sorted({str((s.to_dict() or {}).get("uid")) for s in found})
    refs = [db.client().collection("users").document(uid) for uid in uids]
    users = {s.id: s.to_dict() or {} for s in db.client().get_all(refs) if s.exists} if refs else {}
    placed = []
    for snapshot in found:
        notice = snapshot.to_dict() or {}
        placed.append((snapshot, placement(notice, users.get(str(notice.get("uid"))), now)))
    # An empty answer is billed as one read.
    return placed, max(1, len(found)) + len(users)


def handed_over(placed: Sequence[tuple[Snapshot, Placed]], now: datetime) -> None:
    """Takes handed-over and dropped notices out of the tick's query and moves the others on,
    each conditional on the notice being unchanged since it was read."""

    def write(snapshot: Snapshot, place: Placed) -> Write:
        fields: dict[str, Any] = (
            {"due_at": place.later}
            if place.later
            else {"due_at": firestore.DELETE_FIELD, "handed_over_at": now, "dropped": place.due is None}
        )
        option = db.as_read(snapshot)
        return lambda batch: batch.update(snapshot.reference, fields, option=option)

    apply_each([write(snapshot, place) for snapshot, place in placed])
