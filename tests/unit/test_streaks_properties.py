"""Property tests: the streak from functions/streaks/streak.py against a model computed
here another way, over time zones, DST changes, date-line jumps and random check-ins."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.streaks import streak
from functions.streaks.summary import StreakSummary

# Zones with DST (north and south, one of 30 minutes), half-hour offsets, midnight
# transitions and both sides of the date line.
DST_AND_DATE_LINE_ZONES = [
    "America/St_Johns",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Etc/GMT+12",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "America/Havana",
    "America/Santiago",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Apia",
    "UTC",
]

# Windows holding the March/April and October/November DST changes of both hemispheres.
SPRING = (datetime(2026, 2, 25, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC))
AUTUMN = (datetime(2026, 9, 20, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC))

# Minutes between check-ins: a few per day, about daily, or with missed days.
gaps = st.one_of(st.integers(0, 6 * 60), st.integers(18 * 60, 30 * 60), st.integers(0, 80 * 60))


def model_local_date(instant: datetime, zone: ZoneInfo) -> date:
    return zone.fromutc(instant.astimezone(UTC).replace(tzinfo=zone)).date()


@functools.cache
def model_dates_shown(zone_name: str, around: date) -> frozenset[date]:
    """Every local date a clock in the zone shows within two days of `around`, found by
    stepping through UTC every quarter hour."""
    zone = ZoneInfo(zone_name)
    instant = datetime(around.year, around.month, around.day, tzinfo=UTC) - timedelta(days=2)
    end = instant + timedelta(days=5)
    shown = set()
    while instant < end:
        shown.add(model_local_date(instant, zone))
        instant += timedelta(minutes=15)
    return frozenset(shown)


def model_adjacent(earlier: date, later: date, zone_name: str) -> bool:
    between = [earlier + timedelta(days=i) for i in range(1, (later - earlier).days)]
    return later > earlier and all(d not in model_dates_shown(zone_name, d) for d in between)


@dataclass(frozen=True)
class Model:
    current: int
    longest: int
    last_day: date


def model_of(checkins: list[tuple[datetime, str]]) -> Model:
    """The counted days are those later than every day counted before; the streak is the
    length of the final run of adjacent counted days, the longest the longest such run."""
    counted: list[tuple[date, str]] = []
    for instant, zone_name in checkins:
        day = model_local_date(instant, ZoneInfo(zone_name))
        if not counted or day > counted[-1][0]:
            counted.append((day, zone_name))
    runs = [1]
    for (earlier, _), (later, zone_name) in itertools.pairwise(counted):
        runs.append(runs[-1] + 1 if model_adjacent(earlier, later, zone_name) else 1)
    return Model(current=runs[-1], longest=max(runs), last_day=counted[-1][0])


def replay(checkins: list[tuple[datetime, str]]) -> list[StreakSummary]:
    summaries = [StreakSummary()]
    for instant, zone_name in checkins:
        zone = ZoneInfo(zone_name)
        summaries.append(streak.next_summary(summaries[-1], streak.local_date(instant, zone), zone))
    return summaries[1:]


@st.composite
def checkin_sequences(
    draw: st.DrawFn, zones: st.SearchStrategy[str], window: tuple[datetime, datetime]
) -> list[tuple[datetime, str]]:
    start = draw(st.datetimes(min_value=window[0].replace(tzinfo=None), max_value=window[1].replace(tzinfo=None)))
    instant = start.replace(tzinfo=UTC)
    traveller = draw(st.booleans())
    home = draw(zones)
    sequence: list[tuple[datetime, str]] = []
    for gap in draw(st.lists(gaps, min_size=1, max_size=30)):
        instant += timedelta(minutes=gap)
        sequence.append((instant, draw(zones) if traveller else home))
    return sequence


def assert_matches_model(checkins: list[tuple[datetime, str]]) -> None:
    final = replay(checkins)[-1]
    expected = model_of(checkins)
    assert (final.current, final.longest, final.last_day) == (expected.current, expected.longest, expected.last_day)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([SPRING, AUTUMN]).flatmap(lambda w: checkin_sequences(st.sampled_from(DST_AND_DATE_LINE_ZONES), w))
)
def test_streak_is_the_final_run_of_adjacent_local_days_across_dst(checkins: list[tuple[datetime, str]]) -> None:
    assert_matches_model(checkins)


@settings(max_examples=200, deadline=None)
@given(checkin_sequences(st.timezones().map(str), SPRING))
def test_streak_is_the_final_run_of_adjacent_local_days_in_any_zone(checkins: list[tuple[datetime, str]]) -> None:
    assert_matches_model(checkins)


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        checkin_sequences(
            st.just("Pacific/Apia"), (datetime(2011, 12, 25, tzinfo=UTC), datetime(2012, 1, 2, tzinfo=UTC))
        ),
        checkin_sequences(
            st.just("Pacific/Kiritimati"), (datetime(1994, 12, 25, tzinfo=UTC), datetime(1995, 1, 2, tzinfo=UTC))
        ),
    )
)
def test_streak_survives_the_date_a_zone_skipped(checkins: list[tuple[datetime, str]]) -> None:
    assert_matches_model(checkins)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([SPRING, AUTUMN]).flatmap(lambda w: checkin_sequences(st.sampled_from(DST_AND_DATE_LINE_ZONES), w))
)
def test_longest_never_decreases_and_bounds_current(checkins: list[tuple[datetime, str]]) -> None:
    summaries = replay(checkins)
    for before, after in itertools.pairwise(summaries):
        assert after.longest >= before.longest
        assert after.last_day is not None
        assert before.last_day is not None
        assert after.last_day >= before.last_day
    assert all(1 <= s.current <= s.longest for s in summaries)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([SPRING, AUTUMN]).flatmap(lambda w: checkin_sequences(st.sampled_from(DST_AND_DATE_LINE_ZONES), w)),
    st.data(),
)
def test_checking_in_again_the_same_local_day_changes_nothing(
    checkins: list[tuple[datetime, str]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(checkins) - 1))
    instant, zone_name = checkins[index]
    zone = ZoneInfo(zone_name)
    day = streak.local_date(instant, zone)
    # A second check-in later on the same local day, from the same zone.
    later = data.draw(
        st.datetimes(
            min_value=instant.replace(tzinfo=None), max_value=(instant + timedelta(hours=30)).replace(tzinfo=None)
        )
    )
    later_instant = later.replace(tzinfo=UTC)
    if streak.local_date(later_instant, zone) != day:
        later_instant = instant
    repeated = [*checkins[: index + 1], (later_instant, zone_name), *checkins[index + 1 :]]
    repeated.sort(key=lambda pair: pair[0])
    assert replay(repeated)[-1] == replay(checkins)[-1]


@settings(max_examples=200, deadline=None)
@given(st.timezones().map(str), st.dates(min_value=date(1970, 1, 3), max_value=date(2037, 12, 29)))
def test_day_exists_matches_the_dates_a_clock_shows(zone_name: str, day: date) -> None:
    assert streak.day_exists(day, ZoneInfo(zone_name)) == (day in model_dates_shown(zone_name, day))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(DST_AND_DATE_LINE_ZONES),
    st.integers(1, 50),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    st.integers(0, 5),
)
def test_standing_streak_is_what_a_checkin_today_would_extend(
    zone_name: str, current: int, last: date, later: int
) -> None:
    zone = ZoneInfo(zone_name)
    summary = StreakSummary(current=current, longest=current, last_day=last)
    today = last + timedelta(days=later)
    after = streak.next_summary(summary, today, zone)
    standing = streak.standing_current(summary, today, zone)
    assert after.current == (standing if summary.done_on(today) else standing + 1)
