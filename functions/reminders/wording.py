"""The reminder's text: streak-aware, no I/O."""

from __future__ import annotations

from functions.streaks.public import StreakToday


def reminder_text(streak: StreakToday) -> tuple[str, str]:
    """(title, body) for a user who has not checked in today yet."""
    if streak.current == 0:
        return "Time for your check-in", "A minute for yourself today starts a new streak."
    days = "day" if streak.current == 1 else "days"
    return f"Keep your {streak.current}-day streak going", (
        f"You have checked in {streak.current} {days} in a row. Check in today to make it {streak.current + 1}."
    )
