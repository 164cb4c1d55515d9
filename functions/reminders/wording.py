"""The reminder's text: streak-aware, no I/O."""

from __future__ import annotations

from datetime import date, timedelta

from functions.streaks.summary import StreakSummary


def reminder_text(streak: StreakSummary, local_date: date) -> tuple[str, str]:
    """(title, body) for a user who has not checked in on `local_date` yet."""
    alive = streak.current > 0 and streak.last_day == local_date - timedelta(days=1)
    if not alive:
        return "Time for your check-in", "A minute for yourself today starts a new streak."
    days = "day" if streak.current == 1 else "days"
    return f"Keep your {streak.current}-day streak going", (
        f"You have checked in {streak.current} {days} in a row. Check in today to make it {streak.current + 1}."
    )
