"""A user's day rule: the profile time zone and the local time their day starts.

Read by streaks (which day a check-in counts for), by auth_hooks (`PATCH /v1/me`) and, through
streaks' public read function, by reminders. Pure: the caller writes what `change_fields` and
`change_record` return. Rules in docs/streaks.md.

Shape on users/{uid}: `timezone: "Area/City"`, `day_start: "HH:MM"`, `day_rule_changed_at`
(timestamp of the latest change); each change is also a document of
users/{uid}/day_rule_changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from lib.errors import DayRuleChangedRecently
from lib.timezones import check_timezone, zone

DEFAULT_TIMEZONE = "UTC"
LATEST_DAY_START = time(6, 0)
# A zone or day-start change is allowed once per this span: more often, a device could pick
# among the dates that exist on Earth at one instant.
CHANGE_INTERVAL = timedelta(hours=24)
CHANGES = "day_rule_changes"
DAY_START_PATTERN = r"^(0[0-5]:[0-5][0-9]|06:00)$"

_DAY_START = re.compile(DAY_START_PATTERN)


@dataclass(frozen=True)
class DayRule:
    timezone: str = DEFAULT_TIMEZONE
    day_start: time = time(0, 0)

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    @property
    def day_start_text(self) -> str:
        return self.day_start.strftime("%H:%M")

    def _offset(self) -> timedelta:
        return timedelta(hours=self.day_start.hour, minutes=self.day_start.minute)

    def local_day(self, instant: datetime) -> date:
        """The user's date at `instant`: the wall clock in the zone, less the day start (with a
        04:00 start, 01:30 on the 5th belongs to the 4th)."""
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        wall = instant.astimezone(self.zone).replace(tzinfo=None)
        return (wall - self._offset()).date()

    def day_starts_at(self, day: date) -> datetime:
        """The first instant of `day` under this rule, in UTC (a wall time a DST change skipped
        is read with the offset before the change)."""
        wall = datetime.combine(day, time(0, 0)) + self._offset()
        return wall.replace(tzinfo=self.zone).astimezone(UTC)

    def day_ends_at(self, day: date) -> datetime:
        return self.day_starts_at(day + timedelta(days=1))

    def as_field(self) -> dict[str, str]:
        return {"timezone": self.timezone, "day_start": self.day_start_text}


def parse_day_start(text: str) -> time:
    """'HH:MM' from 00:00 to 06:00, else ValueError."""
    if not _DAY_START.fullmatch(text):
        raise ValueError("must be a local time written HH:MM from 00:00 to 06:00")
    return time.fromisoformat(text)


def rule_of(user: Mapping[str, Any]) -> DayRule:
    """The rule held in a users/{uid} document; a missing or unreadable field is its default."""
    try:
        timezone = check_timezone(str(user.get("timezone") or DEFAULT_TIMEZONE))
    except ValueError:
        timezone = DEFAULT_TIMEZONE
    try:
        day_start = parse_day_start(str(user.get("day_start") or "00:00"))
    except ValueError:
        day_start = time(0, 0)
    return DayRule(timezone, day_start)


def next_change_at(user: Mapping[str, Any]) -> datetime | None:
    """When the rule may next change; None when it may now (or has never changed)."""
    changed = user.get("day_rule_changed_at")
    return changed + CHANGE_INTERVAL if isinstance(changed, datetime) else None


def change_allowed(user: Mapping[str, Any], now: datetime) -> bool:
    allowed_at = next_change_at(user)
    return allowed_at is None or now >= allowed_at


def check_change(user: Mapping[str, Any], now: datetime) -> None:
    """Raises DayRuleChangedRecently when the rule changed less than 24 hours before `now`."""
    allowed_at = next_change_at(user)
    if allowed_at is not None and now < allowed_at:
        raise DayRuleChangedRecently(allowed_at, now)


def change_fields(new: DayRule, now: datetime) -> dict[str, Any]:
    """The profile fields a change to `new` at `now` sets."""
    return {**new.as_field(), "day_rule_changed_at": now}


def change_record(
    user_ref: firestore.DocumentReference, previous: DayRule, new: DayRule, now: datetime, source: str
) -> tuple[firestore.DocumentReference, dict[str, Any]]:
    """The users/{uid}/day_rule_changes document recording a change, and its data."""
    ref = user_ref.collection(CHANGES).document(now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ"))
    data = {
        "at": now,
        "source": source,
        **new.as_field(),
        "previous_timezone": previous.timezone,
        "previous_day_start": previous.day_start_text,
    }
    return ref, data
