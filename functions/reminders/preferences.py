"""The reminder setting on users/{uid}: `reminder {enabled, local_time, at_risk_time, timezone,
quiet_start, quiet_end}`, each kind's next firing in `next_by_kind`, and the earliest of them in
`next_at`, the one field the tick's query orders by."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from google.cloud import firestore
from pydantic import BaseModel, ConfigDict, Field, field_validator

from functions.reminders import schedule
from functions.reminders.kinds import SCHEDULED, Kind
from lib import firestore as db
from lib import tombstones
from lib.timezones import IanaTimezone, check_timezone, zone

IAM_PERMISSIONS = db.WRITES


DEFAULT_AT_RISK_TIME = "20:00"


class ReminderSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(strict=True)  # true or false, never 0, 1 or "yes"
    local_time: str = Field(
        description="The local wall-clock time, HH:MM (24 h).",
        json_schema_extra={"pattern": schedule.LOCAL_TIME_PATTERN},
    )
    timezone: IanaTimezone
    at_risk_time: str = Field(
        default=DEFAULT_AT_RISK_TIME,
        description="When a streak of 3 or more days that is not checked in today gets its nudge, HH:MM local.",
        json_schema_extra={"pattern": schedule.LOCAL_TIME_PATTERN},
    )
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

    @field_validator("local_time", "at_risk_time", "quiet_start", "quiet_end")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        schedule.parse_local_time(value)
        return value


class ReminderState(ReminderSetting):
    next_at: datetime | None = Field(description="The daily reminder's next push; null when off.")
    next_by_kind: dict[Kind, datetime] = Field(description="Each kind's next push; empty when off.")


def quiet_hours_of(reminder: Mapping[str, Any]) -> schedule.QuietHours:
    """A stored reminder's quiet hours, the defaults where it has none; ValueError if malformed."""
    return schedule.QuietHours(
        schedule.parse_local_time(str(reminder.get("quiet_start", schedule.DEFAULT_QUIET_START))),
        schedule.parse_local_time(str(reminder.get("quiet_end", schedule.DEFAULT_QUIET_END))),
    )


def local_time_of(reminder: Mapping[str, Any], kind: Kind) -> time:
    """A stored reminder's wall-clock time for `kind`; ValueError if malformed."""
    if kind is Kind.STREAK_AT_RISK:
        return schedule.parse_local_time(str(reminder.get("at_risk_time", DEFAULT_AT_RISK_TIME)))
    return schedule.parse_local_time(str(reminder.get("local_time")))


def next_firing(reminder: Mapping[str, Any], kind: Kind, after: datetime) -> datetime:
    """`kind`'s first firing after `after` under the reminder's zone and quiet hours; ValueError
    if the stored reminder is malformed."""
    tz = zone(check_timezone(str(reminder.get("timezone"))))
    return schedule.next_reminder_at(local_time_of(reminder, kind), tz, after, quiet_hours_of(reminder))


def schedule_fields(next_by_kind: Mapping[Kind, datetime]) -> dict[str, Any]:
    """The user-document fields of a schedule; none (both removed) when nothing is scheduled."""
    if not next_by_kind:
        return {"next_at": firestore.DELETE_FIELD, "next_by_kind": firestore.DELETE_FIELD}
    return {"next_at": min(next_by_kind.values()), "next_by_kind": {k.value: v for k, v in next_by_kind.items()}}


def save_reminder(uid: str, setting: ReminderSetting, now: datetime) -> ReminderState:
    """Stores the setting and each kind's next firing; a disabled reminder has no `next_at`, so
    the tick's query never sees it."""
    stored = setting.model_dump()
    next_by_kind = {kind: next_firing(stored, kind, now) for kind in SCHEDULED} if setting.enabled else {}
    fields: dict[str, Any] = {"uid": uid, "reminder": stored, **schedule_fields(next_by_kind)}
    ref = db.client().collection("users").document(uid)
    tombstones.write(uid, lambda batch: batch.set(ref, fields, merge=True))
    return ReminderState(**stored, next_at=next_by_kind.get(Kind.DAILY_REMINDER), next_by_kind=next_by_kind)
