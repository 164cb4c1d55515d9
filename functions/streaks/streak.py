"""Streak arithmetic over local days. Pure: every "now" is passed in, nothing is read.

The rules (docs/streaks.md):
- a check-in counts for the local date of the instant it reaches the server, in the time
  zone in force for that check-in (the device's zone when it sends one, else the profile's);
- the streak's day only moves forwards: a check-in on a local date on or before the last
  counted one changes nothing (twice a day, or a westward flight back across the date line);
- a local date follows another when it is the next calendar date, or when every date in
  between never existed in the zone (Samoa skipped 2011-12-30, Kiribati 1994-12-31);
- the longest streak never decreases.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from functions.streaks.summary import StreakSummary
from lib.errors import InvalidArgument

RECENT_DAYS = 30

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DayMark:
    day: date
    done: bool


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date shown by a clock in `zone` at `instant` (which must carry its offset)."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(zone).date()


def day_exists(day: date, zone: ZoneInfo) -> bool:
    """Whether a clock in `zone` ever shows `day` (false only for dates skipped when a zone
    jumped across the date line). Every half hour is tried, each with both folds."""
    for minutes in range(0, 24 * 60, 30):
        for fold in (0, 1):
            wall = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone).replace(fold=fold)
            if wall.astimezone(UTC).astimezone(zone).date() == day:
                return True
    return False


def _dates_between(earlier: date, later: date) -> Iterator[date]:
    day = earlier + _ONE_DAY
    while day < later:
        yield day
        day += _ONE_DAY


def follows(previous: date, day: date, zone: ZoneInfo) -> bool:
    """Whether `day` comes right after `previous` for a user in `zone`."""
    return day > previous and not any(day_exists(d, zone) for d in _dates_between(previous, day))


def next_summary(previous: StreakSummary, day: date, zone: ZoneInfo) -> StreakSummary:
    """The summary after a check-in on local date `day` judged in `zone`."""
    if previous.last_day is not None and day <= previous.last_day:
        return previous
    continues = previous.last_day is not None and follows(previous.last_day, day, zone)
    current = previous.current + 1 if continues else 1
    return StreakSummary(current=current, longest=max(previous.longest, current), last_day=day)


def standing_current(summary: StreakSummary, today: date, zone: ZoneInfo) -> int:
    """The current streak as it stands on `today`: it survives until a whole local day
    passes without a check-in."""
    last = summary.last_day
    if last is None or not (last >= today or follows(last, today, zone)):
        return 0
    return summary.current


def check_clock(now: datetime, client_time: datetime | None, max_skew: timedelta) -> None:
    """Refuses a request from a device whose clock is off by more than `max_skew`."""
    if client_time is not None and abs(client_time - now) > max_skew:
        hours = max_skew.total_seconds() / 3600
        raise InvalidArgument(f"client_time: the device clock is off by more than {hours:g} hours from the server's")


def check_in_day(now: datetime, zone: ZoneInfo, requested: date | None, grace: timedelta) -> date:
    """The local date a check-in at `now` counts for. A client may name the date it means,
    but only today, or yesterday when its tap came less than `grace` before midnight."""
    today = local_date(now, zone)
    if requested is None or requested == today:
        return today
    if requested > today:
        raise InvalidArgument(f"local_date: {requested} is after today ({today}) in {zone.key}")
    if requested == local_date(now - grace, zone):
        return requested
    raise InvalidArgument(f"local_date: backdated check-ins are not accepted; today is {today} in {zone.key}")


def recent_days(today: date, done: set[date], count: int = RECENT_DAYS) -> list[DayMark]:
    """The `count` local dates up to and including today, oldest first, each marked done or not."""
    days = [today - i * _ONE_DAY for i in reversed(range(count))]
    return [DayMark(day=day, done=day in done) for day in days]
