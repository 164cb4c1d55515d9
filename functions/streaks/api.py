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
        "or local_date is neither the caller's local today nor, within STREAKS_MIDNIGHT_GRACE_S after local "
        "midnight, yesterday"
    )

    timezone: IanaTimezone | None = Field(
        default=None, description="The device's IANA zone now; the profile's zone when absent."
    )
    client_time: ClientTime | None = Field(
        default=None, description="The device clock, with its offset; used only to refuse a clock off by over a day."
    )
    local_date: LocalDate | None = Field(
        default=None, description="The local date the app means; it must be today (or yesterday just after midnight)."
    )


class StreakQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: IanaTimezone | None = None


class CheckinReply(BaseModel):
    local_date: date
    timezone: str
    current: int
    longest: int
    last_day: date | None
    today_done: bool


class DayView(BaseModel):
    day: date
    done: bool


class StreakReply(BaseModel):
    timezone: str
    today: date
    current: int
    longest: int
    last_day: date | None
    today_done: bool
    days: list[DayView] = Field(description="The last 30 local days, oldest first, ending today.")
