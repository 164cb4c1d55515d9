"""Check-ins on Firestore: users/{uid}/checkins/{local_date}, the streak summary on
users/{uid}, and the day rule a device's zone may move (one change per 24 hours).

A check-in reads the user document and writes everything it changes in one conditional
commit (functions/streaks/commits.py). Two devices checking in at once count the day once and
use at most one freeze per missed day: the loser's commit fails its precondition, it reads
again, sees the day done and writes nothing. A user without a profile document gets one
holding only the streak (and the zone, when a device sent one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from google.cloud import firestore

from functions.streaks import commits, recent, streak
from functions.streaks.api import CheckinReply, CheckinRequest, DayView, StreakReply
from functions.streaks.decision import CheckinDecision, decide
from functions.streaks.summary import summary_of
from lib import day_rule, log
from lib import firestore as db

IAM_PERMISSIONS = commits.IAM_PERMISSIONS


_logger = log.get_logger("streaks")


@dataclass(frozen=True)
class _Recorded:
    decision: CheckinDecision
    next_change_at: datetime | None


def _record(ref: firestore.DocumentReference, request: CheckinRequest, now: datetime) -> _Recorded:
    """One attempt: read, decide, and commit what changed."""
    snapshot = ref.get()
    user = snapshot.to_dict() or {}
    decision = decide(user, request.timezone, now)
    if not decision.changes_anything:
        return _Recorded(decision, day_rule.next_change_at(user))
    batch = db.client().batch()
    fields = decision.user_fields(now)
    counted = [decision.day] if decision.counted else []
    fields["streak"] = recent.with_copy(ref, user, decision.day, fields["streak"], counted, decision.step.frozen)
    if decision.rule_changed:
        batch.create(*day_rule.change_record(ref, decision.previous_rule, decision.rule, now, source="checkin"))
    commits.add_days(batch, ref, decision.step.frozen)
    if decision.counted:
        day = decision.day.isoformat()
        batch.set(
            ref.collection("checkins").document(day),
            {
                "local_date": day,
                "timezone": decision.rule.timezone,
                "at": firestore.SERVER_TIMESTAMP,
                "streak": decision.step.summary.current,
            },
        )
    commits.commit_user(batch, snapshot, fields)
    return _Recorded(decision, day_rule.next_change_at(user | fields))


def check_in(uid: str, request: CheckinRequest) -> CheckinReply:
    now = datetime.now(UTC)
    recorded = commits.with_retries(_record, commits.user_ref(uid), request, now)
    decision = recorded.decision
    fields = {
        "outcome": "counted" if decision.counted else "already-done",
        "local_date": decision.day.isoformat(),
        "frozen_days": len(decision.step.frozen),
        "timezone_moved": decision.rule_changed,
    }
    _logger.info("check-in", extra={"fields": fields})
    summary = decision.step.summary
    return CheckinReply(
        local_date=decision.day,
        timezone=decision.rule.timezone,
        day_start=decision.rule.day_start_text,
        current=summary.current,
        longest=summary.longest,
        last_day=summary.last_day,
        today_done=summary.done_on(decision.day),
        freezes=summary.freezes,
        next_timezone_change_at=recorded.next_change_at,
    )


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
    done, frozen = recent.between(ref, user, today - timedelta(days=streak.RECENT_DAYS - 1), today)
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
