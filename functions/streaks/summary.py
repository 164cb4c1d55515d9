"""The streak summary on users/{uid}, read by other concerns (reminders) without I/O.

Shape on users/{uid}: `streak: {current: int, longest: int, last_day: "YYYY-MM-DD"}`,
where last_day is the local date of the latest check-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class StreakSummary:
    current: int = 0
    longest: int = 0
    last_day: date | None = None

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
        }


def summary_of(user: Mapping[str, Any]) -> StreakSummary:
    """The summary held in a users/{uid} document (zeros when it has none)."""
    streak = user.get("streak") or {}
    last_day = streak.get("last_day")
    return StreakSummary(
        current=int(streak.get("current", 0)),
        longest=int(streak.get("longest", 0)),
        last_day=date.fromisoformat(last_day) if last_day else None,
    )


def checked_in_on(user: Mapping[str, Any], local_day: date) -> bool:
    return summary_of(user).done_on(local_day)
