"""The scheduler tick: find who is due, enqueue their batches, advance their next_at.

Reads grow with the users due: one ordered query on next_at <= now, paged with a cursor.
Each page is cut into batches; each batch becomes one task whose name is derived from its
content, enqueued before its users' next_at is advanced, so a tick that dies in between is
redone by the next one and the send records absorb the repeat. A late tick finds everything
due since and sends each user one reminder. Sends are spread over `reminders_spread_s`: each
user-day has a fixed second in that window, and its batch is dispatched at that second.
Account notices due by then (functions/reminders/notice_queue.py) join their user's batch when
the user has a reminder due too, and go out in batches of their own otherwise.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from google.cloud import firestore
from pydantic import AwareDatetime, BaseModel

from functions.reminders import counters, notice_queue, schedule
from functions.reminders.batch import Batch, DueUser
from functions.reminders.conditional_writes import Write, apply_each, commit
from functions.reminders.kinds import SCHEDULED, Kind
from functions.reminders.preferences import next_firing, schedule_fields
from functions.reminders.queues import enqueue_batch, reminder_queues
from functions.reminders.send_records import record_id
from lib import firestore as db
from lib import queries
from lib.config import Settings, settings
from lib.queries import Snapshot
from lib.timezones import check_timezone, zone

IAM_PERMISSIONS = db.WRITES

# Users with a reminder due, earliest first, read only for what advancing them needs.
DUE_USERS = queries.QueryShape(
    "users",
    filters=(("next_at", "<="),),
    order=(("next_at", queries.ASCENDING),),
    select=("reminder", "next_at", "next_by_kind"),
)


class TickRequest(BaseModel):
    now: AwareDatetime | None = None


@dataclass(frozen=True)
class Advance:
    """A user's pushes due in this slot, one per kind, and each kind's next firing (empty:
    nothing is due after all, the reminder is off or broken, so the schedule is removed)."""

    due: tuple[DueUser, ...]
    next_by_kind: Mapping[Kind, datetime]

    @property
    def next_at(self) -> datetime | None:
        return min(self.next_by_kind.values(), default=None)


def scheduled_of(user: Mapping[str, object]) -> dict[Kind, datetime]:
    """Each kind's stored next firing; a document from before kinds has only `next_at`, its daily one."""
    stored = user.get("next_by_kind")
    if not isinstance(stored, dict):
        stored = {Kind.DAILY_REMINDER.value: user.get("next_at")}
    return {kind: at for kind in SCHEDULED if isinstance(at := stored.get(kind.value), datetime)}


def advance_of(uid: str, user: dict[str, object], now: datetime) -> Advance:
    """Each kind whose firing has come is due once, for the local date it fired on, however late
    the tick; it then moves to its first firing after `now`. A kind not scheduled yet is scheduled."""
    reminder = user.get("reminder")
    if not isinstance(reminder, dict) or not reminder.get("enabled"):
        return Advance((), {})
    scheduled = scheduled_of(user)
    try:
        tz = zone(check_timezone(str(reminder.get("timezone"))))
        due = tuple(
            DueUser(uid=uid, local_date=schedule.local_date_of(at, tz), due_at=at, kind=kind)
            for kind, at in scheduled.items()
            if at <= now
        )
        moved = {kind: next_firing(reminder, kind, now) for kind in SCHEDULED if scheduled.get(kind, now) <= now}
    except ValueError:
        return Advance((), {})
    return Advance(due, {**scheduled, **moved})


def batch_name(day: date, users: Sequence[DueUser]) -> str:
    """The same page of users always gives the same task name. It starts with the hash: Cloud
    Tasks slows down and fails more on task ids with sequential prefixes, such as a date."""
    digest = hashlib.sha256("|".join(record_id(u) for u in users).encode()).hexdigest()
    return f"{digest[:40]}-{day.isoformat()}"


def shard_of(name: str, shards: int) -> int:
    return int(name[:8], 16) % shards


@dataclass
class TickReport:
    due: int = 0
    batches: int = 0
    docs_read: int = 0


