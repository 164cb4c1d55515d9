"""The kinds of push, each with its own send record per user-day and the daily cap they share:
reminders, each its own notification category with its own time of day, and account notices,
sent once when another concern asks (functions/reminders/notices.py)."""

from __future__ import annotations

import enum
import hashlib

from functions.reminders.notification_preferences import Category


class Kind(enum.StrEnum):
    DAILY_REMINDER = "daily_reminder"
    STREAK_AT_RISK = "streak_at_risk"
    PAYMENT_FAILED = "payment_failed"

    @property
    def category(self) -> Category:
        return Category.ACCOUNT_NOTICES if self.is_notice else Category(self.value)

    @property
    def is_notice(self) -> bool:
        """Sent once on request, not on a daily schedule."""
        return self in NOTICES


NOTICES = frozenset({Kind.PAYMENT_FAILED})
# The kinds a reminder setting schedules every day.
SCHEDULED = tuple(kind for kind in Kind if kind not in NOTICES)


# Pushes per user per local day, whatever their kinds.
DAILY_CAP = 2
# The order in which one batch gives out what is left of the cap: an account notice (Premium
# about to lapse) matters more than a reminder, and the day's reminder more than the nudge.
CAP_PRIORITY = (Kind.PAYMENT_FAILED, Kind.DAILY_REMINDER, Kind.STREAK_AT_RISK)
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
