"""next_at arithmetic: once per local day, at the wall time, with the documented DST rule, and
never inside quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.reminders.schedule import (
    DEFAULT_QUIET,
    QuietHours,
    fire_at,
    local_date_of,
    next_reminder_at,
    parse_local_time,
)
from tests.support.examples import examples

ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago", "UTC"]

zones = st.sampled_from(ZONES).map(ZoneInfo)
local_times = st.times().map(lambda t: time(t.hour, t.minute))
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))
any_quiet_hours = st.builds(QuietHours, local_times, local_times)


def quiet_length(quiet: QuietHours) -> timedelta:
    start, end = (timedelta(hours=t.hour, minutes=t.minute) for t in (quiet.start, quiet.end))
    return (end - start) % timedelta(days=1)


# Quiet hours of 23 h or more can meet a DST gap at their end and skip a day (schedule.py).
quiet_hours = any_quiet_hours.filter(lambda q: quiet_length(q) < timedelta(hours=23))


@given(local_times, zones, instants)
def test_next_firing_is_after_and_within_26_hours(local_time: time, zone: ZoneInfo, after: datetime) -> None:
    fired = next_reminder_at(local_time, zone, after)
    assert after < fired <= after + timedelta(hours=26)


@given(local_times, zones, instants)
def test_firing_shows_the_wall_time_unless_it_fell_in_a_gap(local_time: time, zone: ZoneInfo, after: datetime) -> None:
    fired = next_reminder_at(local_time, zone, after).astimezone(zone)
    naive = datetime.combine(fired.date(), local_time)
    in_gap = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive
    if not in_gap:
        assert fired.time().replace(second=0, microsecond=0) == local_time


@settings(max_examples=examples(60))
@given(local_times, zones, instants)
def test_successive_firings_fall_on_successive_local_days(local_time: time, zone: ZoneInfo, after: datetime) -> None:
    first = next_reminder_at(local_time, zone, after)
    second = next_reminder_at(local_time, zone, first)
    assert local_date_of(second, zone) == local_date_of(first, zone) + timedelta(days=1)


def test_spring_forward_gap_fires_once_an_hour_later() -> None:
    zone = ZoneInfo("America/New_York")  # 2026-03-08: 02:00 EST → 03:00 EDT
    fired = next_reminder_at(time(2, 30), zone, datetime(2026, 3, 8, 5, 0, tzinfo=UTC))
    assert fired == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert fired.astimezone(zone).strftime("%H:%M %Z") == "03:30 EDT"
    assert next_reminder_at(time(2, 30), zone, fired) == datetime(2026, 3, 9, 6, 30, tzinfo=UTC)


def test_fall_back_repeated_time_fires_once_at_its_first_occurrence() -> None:
    zone = ZoneInfo("Europe/Paris")  # 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 happens twice
    first = next_reminder_at(time(2, 30), zone, datetime(2026, 10, 24, 23, 0, tzinfo=UTC))
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    following = next_reminder_at(time(2, 30), zone, first)
    assert following == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)  # not 02:30 CET the same day


def test_fire_at_reads_local_time_in_the_zone() -> None:
    assert fire_at(datetime(2026, 6, 1).date(), time(20, 0), ZoneInfo("Asia/Kolkata")) == datetime(
        2026, 6, 1, 14, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["8:00", "24:00", "12:60", "ab:cd", "1200", "12:00:00", ""])
def test_parse_local_time_refuses_anything_but_hh_mm(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_local_time(text)


def test_parse_local_time_reads_hh_mm() -> None:
    assert parse_local_time("07:05") == time(7, 5)


@settings(max_examples=examples(300))
@given(local_times, zones, instants, any_quiet_hours)
def test_no_firing_falls_in_quiet_hours(local_time: time, zone: ZoneInfo, after: datetime, quiet: QuietHours) -> None:
    fired = next_reminder_at(local_time, zone, after, quiet)
    assert not quiet.holds(fired.astimezone(zone).time().replace(tzinfo=None))


@settings(max_examples=examples(300))
@given(local_times, zones, instants, quiet_hours)
def test_with_quiet_hours_the_next_firing_is_within_26_hours(
    local_time: time, zone: ZoneInfo, after: datetime, quiet: QuietHours
) -> None:
    assert after < next_reminder_at(local_time, zone, after, quiet) <= after + timedelta(hours=26)


@settings(max_examples=examples(300))
@given(local_times, zones, instants, quiet_hours)
def test_with_quiet_hours_successive_firings_fall_on_successive_local_days(
    local_time: time, zone: ZoneInfo, after: datetime, quiet: QuietHours
) -> None:
    first = next_reminder_at(local_time, zone, after, quiet)
    second = next_reminder_at(local_time, zone, first, quiet)
    assert local_date_of(second, zone) == local_date_of(first, zone) + timedelta(days=1)


@given(local_times, zones, instants, quiet_hours)
def test_a_firing_outside_quiet_hours_keeps_its_time(
    local_time: time, zone: ZoneInfo, after: datetime, quiet: QuietHours
) -> None:
    if not quiet.holds(local_time):
        assert next_reminder_at(local_time, zone, after, quiet) == next_reminder_at(local_time, zone, after)


def test_a_reminder_inside_quiet_hours_moves_to_their_end() -> None:
    zone = ZoneInfo("Europe/Paris")
    early = next_reminder_at(time(6, 30), zone, datetime(2026, 6, 1, 0, 0, tzinfo=UTC), DEFAULT_QUIET)
    assert early.astimezone(zone).strftime("%Y-%m-%d %H:%M") == "2026-06-01 07:00"
    late = next_reminder_at(time(23, 15), zone, datetime(2026, 6, 1, 12, 0, tzinfo=UTC), DEFAULT_QUIET)
    assert late.astimezone(zone).strftime("%Y-%m-%d %H:%M") == "2026-06-02 07:00"
    assert next_reminder_at(time(23, 15), zone, late, DEFAULT_QUIET).astimezone(zone).day == 3


def test_a_quiet_end_inside_a_spring_forward_gap_fires_after_the_jump() -> None:
    zone = ZoneInfo("America/New_York")  # 2026-03-08: 02:00 EST → 03:00 EDT
    quiet = QuietHours(time(22, 0), time(2, 30))
    fired = next_reminder_at(time(1, 0), zone, datetime(2026, 3, 8, 0, 0, tzinfo=UTC), quiet)
    assert fired.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") == "2026-03-08 03:30 EDT"
