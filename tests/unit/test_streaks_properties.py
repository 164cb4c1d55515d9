"""Property tests: the streak from functions/streaks/streak.py against a model computed
here another way, over time zones, DST changes, date-line jumps and random check-ins; an
adversary that picks zones, day starts, clocks and times and never makes a streak outgrow
real time; and travellers who never lose a streak they earned."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.streaks import streak
from functions.streaks.decision import decide
from functions.streaks.summary import StreakSummary, summary_of
from lib import day_rule
from lib.day_rule import DayRule
from lib.errors import ApiError
from tests.support.examples import examples

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


def model_missed(earlier: date, later: date, zone_name: str) -> int:
    """How many dates between the two a clock in the zone showed."""
    between = [earlier + timedelta(days=i) for i in range(1, (later - earlier).days)]
    return sum(d in model_dates_shown(zone_name, d) for d in between)


@dataclass(frozen=True)
class Model:
    current: int
    longest: int
    last_day: date


def model_of(checkins: list[tuple[datetime, str]]) -> Model:
    """The counted days are those later than every day counted before; the streak grows by one
    per counted day when the dates missed since the previous one are no more than the freezes
    held (each spends one; one is earned per 7 days of streak, 2 held at most), but never beyond
    2 + the whole 24 hours since the run's first check-in; the longest is the largest reached."""
    counted: list[tuple[date, datetime]] = []
    for instant, zone_name in checkins:
        day = model_local_date(instant, ZoneInfo(zone_name))
        if not counted or day > counted[-1][0]:
            counted.append((day, instant))
    zone_name = checkins[0][1]
    current, started, held, reached = 1, counted[0][1], 0, [1]
    for (earlier, _), (later, instant) in itertools.pairwise(counted):
        missed = model_missed(earlier, later, zone_name)
        if missed <= held:
            whole_days = int((instant - started).total_seconds() // 86400)
            grown = min(current + 1, 2 + whole_days)
            held -= missed
            if grown > current and grown % 7 == 0:
                held = min(2, held + 1)
            current = grown
        else:
            current, started, held = 1, instant, 0
        reached.append(current)
    return Model(current=current, longest=max(reached), last_day=counted[-1][0])


def replay(checkins: list[tuple[datetime, str]]) -> list[StreakSummary]:
    summaries = [StreakSummary()]
    for instant, zone_name in checkins:
        rule = DayRule(zone_name)
        summaries.append(streak.next_summary(summaries[-1], rule.local_day(instant), rule, instant).summary)
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


def at_home(
    zones: st.SearchStrategy[str], window: tuple[datetime, datetime]
) -> st.SearchStrategy[list[tuple[datetime, str]]]:
    """Check-ins from one zone (a traveller's zone changes are the day rule's, tested below)."""
    return checkin_sequences(zones, window).filter(lambda seq: len({z for _, z in seq}) == 1)


@settings(max_examples=examples(300), deadline=None)
@given(st.sampled_from([SPRING, AUTUMN]).flatmap(lambda w: at_home(st.sampled_from(DST_AND_DATE_LINE_ZONES), w)))
def test_streak_is_the_final_run_of_adjacent_local_days_across_dst(checkins: list[tuple[datetime, str]]) -> None:
    assert_matches_model(checkins)


@settings(max_examples=examples(200), deadline=None)
@given(at_home(st.sampled_from(sorted(available_timezones())), SPRING))
def test_streak_is_the_final_run_of_adjacent_local_days_in_any_zone(checkins: list[tuple[datetime, str]]) -> None:
    assert_matches_model(checkins)


@settings(max_examples=examples(100), deadline=None)
@given(
    st.one_of(
        at_home(st.just("Pacific/Apia"), (datetime(2011, 12, 25, tzinfo=UTC), datetime(2012, 1, 2, tzinfo=UTC))),
        at_home(st.just("Pacific/Kiritimati"), (datetime(1994, 12, 25, tzinfo=UTC), datetime(1995, 1, 2, tzinfo=UTC))),
    )
)
def test_streak_survives_the_date_a_zone_skipped(checkins: list[tuple[datetime, str]]) -> None:
    assert_matches_model(checkins)


@settings(max_examples=examples(200), deadline=None)
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


@settings(max_examples=examples(200), deadline=None)
@given(
    st.sampled_from([SPRING, AUTUMN]).flatmap(lambda w: checkin_sequences(st.sampled_from(DST_AND_DATE_LINE_ZONES), w)),
    st.data(),
)
def test_checking_in_again_the_same_local_day_changes_nothing(
    checkins: list[tuple[datetime, str]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(checkins) - 1))
    instant, zone_name = checkins[index]
    rule = DayRule(zone_name)
    day = rule.local_day(instant)
    # A second check-in later on the same local day, from the same zone.
    later = data.draw(
        st.datetimes(
            min_value=instant.replace(tzinfo=None), max_value=(instant + timedelta(hours=30)).replace(tzinfo=None)
        )
    )
    later_instant = later.replace(tzinfo=UTC)
    if rule.local_day(later_instant) != day:
        later_instant = instant
    repeated = [*checkins[: index + 1], (later_instant, zone_name), *checkins[index + 1 :]]
    repeated.sort(key=lambda pair: pair[0])
    assert replay(repeated)[-1] == replay(checkins)[-1]


@settings(max_examples=examples(200), deadline=None)
@given(st.timezones().map(str), st.dates(min_value=date(1970, 1, 3), max_value=date(2037, 12, 29)))
def test_day_exists_matches_the_dates_a_clock_shows(zone_name: str, day: date) -> None:
    assert streak.day_exists(day, ZoneInfo(zone_name)) == (day in model_dates_shown(zone_name, day))


@settings(max_examples=examples(300), deadline=None)
@given(
    st.sampled_from(DST_AND_DATE_LINE_ZONES),
    st.integers(1, 50),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    st.integers(0, 5),
    st.integers(0, 2),
    st.floats(0, 0.999),
)
def test_standing_streak_is_what_a_checkin_today_would_extend(
    zone_name: str, current: int, last: date, later: int, freezes: int, time_of_day: float
) -> None:
    rule = DayRule(zone_name)
    summary = StreakSummary(current=current, longest=current, last_day=last, freezes=freezes, rule=rule)
    today = last + timedelta(days=later)
    now = rule.day_starts_at(today) + timedelta(hours=23 * time_of_day)
    after = streak.next_summary(summary, today, rule, now).summary
    standing = streak.standing_current(summary, today, rule, now)
    assert after.current == (standing if summary.done_on(today) else standing + 1)


# Both ends of the date line, half-hour and 45-minute offsets, DST in both hemispheres.
ADVERSARY_ZONES = [
    "Etc/GMT+12",
    "Etc/GMT-14",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Pacific/Apia",
    "Pacific/Chatham",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Europe/London",
    "UTC",
]
DAY_STARTS = ["00:00", "00:30", "03:00", "04:00", "05:59", "06:00"]


@dataclass(frozen=True)
class Checkin:
    zone_name: str | None


@dataclass(frozen=True)
class ChangeRule:
    zone_name: str | None
    day_start: str | None


class ReminderRun:
    """The reminder run using due freezes."""


Move = Checkin | ChangeRule | ReminderRun


def as_move(kind: int, zone_name: str | None, day_start: str | None) -> Move:
    if kind == 0:
        return Checkin(zone_name)
    return ChangeRule(zone_name, day_start) if kind == 1 else ReminderRun()


# Flat draws: the adversary's choices are cheap to generate, so 2,000 examples take seconds.
moves = st.builds(
    as_move,
    st.integers(0, 2),
    st.sampled_from([None, *ADVERSARY_ZONES]),
    st.sampled_from([None, *DAY_STARTS]),
)


@dataclass(frozen=True)
class Pause:
    """Waits `seconds`, or (`to_day_start`) until the profile's next day starts, `seconds` after it
    (the adversary's favourite moments are just either side of a date change)."""

    seconds: int
    to_day_start: bool

    def after(self, now: datetime, user: dict[str, object]) -> datetime:
        if not self.to_day_start:
            return now + timedelta(seconds=self.seconds)
        rule = day_rule.rule_of(user)
        return max(now, rule.day_ends_at(rule.local_day(now)) + timedelta(seconds=self.seconds))


pauses = st.one_of(
    st.builds(
        Pause, st.one_of(st.integers(0, 10), st.integers(0, 4 * 3600), st.integers(0, 36 * 3600)), st.just(False)
    ),
    st.builds(Pause, st.integers(-120, 120), st.just(True)),
)


def transitions(zone_name: str, year: int) -> list[datetime]:
    """The instants the zone's offset changed in `year`, found hour by hour."""
    zone = ZoneInfo(zone_name)
    hour = datetime(year, 1, 1, tzinfo=UTC)
    found = []
    while hour.year == year:
        later = hour + timedelta(hours=1)
        if hour.astimezone(zone).utcoffset() != later.astimezone(zone).utcoffset():
            found.append(later)
        hour = later
    return found


DST_CHANGES = sorted({t for z in ADVERSARY_ZONES for t in transitions(z, 2026)})
# Around a DST change of one of the zones, or Samoa's jump over 30 December 2011.
starts = st.one_of(
    st.builds(
        lambda change, minutes: change + timedelta(minutes=minutes),
        st.sampled_from(DST_CHANGES),
        st.integers(-3 * 1440, 1440),
    ),
    st.datetimes(min_value=datetime(2011, 12, 27), max_value=datetime(2012, 1, 2)).map(lambda n: n.replace(tzinfo=UTC)),
)


def serve(user: dict[str, object], move: Move, now: datetime) -> dict[str, object]:
    """The user document after the server handled `move` at `now` (a refused request changes nothing)."""
    try:
        if isinstance(move, Checkin):
            decision = decide(user, move.zone_name, now)
            return user | decision.user_fields(now)
        if isinstance(move, ChangeRule):
            rule = day_rule.rule_of(user)
            wanted = DayRule(
                move.zone_name or rule.timezone,
                day_rule.parse_day_start(move.day_start) if move.day_start else rule.day_start,
            )
            if wanted == rule:
                return user
            day_rule.check_change(user, now)
            return user | day_rule.change_fields(wanted, now)
        rule = day_rule.rule_of(user)
        settled = streak.settle(summary_of(user), rule.local_day(now), rule, now)
        return user | {"streak": settled.summary.as_field()}
    except ApiError:
        return user


@settings(max_examples=examples(2000), deadline=None, derandomize=True)
@given(starts, st.lists(st.tuples(pauses, moves), min_size=1, max_size=12))
def test_no_sequence_of_requests_grows_a_streak_faster_than_real_time(
    start: datetime, plan: list[tuple[Pause, Move]]
) -> None:
    user: dict[str, object] = {}
    now = start
    first_checkin: datetime | None = None
    for pause, move in plan:
        now = pause.after(now, user)
        user = serve(user, move, now)
        if isinstance(move, Checkin) and first_checkin is None:
            first_checkin = now
        if first_checkin is not None:
            current = summary_of(user).current
            assert current <= 2 + (now - first_checkin) // timedelta(hours=24)


TRAVEL_ZONES = [
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Pacific/Kiritimati",
    "Pacific/Honolulu",
    "Pacific/Auckland",
    "Pacific/Pago_Pago",
    "Pacific/Chatham",
    "Europe/London",
    "America/St_Johns",
    "Etc/GMT+12",
]


@dataclass(frozen=True)
class Leg:
    zone_name: str
    stay: timedelta
    flight: timedelta


legs = st.builds(
    Leg,
    st.sampled_from(TRAVEL_ZONES),
    st.integers(49 * 60, 5 * 24 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(60, 17 * 60).map(lambda m: timedelta(minutes=m)),
)


def honest_checkins(rule: DayRule, arrive: datetime, leave: datetime, times: list[float]) -> list[datetime]:
    """One check-in on each of the user's dates spent (in part) on the ground, at a random moment of it."""
    found: list[datetime] = []
    day = rule.local_day(arrive)
    while rule.day_starts_at(day) < leave:
        begin, end = max(arrive, rule.day_starts_at(day)), min(leave, rule.day_ends_at(day))
        found.append(begin + (end - begin) * times[len(found) % len(times)])
        day += timedelta(days=1)
    return found


@settings(max_examples=examples(300), deadline=None)
@given(
    starts,
    st.sampled_from(DAY_STARTS),
    st.lists(legs, min_size=2, max_size=5),
    st.lists(st.floats(0, 0.999), min_size=1, max_size=7),
)
def test_a_traveller_who_checks_in_on_every_date_lived_never_loses_the_streak(
    start: datetime, day_start: str, trip: list[Leg], times: list[float]
) -> None:
    user: dict[str, object] = {"day_start": day_start}
    arrive = start
    previous = 0
    count = 0
    first: datetime | None = None
    for leg in trip:
        rule = DayRule(leg.zone_name, day_rule.parse_day_start(day_start))
        for now in honest_checkins(rule, arrive, arrive + leg.stay, times):
            user = serve(user, Checkin(leg.zone_name), now)
            first = first or now
            count += 1
            current = summary_of(user).current
            assert current >= previous  # never reset
            assert current <= min(count, 2 + (now - first) // timedelta(hours=24))  # never a day not lived
            previous = current
        arrive += leg.stay + leg.flight


# The longest flight a traveller may have taken between two check-ins in different zones; the
# model allows a little more than the code, so its five-minute steps never make it stricter.
MODEL_FLIGHT = streak.MAX_FLIGHT + timedelta(hours=1)
STEP = timedelta(minutes=5)
MOVE_ZONES = [
    "Europe/London",
    "Europe/Paris",
    "Europe/Athens",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Pacific/Kiritimati",
    "Pacific/Chatham",
    "America/St_Johns",
    "America/Los_Angeles",
    "Etc/GMT+12",
    "UTC",
]


def model_rule_date(instant: datetime, zone_name: str, day_start: str) -> date:
    """The rule's date at `instant`: the wall clock (found with `ZoneInfo.fromutc`) less the day start."""
    wall = ZoneInfo(zone_name).fromutc(instant.astimezone(UTC).replace(tzinfo=ZoneInfo(zone_name)))
    hours, minutes = map(int, day_start.split(":"))
    return (wall.replace(tzinfo=None) - timedelta(hours=hours, minutes=minutes)).date()


def a_trip_explains(
    home: tuple[str, str], away: tuple[str, str], last_day: date, last_checkin: datetime, now: datetime
) -> bool:
    """Whether some trip passes no date without a check-in on it. The user stays under `home` after
    checking in on `last_day`, then either checks in at `now` still under it (the check-in covers
    the date each rule shows then), or leaves at some moment, flies for at most MODEL_FLIGHT (not
    at all when the zone stays the same) and lives under `away` until the check-in at `now`.
    Dates up to `last_day` are covered already. Time is stepped through every five minutes."""
    instants = [last_checkin + STEP * i for i in range(int((now - last_checkin) / STEP) + 1)] + [now]
    at_home = [model_rule_date(t, *home) for t in instants]
    away_dates = [model_rule_date(t, *away) for t in instants]
    if all(d <= last_day or d == at_home[-1] for d in at_home):
        return True
    today = away_dates[-1]
    # covered_from[j]: every date lived under `away` from instants[j] on is covered.
    covered_from = [True] * (len(instants) + 1)
    for j in reversed(range(len(instants))):
        covered_from[j] = covered_from[j + 1] and (away_dates[j] <= last_day or away_dates[j] == today)
    in_air = int((MODEL_FLIGHT if home[0] != away[0] else timedelta(0)) / STEP)
    for leave, home_date in enumerate(at_home):
        if home_date > last_day:
            return False
        if covered_from[min(leave + in_air, len(instants) - 1)]:
            return True
    return False


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.sampled_from([SPRING, AUTUMN]).flatmap(
        lambda w: st.datetimes(min_value=w[0].replace(tzinfo=None), max_value=w[1].replace(tzinfo=None))
    ),
    st.tuples(st.sampled_from(MOVE_ZONES), st.sampled_from(DAY_STARTS)),
    st.tuples(st.sampled_from(MOVE_ZONES), st.sampled_from(DAY_STARTS)),
    st.integers(1, 30),
    st.integers(0, 2),
    st.one_of(st.integers(0, 80 * 60), st.integers(24 * 60, 56 * 60)),
)
def test_a_missed_real_day_resets_the_streak_unless_a_freeze_covers_it(
    start: datetime, home: tuple[str, str], away: tuple[str, str], current: int, freezes: int, minutes: int
) -> None:
    """A user who checked in under one day rule checks in again under another (or the same), after
    a move, a flight or a new day start: when no trip explains the two check-ins without a date
    lived and not checked in, the streak restarts, or a held freeze covers the missed date."""
    last_checkin = start.replace(tzinfo=UTC)
    now = last_checkin + timedelta(minutes=minutes)
    before = DayRule(home[0], day_rule.parse_day_start(home[1]))
    rule = DayRule(away[0], day_rule.parse_day_start(away[1]))
    last_day, day = before.local_day(last_checkin), rule.local_day(now)
    if day <= last_day or a_trip_explains(home, away, last_day, last_checkin, now):
        return
    held = StreakSummary(current, current, last_day, freezes, last_checkin - timedelta(days=current), before)
    step = streak.next_summary(held, day, rule, now)
    assert step.summary.current == 1 or step.frozen
