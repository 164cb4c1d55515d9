"""The reminder setting on users/{uid}: `reminder {enabled, local_time, timezone, quiet_start,
quiet_end}` and `next_at`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from google.cloud import firestore
from pydantic import BaseModel, ConfigDict, Field, field_validator

from functions.reminders import schedule
from lib import firestore as db
from lib.timezones import IanaTimezone, zone

IAM_PERMISSIONS = db.WRITES


class ReminderSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(strict=True)  # true or false, never 0, 1 or "yes"
    local_time: str = Field(
        description="The local wall-clock time, HH:MM (24 h).",
        json_schema_extra={"pattern": schedule.LOCAL_TIME_PATTERN},
    )
    timezone: IanaTimezone
    quiet_start: str = Field(
        default=schedule.DEFAULT_QUIET_START,
        description="Start of the quiet hours, HH:MM local; nothing is sent from then until quiet_end.",
        json_schema_extra={"pattern": schedule.LOCAL_TIME_PATTERN},
    )
    quiet_end: str = Field(
        default=schedule.DEFAULT_QUIET_END,
        description="End of the quiet hours, HH:MM local; equal to quiet_start means none.",
        json_schema_extra={"pattern": schedule.LOCAL_TIME_PATTERN},
    )

    @field_validator("local_time", "quiet_start", "quiet_end")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        schedule.parse_local_time(value)
        return value


class ReminderState(ReminderSetting):
    next_at: datetime | None


def quiet_hours_of(reminder: Mapping[str, Any]) -> schedule.QuietHours:
    """A stored reminder's quiet hours, the defaults where it has none; ValueError if malformed."""
    return schedule.QuietHours(
        schedule.parse_local_time(str(reminder.get("quiet_start", schedule.DEFAULT_QUIET_START))),
        schedule.parse_local_time(str(reminder.get("quiet_end", schedule.DEFAULT_QUIET_END))),
    )


def first_firing(setting: ReminderSetting, now: datetime) -> datetime | None:
    if not setting.enabled:
        return None
    local_time = schedule.parse_local_time(setting.local_time)
    return schedule.next_reminder_at(local_time, zone(setting.timezone), now, quiet_hours_of(setting.model_dump()))


def save_reminder(uid: str, setting: ReminderSetting, now: datetime) -> ReminderState:
    """Stores the setting and its next firing; a disabled reminder has no `next_at`, so the
    tick's query never sees it."""
    next_at = first_firing(setting, now)
    fields: dict[str, Any] = {
        "uid": uid,
        "reminder": setting.model_dump(),
        "next_at": next_at if next_at else firestore.DELETE_FIELD,
    }
    db.client().collection("users").document(uid).set(fields, merge=True)
    return ReminderState(**setting.model_dump(), next_at=next_at)
