"""Check-ins on Firestore: users/{uid}/checkins/{local_date}, the streak summary on
users/{uid}, and the day rule a device's zone may move (one change per 24 hours).

A check-in reads the user document and writes everything it changes in one conditional
commit (functions/streaks/commits.py). Two devices checking in at once count the day once and
use at most one freeze per missed day: the loser's commit fails its precondition, it reads
again, sees the day done and writes nothing. A user without a profile document gets one
holding only the streak (and the zone, when a device sent one).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from google.cloud import firestore

from functions.streaks import commits, streak
from functions.streaks.api import CheckinReply, CheckinRequest, DayView, StreakReply
from functions.streaks.summary import StreakSummary, summary_of
from lib import day_rule, log
from lib import firestore as db
from lib.config import settings
from lib.day_rule import DayRule

IAM_PERMISSIONS = commits.IAM_PERMISSIONS


_logger = log.get_logger("streaks")


@dataclass(frozen=True)
class _Recorded:
    day: date
    rule: DayRule
    summary: StreakSummary
    counted: bool
    next_change_at: datetime | None


def _rule_for(request: CheckinRequest, user: dict[str, Any], now: datetime) -> DayRule:
    """The profile's rule, moved to the device's zone when that differs and no change was made
    in the last 24 hours; otherwise the device's zone is ignored."""
    rule = day_rule.rule_of(user)
    if request.timezone and request.timezone != rule.timezone and day_rule.change_allowed(user, now):
        return replace(rule, timezone=request.timezone)
    return rule


def _record(ref: firestore.DocumentReference, request: CheckinRequest, now: datetime) -> _Recorded:
    """One attempt: read, decide, and commit what changed."""
    snapshot = ref.get()
    user = snapshot.to_dict() or {}
    previous_rule = day_rule.rule_of(user)
    rule = _rule_for(request, user, now)
    day = streak.check_in_day(now, rule, request.local_date, timedelta(seconds=settings().streaks_midnight_grace_s))
    previous = summary_of(user)
    step = streak.next_summary(previous, day, rule, now)
    counted = previous.last_day is None or day > previous.last_day
    if step.summary == previous and rule == previous_rule:
        return _Recorded(day, rule, previous, counted=False, next_change_at=day_rule.next_change_at(user))
    batch = db.client().batch()
    fields: dict[str, Any] = {"streak": step.summary.as_field()}
    if rule != previous_rule:
        fields |= day_rule.change_writes(batch, ref, previous_rule, rule, now, source="checkin")
    commits.add_days(batch, ref, step.frozen)
    if counted:
        batch.set(
            ref.collection("checkins").document(day.isoformat()),
            {
                "local_date": day.isoformat(),
                "timezone": rule.timezone,
                "at": firestore.SERVER_TIMESTAMP,
                "streak": step.summary.current,
            },
        )
    commits.commit_user(batch, snapshot, fields)
    return _Recorded(day, rule, step.summary, counted, day_rule.next_change_at(user | fields))


def check_in(uid: str, request: CheckinRequest) -> CheckinReply:
    now = datetime.now(UTC)
    streak.check_clock(now, request.client_time, timedelta(seconds=settings().streaks_max_clock_skew_s))
    recorded = commits.with_retries(_record, commits.user_ref(uid), request, now)
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
        timezone=recorded.rule.timezone,
        day_start=recorded.rule.day_start_text,
        current=summary.current,
        longest=summary.longest,
        last_day=summary.last_day,
        today_done=summary.done_on(recorded.day),
        freezes=summary.freezes,
        next_timezone_change_at=recorded.next_change_at,
    )


def _marked_days(ref: firestore.DocumentReference, first: date, last: date) -> tuple[set[date], set[date]]:
    """The dates checked in and the dates frozen between `first` and `last`."""
    query = (
        ref.collection("checkins")
        .where(filter=firestore.FieldFilter("local_date", ">=", first.isoformat()))
        .where(filter=firestore.FieldFilter("local_date", "<=", last.isoformat()))
    )
    done: set[date] = set()
    frozen: set[date] = set()
    for snapshot in query.stream():
        (frozen if snapshot.get("frozen") is True else done).add(date.fromisoformat(snapshot.get("local_date")))
    return done, frozen


def streak_of(uid: str) -> StreakReply:
    """The streak view, every part judged by the profile's day rule at one instant."""
    now = datetime.now(UTC)
    ref = commits.user_ref(uid)
    user = ref.get().to_dict() or {}
    rule = day_rule.rule_of(user)
    today = rule.local_day(now)
    summary = summary_of(user)
    # Freezes the next reminder run or check-in will use are shown as already used.
    pending = streak.settle(summary, today, rule, now)
    today_done = summary.done_on(today)
    done, frozen = _marked_days(ref, today - timedelta(days=streak.RECENT_DAYS - 1), today)
    # Today is done exactly when a check-in now would change nothing, whatever date the
    # latest check-in document carries.
    done = (done - {today}) | ({today} if today_done else set())
    marks = streak.recent_days(today, done, frozen | set(pending.frozen))
    return StreakReply(
        timezone=rule.timezone,
        day_start=rule.day_start_text,
        today=today,
        current=streak.standing_current(summary, today, rule, now),
        longest=summary.longest,
        last_day=summary.last_day,
        today_done=today_done,
        freezes=pending.summary.freezes,
        next_timezone_change_at=day_rule.next_change_at(user),
        days=[DayView(day=mark.day, done=mark.done, frozen=mark.frozen) for mark in marks],
    )