def run_tick(now: datetime) -> TickReport:
    config = settings()
    queues = reminder_queues(config)
    day = now.date()
    report = TickReport()
    # Notices leave the query only after the tick has enqueued them, so a tick that dies in
    # between hands them over again and the send records absorb it.
    notices, notice_reads = notice_queue.due_notices(now, config.reminders_tick_page_size)
    report.docs_read += notice_reads
    # A due notice rides in its user's batch when the user also has a reminder due, so the daily
    # cap sees both in one claim; what is left here afterwards goes out on its own.
    waiting: dict[str, list[DueUser]] = {}
    for _, place in notices:
        if place.due:
            waiting.setdefault(place.due.uid, []).append(place.due)
    # Each page's next_at writes overlap the next page's read; all are awaited before answering.
    with ThreadPoolExecutor(max_workers=2) as writer:
        pages = _pages(now, config, queues, report, waiting)
        writes = [writer.submit(_advance, advances) for advances in pages]
        for write in writes:
            write.result()
    _enqueue([due for dues in waiting.values() for due in dues], now, now, config, queues, report)
    notice_queue.handed_over(notices, now)
    # The wall-clock day's document records when a tick last finished, in the same commit as the
    # counters (`wellness-ops doctor` reads it).
    finished = counters.set_fields(datetime.now(UTC).date().isoformat(), {"last_tick_at": firestore.SERVER_TIMESTAMP})
    commit(counters.increment(day.isoformat(), Counter(docs_read=report.docs_read)) + finished)
    return report


def spread_offset_s(user: DueUser, window_s: int) -> int:
    """A user-day's second within the spread window: the same on every tick and retry."""
    if window_s <= 0:
        return 0
    digest = hashlib.sha256(f"{user.uid}/{user.local_date}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % window_s


def spread(due: Sequence[DueUser], window_s: int, size: int) -> list[tuple[int, list[DueUser]]]:
    """`due` as batches of at most `size` user-kinds, each with the offset its sends start at:
    users of one second share batches, so each second of the window gets its own tasks, and a
    user-day's kinds are never split between batches, so the daily cap sees them together."""
    by_second: dict[int, dict[tuple[str, date], list[DueUser]]] = {}
    for user in due:
        at_second = by_second.setdefault(spread_offset_s(user, window_s), {})
        at_second.setdefault((user.uid, user.local_date), []).append(user)
    batches: list[tuple[int, list[DueUser]]] = []
    for second, user_days in sorted(by_second.items()):
        batch: list[DueUser] = []
        for kinds in user_days.values():
            if batch and len(batch) + len(kinds) > size:
                batches.append((second, batch))
                batch = []
            batch.extend(kinds)
        if batch:
            batches.append((second, batch))
    return batches


def _pages(
    now: datetime,
    config: Settings,
    queues: list[str],
    report: TickReport,
    waiting: dict[str, list[DueUser]],
) -> Iterator[list[tuple[Snapshot, Advance]]]:
    """Each batch-sized slice of a page of due users, after the page's tasks are enqueued with
    the `waiting` notices of its users (taken out of `waiting`)."""
    size = config.reminders_batch_size
    started = time.monotonic()
    cursor: Snapshot | None = None
    while True:
        page = list(queries.stream(DUE_USERS, db.client(), now, limit=config.reminders_tick_page_size, after=cursor))
        report.docs_read += max(1, len(page))  # an empty answer is billed as one read
        if not page:
            return
        advances = [(s, advance_of(s.id, s.to_dict() or {}, now)) for s in page]
        due = [user for snapshot, a in advances for user in [*a.due, *waiting.pop(snapshot.id, [])]]
        # The window starts when the page is enqueued, so a slow tick does not crowd its first
        # seconds; a tick for a past instant stays in the past and is dispatched at once.
        _enqueue(due, now, now + timedelta(seconds=time.monotonic() - started), config, queues, report)
        for start in range(0, len(advances), size):
            yield advances[start : start + size]
        if len(page) < config.reminders_tick_page_size:
            return
        cursor = page[-1]


def _enqueue(
    due: Sequence[DueUser],
    now: datetime,
    window_start: datetime,
    config: Settings,
    queues: list[str],
    report: TickReport,
) -> None:
    """`due` as spread batches, each one task on its queue shard."""
    for second, users in spread(due, config.reminders_spread_s, config.reminders_batch_size):
        batch = Batch(batch=batch_name(now.date(), users), day=now.date(), users=users)
        queue = queues[shard_of(batch.batch, len(queues))]
        enqueue_batch(queue, batch, config, send_at=window_start + timedelta(seconds=second))
        report.batches += 1
        report.due += len(users)


def _advance(advances: Sequence[tuple[Snapshot, Advance]]) -> None:
    """Moves next_at on, each write conditional on the user document being unchanged since
    the query read it: a concurrent settings change or overlapping tick wins."""

    def write(snapshot: Snapshot, advance: Advance) -> Write:
        fields = schedule_fields(advance.next_by_kind)
        option = db.as_read(snapshot)
        return lambda batch: batch.update(snapshot.reference, fields, option=option)

    apply_each([write(snapshot, advance) for snapshot, advance in advances])
