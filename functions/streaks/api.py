"""The request and response bodies of /v1/checkins and /v1/streak (they feed /openapi.json)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from lib.timezones import IanaTimezone

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: Any) -> Any:
    # pydantic would also read a number as a date; in JSON a local date is only ever "YYYY-MM-DD".
    if type(value) is date:
        return value
    if not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


LocalDate = Annotated[date, BeforeValidator(_iso_date_text)]


def _datetime_text(value: Any) -> Any:
    # pydantic would also read a number as Unix time; the schema says an ISO 8601 string.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date and time written ISO 8601 with an offset")
    return value


ClientTime = Annotated[AwareDatetime, BeforeValidator(_datetime_text)]


class CheckinRequest(BaseModel):
    """Every field is optional: an empty body, or none, checks in for today."""

    model_config = ConfigDict(extra="forbid")

    # Rules relative to the server's clock, which JSON Schema cannot state; /openapi.json puts
    # them in this operation's 400 response.
    refused_when: ClassVar[str] = (
        "client_time is further from the server's clock than STREAKS_MAX_CLOCK_SKEW_S (24 hours by default), "
        "or local_date is neither the caller's local today nor, within STREAKS_MIDNIGHT_GRACE_S after the "
        "user's day started, yesterday"
    )

    timezone: IanaTimezone | None = Field(
        default=None,
        description=(
            "The device's IANA zone now. When it differs from the profile's, it becomes the profile's zone, "
            "unless the zone or day start changed in the last 24 hours: then it is ignored and the check-in "
            "is judged in the profile's zone (the answer's `timezone`)."
        ),
    )
    client_time: ClientTime | None = Field(
        default=None, description="The device clock, with its offset; used only to refuse a clock off by over a day."
    )
    local_date: LocalDate | None = Field(
        default=None,
        description="The local date the app means; it must be today (or yesterday just after it started).",
    )


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
