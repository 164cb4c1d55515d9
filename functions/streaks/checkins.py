"""Check-ins on Firestore: users/{uid}/checkins/{local_date} and the streak summary on users/{uid}.

A check-in is one transaction that reads the user document and today's check-in, then
creates the check-in and writes the summary together, so two devices checking in at once
count the day once: the loser of the race re-runs, sees the day done and writes nothing.
The summary is written with merge, so no profile document has to exist first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from functions.streaks import streak
from functions.streaks.api import CheckinReply, CheckinRequest, DayView, StreakReply
from functions.streaks.summary import StreakSummary, summary_of
from lib import firestore as db
from lib import log, timezones
from lib.config import settings

DEFAULT_TIMEZONE = "UTC"

_logger = log.get_logger("streaks")


def _user_ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection("users").document(uid)


def _zone_of(requested: str | None, user: Mapping[str, Any]) -> tuple[str, ZoneInfo]:
    """The zone a day is judged in: the one the device sends, else the profile's, else UTC."""
    name = requested or user.get("timezone") or DEFAULT_TIMEZONE
    return name, timezones.zone(name)


def check_in(uid: str, request: CheckinRequest) -> CheckinReply:
    config = settings()
    now = datetime.now(UTC)
    streak.check_clock(now, request.client_time, timedelta(seconds=config.streaks_max_clock_skew_s))
    grace = timedelta(seconds=config.streaks_midnight_grace_s)
    user_ref = _user_ref(uid)

    def record(transaction: firestore.Transaction) -> tuple[date, str, StreakSummary, bool]:
        user = user_ref.get(transaction=transaction).to_dict() or {}
        zone_name, zone = _zone_of(request.timezone, user)
        day = streak.check_in_day(now, zone, request.local_date, grace)
        checkin_ref = user_ref.collection("checkins").document(day.isoformat())
        already = checkin_ref.get(transaction=transaction).exists
        previous = summary_of(user)
        updated = previous if already else streak.next_summary(previous, day, zone)
        if updated == previous:
            return day, zone_name, previous, False
        transaction.create(
            checkin_ref,
            {
                "local_date": day.isoformat(),
                "timezone": zone_name,
                "at": firestore.SERVER_TIMESTAMP,
                "streak": updated.current,
            },
        )
        transaction.set(user_ref, {"streak": updated.as_field()}, merge=True)
        return day, zone_name, updated, True

    day, zone_name, summary, counted = db.run_transaction(record)
    _logger.info(
        "check-in",
        extra={"fields": {"outcome": "counted" if counted else "already-done", "local_date": day.isoformat()}},
    )
    return CheckinReply(
        local_date=day,
        timezone=zone_name,
        current=summary.current,
        longest=summary.longest,
        last_day=summary.last_day,
        today_done=summary.done_on(day),
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
