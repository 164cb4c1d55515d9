"""Each kind's text in its copy variants: streak-aware, no I/O."""

from __future__ import annotations

from functions.reminders.kinds import Kind
from functions.streaks.public import StreakToday


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _daily(variant: str, streak: StreakToday) -> tuple[str, str]:
    if streak.current == 0:
        if variant == "b":
            return "A minute for you", "Check in today and start a new streak."
        return "Time for your check-in", "A minute for yourself today starts a new streak."
    if variant == "b":
        return f"Day {streak.current + 1} is waiting", (
            f"{_days(streak.current)} in a row so far. Today's check-in adds one more."
        )
    return f"Keep your {streak.current}-day streak going", (
        f"You have checked in {_days(streak.current)} in a row. Check in today to make it {streak.current + 1}."
    )


def _at_risk(variant: str, streak: StreakToday) -> tuple[str, str]:
    if variant == "b":
        return "Still time today", f"One check-in keeps your {streak.current}-day streak alive."
    return f"Your {streak.current}-day streak ends tonight", (
        f"You haven't checked in today. A minute now keeps all {_days(streak.current)} of it."
    )


def _payment_failed(variant: str) -> tuple[str, str]:
    if variant == "b":
        return "Your card was declined", "Update your payment details in the app to keep Premium."
    return "Your payment didn't go through", "Update your card in the app to keep your Premium sessions."


def text(kind: Kind, variant: str, streak: StreakToday) -> tuple[str, str]:
    """(title, body) of `kind` in `variant`: a reminder is for a user who has not checked in
    today yet, and the at-risk nudge always names the streak."""
    if kind is Kind.PAYMENT_FAILED:
        return _payment_failed(variant)
    if kind is Kind.STREAK_AT_RISK:
        return _at_risk(variant, streak)
    return _daily(variant, streak)
