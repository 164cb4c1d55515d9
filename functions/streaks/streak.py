"""Streak arithmetic over the user's days. Pure: every "now" is passed in, nothing is read.

The rules (docs/streaks.md):
- a check-in counts for the user's date at the instant it reaches the server, under their
  day rule (profile zone and day start, lib/day_rule.py);
- the streak's day only moves forwards: a check-in on a date on or before the last covered
  one changes nothing (twice a day, or after a westward flight back across the date line);
- a date follows another when it is the next calendar date, when every date in between never
  existed in the zone (Samoa skipped 2011-12-30), or when the check-in comes before the end of
  the day after the last one under the rule that day was judged by (two days after, when the
  rule has since moved east: a flight west to east across the date line skips a date);
- missed dates are covered by held freezes, oldest first; a frozen date keeps the run but
  does not grow it; one freeze is earned per 7 days of run, at most 2 held;
- the run never exceeds 2 + the whole 24-hour spans since its first check-in, so no sequence
  of zones and day starts makes it grow faster than real time;
- the longest streak never decreases.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from functions.streaks.summary import StreakSummary
from lib.day_rule import DayRule
from lib.errors import InvalidArgument

RECENT_DAYS = 30
FREEZE_EVERY = 7
MAX_FREEZES = 2

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DayMark:
    day: date
    done: bool
    frozen: bool = False


@dataclass(frozen=True)
class Step:
    """A summary and the dates freezes covered on the way to it, oldest first."""

    summary: StreakSummary
    frozen: tuple[date, ...] = ()


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
    """Whether `day` comes right after `previous` on the calendar of `zone`."""
    return day > previous and not any(day_exists(d, zone) for d in _dates_between(previous, day))


def growth_cap(started_at: datetime, now: datetime) -> int:
    """The longest run that can have started at `started_at`: the first check-in, one just
    after the next midnight, and one per whole 24 hours since."""
    return max(1, 2 + (now - started_at) // timedelta(hours=24))


def grace_until(summary: StreakSummary, rule: DayRule, now: datetime) -> datetime | None:
    """Until when a check-in under `rule` continues the run whatever its date: the end of the day
    after the last covered one under the rule that day was judged by, a day later when `rule`
    runs ahead of that one (the user flew east)."""
    before = summary.rule
    if before is None or summary.last_day is None:
        return None
    days = 2 if before != rule and rule.clock_offset(now) > before.clock_offset(now) else 1
    return before.day_ends_at(summary.last_day + days * _ONE_DAY)


def missed_days(summary: StreakSummary, today: date, rule: DayRule, now: datetime, limit: int) -> list[date]:
    """Up to `limit` dates, oldest first, that passed uncovered between the last covered date and
    `today` (none during the grace after it)."""
    last = summary.last_day
    if last is None or summary.current == 0 or limit <= 0:
        return []
    grace = grace_until(summary, rule, now)
    if grace is not None and now < grace:
        return []
    missed: list[date] = []
    for day in _dates_between(last, today):
        if day_exists(day, rule.zone):
            missed.append(day)
            if len(missed) == limit:
                break
    return missed


def settle(summary: StreakSummary, today: date, rule: DayRule, now: datetime) -> Step:
    """Covers the dates missed before `today` with held freezes, oldest first, as far as they go."""
    frozen = tuple(missed_days(summary, today, rule, now, summary.freezes))
    if not frozen:
        return Step(summary)
    covered = replace(summary, last_day=frozen[-1], freezes=summary.freezes - len(frozen), rule=rule)
    return Step(covered, frozen)


def next_summary(previous: StreakSummary, day: date, rule: DayRule, now: datetime) -> Step:
    """The summary after a check-in at `now` counted for the user's date `day` under `rule`."""
    if previous.last_day is not None and day <= previous.last_day:
        return Step(previous)
    settled = settle(previous, day, rule, now)
    before = settled.summary
    grace = grace_until(before, rule, now)
    continues = before.last_day is not None and (
        follows(before.last_day, day, rule.zone) or (grace is not None and now < grace)
    )
    started_at = before.started_at if continues else now
    grown = before.current + 1 if continues else 1
    current = grown if started_at is None else min(grown, growth_cap(started_at, now))
    earned = continues and current > before.current and current % FREEZE_EVERY == 0
    summary = StreakSummary(
        current=current,
        longest=max(before.longest, current),
        last_day=day,
        freezes=min(MAX_FREEZES, before.freezes + int(earned)),
        started_at=started_at,
        rule=rule,
    )
    return Step(summary, settled.frozen)


def standing_current(summary: StreakSummary, today: date, rule: DayRule, now: datetime) -> int:
    """The current streak as it stands on `today`: it survives while the dates missed since the
    last covered one are no more than the freezes held."""
    if summary.last_day is None:
        return 0
    missed = missed_days(summary, today, rule, now, summary.freezes + 1)
    return summary.current if len(missed) <= summary.freezes else 0


def check_clock(now: datetime, client_time: datetime | None, max_skew: timedelta) -> None:
    """Refuses a request from a device whose clock is off by more than `max_skew`."""
    if client_time is not None and abs(client_time - now) > max_skew:
        hours = max_skew.total_seconds() / 3600
        raise InvalidArgument(f"client_time: the device clock is off by more than {hours:g} hours from the server's")


def check_in_day(now: datetime, rule: DayRule, requested: date | None, grace: timedelta) -> date:
    """The date a check-in at `now` counts for. A client may name the date it means, but only
    today, or yesterday when its tap came less than `grace` before the day started."""
    today = rule.local_day(now)
    if requested is None or requested == today:
        return today
    if requested > today:
        raise InvalidArgument(f"local_date: {requested} is after today ({today}) in {rule.timezone}")
    if requested == rule.local_day(now - grace):
        return requested
    raise InvalidArgument(f"local_date: backdated check-ins are not accepted; today is {today} in {rule.timezone}")


def recent_days(today: date, done: set[date], frozen: set[date], count: int = RECENT_DAYS) -> list[DayMark]:
    """The `count` dates up to and including today, oldest first, each marked done, frozen or neither."""
    days = [today - i * _ONE_DAY for i in reversed(range(count))]
    return [DayMark(day=day, done=day in done, frozen=day in frozen and day not in done) for day in days]
