"""Freezes used when the reminder run sees a missed day has passed: the same settling a
check-in does first, written with the same conditional commit."""

from __future__ import annotations

from datetime import date, datetime

from google.cloud import firestore

from functions.streaks import commits, recent, streak
from functions.streaks.summary import summary_of
from lib import day_rule
from lib import firestore as db

IAM_PERMISSIONS = commits.IAM_PERMISSIONS


def _settle(ref: firestore.DocumentReference, now: datetime) -> tuple[date, ...]:
    snapshot = ref.get()
    user = snapshot.to_dict() or {}
    rule = day_rule.rule_of(user)
    step = streak.settle(summary_of(user), rule.local_day(now), rule, now)
    if not step.frozen:
        return ()
    batch = db.client().batch()
    commits.add_days(batch, ref, step.frozen)
    summary = recent.with_copy(ref, user, rule.local_day(now), step.summary.as_field(), frozen=step.frozen)
    commits.commit_user(batch, snapshot, {"streak": summary})
    return step.frozen


def use_freezes(uid: str, now: datetime) -> tuple[date, ...]:
    """Covers the user's dates missed before today with held freezes; the dates it froze."""
    return commits.with_retries(_settle, commits.user_ref(uid), now)
