"""When a reminder fires: pure time arithmetic with zoneinfo, no I/O.

DST rule. A reminder is a wall-clock time in an IANA zone and fires once per local day:
- on a spring-forward day a time inside the gap (02:30 when clocks jump 02:00 → 03:00)
  fires at the instant zoneinfo gives for fold=0, i.e. read with the offset in force before
  the jump: 02:30 becomes 03:30 local, as long after the gap's start as the wall time says;
- on a fall-back day a time that occurs twice (01:30 when clocks go 02:00 → 01:00) fires
  at its first occurrence (fold=0), never at the second.

Quiet hours. Nothing fires while the local wall clock is inside the user's quiet hours
[start, end) (wrapping midnight when start > end); a firing that would fall inside moves to
their end, which the DST rule above then places. Only quiet hours of 23 h or more can have an
end that a DST gap pushes back inside them; such a firing moves to the next end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def holds(self, wall: time) -> bool:
        """Whether the local wall-clock time `wall` is inside; equal ends mean no quiet hours."""
        if self.start <= self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end


DEFAULT_QUIET_START = "22:00"
DEFAULT_QUIET_END = "07:00"
DEFAULT_QUIET = QuietHours(time(22, 0), time(7, 0))
NO_QUIET = QuietHours(time(0, 0), time(0, 0))


def out_of_quiet(instant: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime:
    """`instant` (UTC), or the first end of quiet hours after it that is not itself quiet."""
    while quiet.holds((wall := instant.astimezone(zone)).time().replace(tzinfo=None)):
        day = wall.date() if wall.time().replace(tzinfo=None) < quiet.end else wall.date() + timedelta(days=1)
        instant = fire_at(day, quiet.end, zone)
    return instant


def fire_at(day: date, local_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant the reminder fires on local `day` (see the DST rule above)."""
    return datetime.combine(day, local_time, tzinfo=zone).astimezone(UTC)


def next_reminder_at(local_time: time, zone: ZoneInfo, after: datetime, quiet: QuietHours = NO_QUIET) -> datetime:
    """The first firing strictly after `after` (an aware datetime), in UTC, each local day's
    firing moved out of `quiet`: yesterday's may have moved into today, and tomorrow's always
    lies after any instant of today."""
    today = after.astimezone(zone).date()
    days = (today - timedelta(days=1), today, today + timedelta(days=1))
    return min(f for day in days if (f := out_of_quiet(fire_at(day, local_time, zone), quiet, zone)) > after)


def local_date_of(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()
