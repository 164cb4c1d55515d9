"""The streak summary on users/{uid}, read without I/O.

Shape on users/{uid}: `streak: {current, longest, last_day: "YYYY-MM-DD", freezes,
started_at, rule: {timezone, day_start}}`: last_day is the latest date covered (checked in
or frozen), started_at the instant of the run's first check-in and rule the day rule
last_day was judged by (both absent in summaries written before they existed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lib.day_rule import DayRule, rule_of


@dataclass(frozen=True)
class StreakSummary:
    current: int = 0
    longest: int = 0
    last_day: date | None = None
    freezes: int = 0
    started_at: datetime | None = None
    rule: DayRule | None = None

    def done_on(self, local_day: date) -> bool:
        """Whether a check-in on `local_day` would change nothing: the latest counted day is
        that day or, after the user moved west across the date line, a later one."""
        return self.last_day is not None and self.last_day >= local_day

    def as_field(self) -> dict[str, Any]:
        """The `streak` field of users/{uid} holding this summary."""
        return {
            "current": self.current,
            "longest": self.longest,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "freezes": self.freezes,
            "started_at": self.started_at,
            "rule": self.rule.as_field() if self.rule else None,
        }


def _instant(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def summary_of(user: Mapping[str, Any]) -> StreakSummary:
    """The summary held in a users/{uid} document (zeros when it has none)."""
    streak = user.get("streak") or {}
    last_day = streak.get("last_day")
    return StreakSummary(
        current=int(streak.get("current", 0)),
        longest=int(streak.get("longest", 0)),
        last_day=date.fromisoformat(last_day) if last_day else None,
        freezes=int(streak.get("freezes", 0)),
        started_at=_instant(streak.get("started_at")),
        rule=rule_of(streak["rule"]) if isinstance(streak.get("rule"), Mapping) else None,
    )
