"""The user's profile document, users/{uid}, as the app sees it."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lib import day_rule, tombstones
from lib import firestore as db
from lib.timezones import IanaTimezone

IAM_PERMISSIONS = db.WRITES


DEFAULT_TIMEZONE = "UTC"


class ReminderView(BaseModel):
    enabled: bool
    local_time: str
    timezone: str
    next_at: datetime | None = None


class StreakView(BaseModel):
    current: int = 0
    longest: int = 0
    last_day: str | None = None
    freezes: int = 0


class Profile(BaseModel):
    uid: str
    email: str | None = None
    display_name: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    day_start: str = Field(default="00:00", description="The local time the user's day starts (HH:MM, 00:00-06:00).")
    next_timezone_change_at: datetime | None = Field(
        default=None, description="When timezone or day_start may next change (one change per 24 hours)."
    )
    reminder: ReminderView | None = None
    streak: StreakView = Field(default_factory=StreakView)
    plan: str = "free"


# A character str.strip() keeps: not one of the characters str.isspace() calls whitespace.
# Spelled out because `\S` differs between regex engines (Python's counts \x1c-\x1f as space).
NOT_BLANK_PATTERN = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


class ProfilePatch(BaseModel):
    # The schema says what the validators below check: at least one field that is not null,
    # and a display name with a character that is not whitespace.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["display_name"], "properties": {"display_name": {"type": "string"}}},
                {"required": ["timezone"], "properties": {"timezone": {"type": "string"}}},
                {"required": ["day_start"], "properties": {"day_start": {"type": "string"}}},
            ]
        },
    )

    display_name: str | None = Field(
        default=None, min_length=1, max_length=80, json_schema_extra={"pattern": NOT_BLANK_PATTERN}
    )
    timezone: IanaTimezone | None = Field(
        default=None, description="Judges the streak's days; with day_start, changeable once per 24 hours (409)."
    )
    day_start: str | None = Field(
        default=None,
        pattern=day_rule.DAY_START_PATTERN,
        description="When the user's day starts, HH:MM from 00:00 to 06:00 local (default 00:00).",
    )

    @field_validator("display_name")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _something_to_change(self) -> ProfilePatch:
        if self.display_name is None and self.timezone is None and self.day_start is None:
            raise ValueError("send display_name, timezone or day_start")
        return self

    def rule_after(self, rule: day_rule.DayRule) -> day_rule.DayRule:
        """`rule` with this patch's zone and day start applied."""
        return replace(
            rule,
            timezone=self.timezone or rule.timezone,
            day_start=day_rule.parse_day_start(self.day_start) if self.day_start else rule.day_start,
        )


def new_profile_fields(uid: str, email: str | None, display_name: str | None) -> dict[str, Any]:
    return {
        "uid": uid,
        "email": email,
        "display_name": display_name,
        "timezone": DEFAULT_TIMEZONE,
        "created_at": firestore.SERVER_TIMESTAMP,
    }


def user_ref(uid: str) -> firestore.DocumentReference:
    return db.client().collection("users").document(uid)


def ensure_profile(uid: str, email: str | None, display_name: str | None = None) -> dict[str, Any]:
    """The profile document, created on first sight: the Auth emulator (and projects without
    Identity Platform) never call before_create, so the first request must do its work."""
    ref = user_ref(uid)
    snapshot = ref.get()
    if snapshot.exists:
        return snapshot.to_dict() or {}
    # A concurrent first request may have created it already; either way it exists now.
    with contextlib.suppress(AlreadyExists):
        tombstones.write(uid, lambda batch: batch.create(ref, new_profile_fields(uid, email, display_name)))
    return ref.get().to_dict() or {}


def _daily_next_at(data: dict[str, Any]) -> Any:
    """The daily reminder's next push: reminders keeps each kind's in `next_by_kind` (its
    `next_at` is the earliest of any kind); a document from before kinds has only `next_at`."""
    return (data.get("next_by_kind") or {}).get("daily_reminder", data.get("next_at"))


def profile_view(uid: str, data: dict[str, Any], plan: str) -> Profile:
    reminder = data.get("reminder")
    return Profile(
        uid=uid,
        email=data.get("email"),
        display_name=data.get("display_name"),
        timezone=data.get("timezone", DEFAULT_TIMEZONE),
        day_start=day_rule.rule_of(data).day_start_text,
        next_timezone_change_at=day_rule.next_change_at(data),
        reminder=ReminderView(**reminder, next_at=_daily_next_at(data)) if isinstance(reminder, dict) else None,
        streak=StreakView(**(data.get("streak") or {})),
        plan=plan,
    )


def update_profile(uid: str, patch: ProfilePatch) -> None:
    """Applies the patch in one transaction; a change of zone or day start is recorded, and
    refused (409) within 24 hours of the previous one, so it cannot pick a date for a check-in."""
    ref = user_ref(uid)

    def change(transaction: firestore.Transaction) -> None:
        tombstones.refuse_if_deleted(transaction, uid)
        data = ref.get(transaction=transaction).to_dict() or {}
        now = datetime.now(UTC)
        fields: dict[str, Any] = {"display_name": patch.display_name} if patch.display_name is not None else {}
        rule = day_rule.rule_of(data)
        wanted = patch.rule_after(rule)
        if wanted != rule:
            day_rule.check_change(data, now)
            transaction.create(*day_rule.change_record(ref, rule, wanted, now, source="profile"))
            fields |= day_rule.change_fields(wanted, now)
        if fields:
            transaction.update(ref, fields)

    db.run_transaction(change)
