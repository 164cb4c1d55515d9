"""The request and response bodies of /v1/checkins and /v1/streak (they feed /openapi.json)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lib.timezones import IanaTimezone

_IGNORED = (
    "Ignored: the server judges the day by the profile's day rule and its own clock; accepted so "
    "that older apps that still send it keep checking in."
)


class CheckinRequest(BaseModel):
    """Every field is optional: an empty body, or none, checks in for today."""

    model_config = ConfigDict(extra="forbid")

    timezone: IanaTimezone | None = Field(
        default=None,
        description=(
            "The device's IANA zone now. When it differs from the profile's, it becomes the profile's zone, "
            "unless the zone or day start changed in the last 24 hours: then it is ignored and the check-in "
            "is judged in the profile's zone (the answer's `timezone`)."
        ),
    )
    local_date: Any = Field(default=None, deprecated=True, description=_IGNORED)
    client_time: Any = Field(default=None, deprecated=True, description=_IGNORED)


class StreakQuery(BaseModel):
    """No query parameters: the view is judged by the profile's day rule only."""

    model_config = ConfigDict(extra="forbid")


_TIMEZONE = "The profile's zone, which judged the day."
_DAY_START = "The local time the user's day starts, HH:MM from 00:00 to 06:00."
_FREEZES = "Freezes held (0 to 2): one is earned per 7 days of streak; each covers one missed day."
_NEXT_CHANGE = "When the zone or day start may next change (one change per 24 hours); null when it may now."


class CheckinReply(BaseModel):
    local_date: date = Field(description="The user's date the check-in counts for.")
    timezone: str = Field(description=_TIMEZONE)
    day_start: str = Field(description=_DAY_START)
    current: int
    longest: int
    last_day: date | None = Field(description="The latest date covered, checked in or frozen.")
    today_done: bool
    freezes: int = Field(description=_FREEZES)
    next_timezone_change_at: datetime | None = Field(description=_NEXT_CHANGE)


class DayView(BaseModel):
    day: date
    done: bool
    frozen: bool = Field(description="Missed, and covered by a freeze: the streak survived it without growing.")


class StreakReply(BaseModel):
    timezone: str = Field(description=_TIMEZONE)
    day_start: str = Field(description=_DAY_START)
    today: date
    current: int
    longest: int
    last_day: date | None = Field(description="The latest date covered, checked in or frozen.")
    today_done: bool = Field(description="A check-in now would change nothing; the same as `days[-1].done`.")
    freezes: int = Field(description=_FREEZES)
    next_timezone_change_at: datetime | None = Field(description=_NEXT_CHANGE)
    days: list[DayView] = Field(description="The last 30 local days, oldest first, ending today.")
