"""What other concerns may use of streaks (reminders imports nothing else from it; a unit
test holds that): the facts about a user's today, read from their users/{uid} document
without I/O, and the freeze step the reminder run takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from functions.streaks import streak
from functions.streaks.freezes import use_freezes
from functions.streaks.summary import summary_of
from lib import day_rule

__all__ = ["StreakToday", "streak_today", "use_freezes"]


@dataclass(frozen=True)
class StreakToday:
    today: date
    today_done: bool
    current: int
    freezes: int
    # A missed date has passed that a held freeze covers: `use_freezes` would write.
    freeze_due: bool


def streak_today(user: Mapping[str, Any], now: datetime) -> StreakToday:
    """The user's today under their day rule (profile zone and day start), whether a check-in
    then would change nothing, and the streak as it stands (held freezes keep it alive)."""
    rule = day_rule.rule_of(user)
    today = rule.local_day(now)
    summary = summary_of(user)
    pending = streak.settle(summary, today, rule, now)
    return StreakToday(
        today=today,
        today_done=summary.done_on(today),
        current=streak.standing_current(summary, today, rule, now),
        freezes=pending.summary.freezes,
        freeze_due=bool(pending.frozen),
    )
