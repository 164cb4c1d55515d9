"""The request and response bodies of /v1/checkins and /v1/streak (they feed /openapi.json)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

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


class CheckinRequest(BaseModel):
    """Every field is optional: an empty body checks in for today."""

    model_config = ConfigDict(extra="forbid")

    timezone: IanaTimezone | None = Field(
        default=None, description="The device's IANA zone now; the profile's zone when absent."
    )
    client_time: AwareDatetime | None = Field(
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
