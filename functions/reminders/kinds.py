"""The kinds of reminder push, each its own notification category, its own time of day and its
own send record per user-day, and the daily cap they share."""

from __future__ import annotations

import enum
import hashlib

from functions.reminders.notification_preferences import Category


class Kind(enum.StrEnum):
    DAILY_REMINDER = "daily_reminder"
    STREAK_AT_RISK = "streak_at_risk"

    @property
    def category(self) -> Category:
        return Category(self.value)


# Pushes per user per local day, whatever their kinds.
DAILY_CAP = 2
# A streak this long or longer gets the evening nudge when today is not done yet.
AT_RISK_MIN_STREAK = 3
VARIANTS = ("a", "b")


def variant_of(uid: str, kind: Kind) -> str:
    """A user's copy variant of a kind: the same on every send, independent across kinds."""
    digest = hashlib.sha256(f"{kind.value}/{uid}".encode()).digest()
    return VARIANTS[int.from_bytes(digest[:8], "big") % len(VARIANTS)]


def message_id(record_key: str) -> str:
    """The id a user-day-kind's message carries: a retry sends the same id, so an open counts once."""
    return hashlib.sha256(f"message/{record_key}".encode()).hexdigest()[:32]
