"""What one check-in does to a user document, decided without I/O: the rule it is judged by
(the device's zone moves the profile's at most once per 24 hours), its date, the new summary
and the fields to write. checkins.py commits it; the property tests replay it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from functions.streaks import streak
from functions.streaks.summary import StreakSummary, summary_of
from lib import day_rule
from lib.day_rule import DayRule


@dataclass(frozen=True)
class CheckinDecision:
    day: date
    previous_rule: DayRule
    rule: DayRule
    previous: StreakSummary
    step: streak.Step

    @property
    def counted(self) -> bool:
        return self.previous.last_day is None or self.day > self.previous.last_day

    @property
    def rule_changed(self) -> bool:
        return self.rule != self.previous_rule

    @property
    def changes_anything(self) -> bool:
        return self.rule_changed or self.step.summary != self.previous

    def user_fields(self, now: datetime) -> dict[str, Any]:
        """The fields of users/{uid} this check-in sets."""
        fields: dict[str, Any] = {"streak": self.step.summary.as_field()}
        if self.rule_changed:
            fields |= day_rule.change_fields(self.rule, now)
        return fields


def rule_for(user: Mapping[str, Any], device_timezone: str | None, now: datetime) -> DayRule:
    """The profile's rule, moved to the device's zone when that differs and no change was made
    in the last 24 hours; otherwise the device's zone is ignored."""
    rule = day_rule.rule_of(user)
    if device_timezone and device_timezone != rule.timezone and day_rule.change_allowed(user, now):
        return replace(rule, timezone=device_timezone)
    return rule


def decide(user: Mapping[str, Any], device_timezone: str | None, now: datetime) -> CheckinDecision:
    rule = rule_for(user, device_timezone, now)
    day = rule.local_day(now)
    previous = summary_of(user)
    return CheckinDecision(day, day_rule.rule_of(user), rule, previous, streak.next_summary(previous, day, rule, now))
