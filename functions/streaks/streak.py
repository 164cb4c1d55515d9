"""Streak arithmetic over the user's days. Pure: every "now" is passed in, nothing is read.

The rules (docs/streaks.md):
- a check-in counts for the user's date at the instant it reaches the server, under their
  day rule (profile zone and day start, lib/day_rule.py);
- the streak's day only moves forwards: a check-in on a date on or before the last covered
  one changes nothing (twice a day, or after a westward flight back across the date line);
- a check-in continues the run unless a real day passed without one: its date is the next
  calendar date, or every date in between never existed in the zone (Samoa skipped
  2011-12-30); or the rule changed since the last covered date and the check-in comes before
  the end of the day after it under the rule that date was judged by; or the zone changed and
  the check-in's date began at most a flight (MAX_FLIGHT) after the last covered date ended
  (a flight west to east across the date line skips a date);
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

RECENT_DAYS = 30
FREEZE_EVERY = 7
MAX_FREEZES = 2
# Longer than any scheduled flight (the longest take about 19 hours): a traveller in the air
# between two zones lives no date of either, and a missed date is one lived without a check-in.
MAX_FLIGHT = timedelta(hours=20)

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


def continues(summary: StreakSummary, day: date, rule: DayRule, now: datetime) -> bool:
    """Whether a check-in at `now` for `day` under `rule` continues the run, no real day having
    passed without a check-in: `day` follows the last covered date; or, the rule having changed,
    `now` is still the day after it under the rule that date was judged by; or, the zone having
    changed, `day` began at most MAX_FLIGHT after the last covered date ended (time in the air)."""
    last, before = summary.last_day, summary.rule
    if last is None:
        return False
    if follows(last, day, rule.zone):
        return True
    if before is None or before == rule:
        return False
    if now < before.day_ends_at(last + _ONE_DAY):
        return True
    return before.timezone != rule.timezone and rule.day_starts_at(day) - before.day_ends_at(last) <= MAX_FLIGHT


def missed_days(summary: StreakSummary, today: date, rule: DayRule, now: datetime, limit: int) -> list[date]:
    """Up to `limit` dates, oldest first, that passed uncovered between the last covered date and
    `today` (none when a check-in then would continue the run)."""
    last = summary.last_day
    if last is None or summary.current == 0 or limit <= 0 or continues(summary, today, rule, now):
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
    run_goes_on = continues(before, day, rule, now)
    started_at = before.started_at if run_goes_on else now
    grown = before.current + 1 if run_goes_on else 1
    current = grown if started_at is None else min(grown, growth_cap(started_at, now))
    earned = run_goes_on and current > before.current and current % FREEZE_EVERY == 0
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


def recent_days(today: date, done: set[date], frozen: set[date], count: int = RECENT_DAYS) -> list[DayMark]:
    """The `count` dates up to and including today, oldest first, each marked done, frozen or neither."""
    days = [today - i * _ONE_DAY for i in reversed(range(count))]
    return [DayMark(day=day, done=day in done, frozen=day in frozen and day not in done) for day in days]
