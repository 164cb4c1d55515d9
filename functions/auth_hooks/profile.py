"""The user's profile document, users/{uid}, as the app sees it."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


class Profile(BaseModel):
    uid: str
    email: str | None = None
    display_name: str | None = None
    timezone: str = DEFAULT_TIMEZONE
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
            ]
        },
    )

    display_name: str | None = Field(
        default=None, min_length=1, max_length=80, json_schema_extra={"pattern": NOT_BLANK_PATTERN}
    )
    timezone: IanaTimezone | None = None

    @field_validator("display_name")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _something_to_change(self) -> ProfilePatch:
        if self.display_name is None and self.timezone is None:
            raise ValueError("send display_name or timezone")
        return self


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
        ref.create(new_profile_fields(uid, email, display_name))
    return ref.get().to_dict() or {}


def profile_view(uid: str, data: dict[str, Any], plan: str) -> Profile:
    reminder = data.get("reminder")
    return Profile(
        uid=uid,
        email=data.get("email"),
        display_name=data.get("display_name"),
        timezone=data.get("timezone", DEFAULT_TIMEZONE),
        reminder=ReminderView(**reminder, next_at=data.get("next_at")) if isinstance(reminder, dict) else None,
        streak=StreakView(**(data.get("streak") or {})),
        plan=plan,
    )


def update_profile(uid: str, patch: ProfilePatch) -> None:
    user_ref(uid).update(patch.model_dump(exclude_none=True))
