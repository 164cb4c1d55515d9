"""Which kinds of notification a user wants, on users/{uid}.notifications: one switch per
category, all on until the user turns one off, and honoured by every sender."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lib import firestore as db
from lib import tombstones

IAM_PERMISSIONS = db.WRITES


class Category(enum.StrEnum):
    DAILY_REMINDER = "daily_reminder"
    STREAK_AT_RISK = "streak_at_risk"
    ACCOUNT_NOTICES = "account_notices"


class NotificationPreferences(BaseModel):
    """Every category, each true (wanted) or false (opted out)."""

    model_config = ConfigDict(extra="forbid")

    # strict: true or false, never 0, 1 or "yes".
    daily_reminder: bool = Field(strict=True)
    streak_at_risk: bool = Field(strict=True)
    account_notices: bool = Field(strict=True)


def preferences_of(user: Mapping[str, Any]) -> NotificationPreferences:
    """A user document's preferences: a category never set is on."""
    stored = user.get("notifications") or {}
    return NotificationPreferences(**{c.value: stored.get(c.value) is not False for c in Category})


def wants(user: Mapping[str, Any], category: Category) -> bool:
    return bool(getattr(preferences_of(user), category.value))


def read_preferences(uid: str) -> NotificationPreferences:
    snapshot = db.client().collection("users").document(uid).get()
    return preferences_of(snapshot.to_dict() or {})


def save_preferences(uid: str, preferences: NotificationPreferences) -> NotificationPreferences:
    ref = db.client().collection("users").document(uid)
    fields = {"uid": uid, "notifications": preferences.model_dump()}
    tombstones.write(uid, lambda batch: batch.set(ref, fields, merge=True))
    return preferences
