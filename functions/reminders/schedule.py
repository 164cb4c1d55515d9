"""When a reminder fires: pure time arithmetic with zoneinfo, no I/O.

DST rule. A reminder is a wall-clock time in an IANA zone and fires once per local day:
- on a spring-forward day a time inside the gap (02:30 when clocks jump 02:00 → 03:00)
  fires at the instant zoneinfo gives for fold=0, i.e. read with the offset in force before
  the jump: 02:30 becomes 03:30 local, as long after the gap's start as the wall time says;
- on a fall-back day a time that occurs twice (01:30 when clocks go 02:00 → 01:00) fires
  at its first occurrence (fold=0), never at the second.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# What parse_local_time accepts, as the JSON Schema pattern of `local_time` in /openapi.json.
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_HH_MM = re.compile(r"[0-9]{2}:[0-9]{2}")


def parse_local_time(text: str) -> time:
    """`HH:MM` (24 h) → time; ValueError otherwise."""
    # ASCII digits only: str.isdigit() and int() would also take other scripts' digits.
    if not _HH_MM.fullmatch(text):
        raise ValueError("must be HH:MM, e.g. 20:30")
    hours, _, minutes = text.partition(":")
    try:
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise ValueError("must be HH:MM between 00:00 and 23:59") from exc


def fire_at(day: date, local_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant the reminder fires on local `day` (see the DST rule above)."""
    return datetime.combine(day, local_time, tzinfo=zone).astimezone(UTC)


def next_reminder_at(local_time: time, zone: ZoneInfo, after: datetime) -> datetime:
    """The first firing strictly after `after` (an aware datetime), in UTC: today's, or else
    tomorrow's, which always lies after any instant of today."""
    today = after.astimezone(zone).date()
    candidate = fire_at(today, local_time, zone)
    return candidate if candidate > after else fire_at(today + timedelta(days=1), local_time, zone)


def local_date_of(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()
