"""The reminder setting on users/{uid}: `reminder {enabled, local_time, timezone}` and `next_at`."""

from __future__ import annotations

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

    @field_validator("local_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        schedule.parse_local_time(value)
        return value


class ReminderState(ReminderSetting):
    next_at: datetime | None


def first_firing(setting: ReminderSetting, now: datetime) -> datetime | None:
    if not setting.enabled:
        return None
    return schedule.next_reminder_at(schedule.parse_local_time(setting.local_time), zone(setting.timezone), now)


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
