"""Check-ins on Firestore: users/{uid}/checkins/{local_date} and the streak summary on users/{uid}.

A check-in reads the user document, then writes the check-in and the new summary in one
atomic commit conditioned on the user document being unchanged since that read (optimistic
concurrency, not a locking transaction: on the emulator, 16 devices in locking transactions
on one document hit lock timeouts). Two devices checking in at once count the day once: the
loser's commit fails its precondition, it reads again, sees the day done and writes nothing.
A user without a profile document gets one holding only `streak`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.api_core import exceptions as gexc
from google.cloud import firestore
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from functions.streaks import streak
from functions.streaks.api import CheckinReply, CheckinRequest, DayView, StreakReply
from functions.streaks.summary import StreakSummary, summary_of
from lib import firestore as db
from lib import log, timezones
from lib.config import settings
from lib.errors import Unavailable

IAM_PERMISSIONS = db.WRITES


DEFAULT_TIMEZONE = "UTC"

_logger = log.get_logger("streaks")

# Another device (or another concern) wrote or deleted the user document between our read and our commit.
_CONFLICTS = (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.NotFound, gexc.Aborted)
_attempts = retry(
    retry=retry_if_exception_type(_CONFLICTS),
    wait=wait_random_exponential(multiplier=0.02, max=1.0),
    stop=stop_after_attempt(10),
    reraise=True,
)


@dataclass(frozen=True)
class _Recorded:
    day: date
    zone_name: str
    summary: StreakSummary
    counted: bool


def _user_ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection("users").document(uid)


def _zone_of(requested: str | None, user: Mapping[str, Any]) -> tuple[str, ZoneInfo]:
    """The zone a day is judged in: the one the device sends, else the profile's, else UTC."""
    name = requested or user.get("timezone") or DEFAULT_TIMEZONE
    return name, timezones.zone(name)


def _record(user_ref: firestore.DocumentReference, request: CheckinRequest, now: datetime) -> _Recorded:
    """One attempt: read the user document, and when the day is new write the check-in and
    the summary in one atomic commit that holds only if the user document is still the
    version read (or, without a profile, still absent)."""
    client = db.client()
    snapshot = user_ref.get()
    user = snapshot.to_dict() or {}
    zone_name, zone = _zone_of(request.timezone, user)
    day = streak.check_in_day(now, zone, request.local_date, timedelta(seconds=settings().streaks_midnight_grace_s))
    previous = summary_of(user)
    updated = streak.next_summary(previous, day, zone)
    if updated == previous:
        return _Recorded(day, zone_name, previous, counted=False)
    batch = client.batch()
    batch.set(
        user_ref.collection("checkins").document(day.isoformat()),
        {
            "local_date": day.isoformat(),
            "timezone": zone_name,
            "at": firestore.SERVER_TIMESTAMP,
            "streak": updated.current,
        },
    )
    if snapshot.exists:
        batch.update(
            user_ref, {"streak": updated.as_field()}, option=client.write_option(last_update_time=snapshot.update_time)
        )
    else:
        batch.create(user_ref, {"streak": updated.as_field()})
    batch.commit()
    return _Recorded(day, zone_name, updated, counted=True)


def check_in(uid: str, request: CheckinRequest) -> CheckinReply:
    now = datetime.now(UTC)
    streak.check_clock(now, request.client_time, timedelta(seconds=settings().streaks_max_clock_skew_s))
    try:
        recorded = _attempts(_record)(_user_ref(uid), request, now)
    except _CONFLICTS as exc:
        raise Unavailable("too many check-ins at once; retry shortly", retry_after_s=1) from exc
    _logger.info(
        "check-in",
        extra={
            "fields": {
                "outcome": "counted" if recorded.counted else "already-done",
                "local_date": recorded.day.isoformat(),
            }
        },
    )
    summary = recorded.summary
    return CheckinReply(
        local_date=recorded.day,
        timezone=recorded.zone_name,
        current=summary.current,
        longest=summary.longest,
        last_day=summary.last_day,
        today_done=summary.done_on(recorded.day),
    )


def _days_done(user_ref: firestore.DocumentReference, first: date, last: date) -> set[date]:
    query = (
        user_ref.collection("checkins")
        .where(filter=firestore.FieldFilter("local_date", ">=", first.isoformat()))
        .where(filter=firestore.FieldFilter("local_date", "<=", last.isoformat()))
    )
    return {date.fromisoformat(snapshot.get("local_date")) for snapshot in query.stream()}


def streak_of(uid: str, timezone: str | None) -> StreakReply:
    user_ref = _user_ref(uid)
    user = user_ref.get().to_dict() or {}
    zone_name, zone = _zone_of(timezone, user)
    today = streak.local_date(datetime.now(UTC), zone)
    summary = summary_of(user)
    marks = streak.recent_days(today, _days_done(user_ref, today - timedelta(days=streak.RECENT_DAYS - 1), today))
    return StreakReply(
        timezone=zone_name,
        today=today,
        current=streak.standing_current(summary, today, zone),
        longest=summary.longest,
        last_day=summary.last_day,
        today_done=summary.done_on(today),
        days=[DayView(day=mark.day, done=mark.done) for mark in marks],
    )
