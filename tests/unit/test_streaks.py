"""Streak arithmetic (functions/streaks/streak.py, summary.py) and the request bodies, without a server."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from functions.streaks import streak
from functions.streaks.api import CheckinRequest
from functions.streaks.summary import StreakSummary, checked_in_on, summary_of
from lib.errors import InvalidArgument

ST_JOHNS = ZoneInfo("America/St_Johns")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")
HONOLULU = ZoneInfo("Pacific/Honolulu")
APIA = ZoneInfo("Pacific/Apia")
GRACE = timedelta(minutes=5)
STREAKS_DIR = Path(__file__).resolve().parents[2] / "functions" / "streaks"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def summary_after(checkins: list[tuple[datetime, ZoneInfo]]) -> StreakSummary:
    summary = StreakSummary()
    for instant, zone in checkins:
        summary = streak.next_summary(summary, streak.local_date(instant, zone), zone)
    return summary


def test_kiritimati_is_on_the_next_date_from_ten_utc() -> None:
    assert streak.local_date(utc("2026-11-26T09:59:59"), KIRITIMATI) == date(2026, 11, 26)
    assert streak.local_date(utc("2026-11-26T10:00:00"), KIRITIMATI) == date(2026, 11, 27)


def test_st_johns_half_hour_offset_decides_the_date() -> None:
    assert streak.local_date(utc("2026-01-15T03:29:00"), ST_JOHNS) == date(2026, 1, 14)
    assert streak.local_date(utc("2026-01-15T03:30:00"), ST_JOHNS) == date(2026, 1, 15)


def test_local_date_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        streak.local_date(datetime(2026, 1, 1, 12), ST_JOHNS)


def test_first_checkin_starts_a_streak_of_one() -> None:
    assert summary_after([(utc("2026-05-01T12:00:00"), ST_JOHNS)]) == StreakSummary(1, 1, date(2026, 5, 1))


def test_second_checkin_on_one_local_day_changes_nothing() -> None:
    once = summary_after([(utc("2026-05-01T04:00:00"), ST_JOHNS)])
    twice = summary_after([(utc("2026-05-01T04:00:00"), ST_JOHNS), (utc("2026-05-02T02:00:00"), ST_JOHNS)])
    assert once == twice == StreakSummary(1, 1, date(2026, 5, 1))


def test_consecutive_local_days_grow_the_streak() -> None:
    days = [(utc(f"2026-05-0{d}T12:00:00"), ST_JOHNS) for d in range(1, 5)]
    assert summary_after(days) == StreakSummary(4, 4, date(2026, 5, 4))


def test_missed_local_day_resets_current_and_keeps_longest() -> None:
    days = [(utc(f"2026-05-0{d}T12:00:00"), ST_JOHNS) for d in (1, 2, 3, 5)]
    assert summary_after(days) == StreakSummary(1, 3, date(2026, 5, 5))


def test_spring_forward_night_in_st_johns_keeps_the_streak() -> None:
    # 2026-03-08 02:00 NST jumps to 03:00 NDT (05:30 UTC): that local day has 23 hours.
    checkins = [
        (utc("2026-03-08T03:20:00"), ST_JOHNS),  # 23:50 NST on 7 March
        (utc("2026-03-08T05:40:00"), ST_JOHNS),  # 03:10 NDT on 8 March, 20 minutes of wall clock later
        (utc("2026-03-09T02:20:00"), ST_JOHNS),  # 23:50 NDT on 8 March: same day
        (utc("2026-03-09T02:40:00"), ST_JOHNS),  # 00:10 NDT on 9 March
    ]
    assert summary_after(checkins) == StreakSummary(3, 3, date(2026, 3, 9))


def test_fall_back_hour_repeated_in_st_johns_counts_once() -> None:
    # 2026-11-01 02:00 NDT falls back to 01:00 NST (04:30 UTC): 01:30 happens twice.
    first = (utc("2026-11-01T04:00:00"), ST_JOHNS)
    second = (utc("2026-11-01T05:00:00"), ST_JOHNS)
    assert streak.local_date(*first) == streak.local_date(*second) == date(2026, 11, 1)
    assert summary_after([first, second]) == StreakSummary(1, 1, date(2026, 11, 1))


def test_westward_flight_over_the_date_line_neither_loses_nor_double_counts() -> None:
    checkins = [
        (utc("2026-06-01T12:00:00"), KIRITIMATI),  # 2 June in Kiritimati
        (utc("2026-06-01T13:00:00"), HONOLULU),  # 1 June in Honolulu: already past it
        (utc("2026-06-02T20:00:00"), HONOLULU),  # 2 June in Honolulu: already counted
        (utc("2026-06-03T20:00:00"), HONOLULU),  # 3 June
    ]
    assert summary_after(checkins) == StreakSummary(2, 2, date(2026, 6, 3))


def test_date_samoa_skipped_does_not_break_the_streak() -> None:
    assert not streak.day_exists(date(2011, 12, 30), APIA)
    checkins = [(utc("2011-12-29T20:00:00"), APIA), (utc("2011-12-30T20:00:00"), APIA)]  # 29th, then 31st
    assert summary_after(checkins) == StreakSummary(2, 2, date(2011, 12, 31))


def test_an_ordinary_day_exists_even_with_a_dst_change() -> None:
    assert streak.day_exists(date(2026, 3, 8), ST_JOHNS)
    assert streak.day_exists(date(2026, 11, 1), ST_JOHNS)


def test_gap_of_one_existing_day_does_not_follow() -> None:
    assert not streak.follows(date(2026, 5, 1), date(2026, 5, 3), ST_JOHNS)
    assert streak.follows(date(2026, 5, 1), date(2026, 5, 2), ST_JOHNS)
    assert not streak.follows(date(2026, 5, 2), date(2026, 5, 2), ST_JOHNS)


def test_standing_current_survives_until_a_whole_day_is_missed() -> None:
    summary = StreakSummary(5, 7, date(2026, 5, 10))
    assert streak.standing_current(summary, date(2026, 5, 10), ST_JOHNS) == 5
    assert streak.standing_current(summary, date(2026, 5, 11), ST_JOHNS) == 5
    assert streak.standing_current(summary, date(2026, 5, 12), ST_JOHNS) == 0
    assert streak.standing_current(StreakSummary(), date(2026, 5, 12), ST_JOHNS) == 0


def test_standing_current_keeps_a_streak_dated_after_today() -> None:
    assert streak.standing_current(StreakSummary(2, 2, date(2026, 6, 2)), date(2026, 6, 1), HONOLULU) == 2


def test_check_in_day_is_today_without_a_requested_date() -> None:
    assert streak.check_in_day(utc("2026-11-26T10:30:00"), KIRITIMATI, None, GRACE) == date(2026, 11, 27)


def test_check_in_day_accepts_the_requested_date_when_it_is_today() -> None:
    assert streak.check_in_day(utc("2026-11-26T10:30:00"), KIRITIMATI, date(2026, 11, 27), GRACE) == date(2026, 11, 27)


def test_backdated_check_in_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgument, match="backdated"):
        streak.check_in_day(utc("2026-11-26T12:00:00"), KIRITIMATI, date(2026, 11, 26), GRACE)


def test_future_dated_check_in_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgument, match="after today"):
        streak.check_in_day(utc("2026-11-26T09:00:00"), KIRITIMATI, date(2026, 11, 27), GRACE)


def test_tap_just_before_midnight_counts_for_that_day() -> None:
    # 10:02 UTC is 00:02 on 27 November in Kiritimati; the app tapped at 23:59 on the 26th.
    assert streak.check_in_day(utc("2026-11-26T10:02:00"), KIRITIMATI, date(2026, 11, 26), GRACE) == date(2026, 11, 26)


def test_yesterday_beyond_the_grace_is_backdated() -> None:
    with pytest.raises(InvalidArgument, match="backdated"):
        streak.check_in_day(utc("2026-11-26T10:06:00"), KIRITIMATI, date(2026, 11, 26), GRACE)


def test_clock_off_by_more_than_a_day_is_invalid_argument() -> None:
    now = utc("2026-11-26T12:00:00")
    with pytest.raises(InvalidArgument, match="client_time"):
        streak.check_clock(now, now - timedelta(hours=24, seconds=1), timedelta(days=1))
    with pytest.raises(InvalidArgument, match="client_time"):
        streak.check_clock(now, now + timedelta(hours=25), timedelta(days=1))


def test_clock_off_by_less_than_a_day_is_accepted() -> None:
    now = utc("2026-11-26T12:00:00")
    streak.check_clock(now, now + timedelta(hours=23), timedelta(days=1))
    streak.check_clock(now, None, timedelta(days=1))


def test_recent_days_are_thirty_ending_today_oldest_first() -> None:
    marks = streak.recent_days(date(2026, 3, 10), {date(2026, 3, 10), date(2026, 2, 9), date(2026, 2, 8)})
    assert len(marks) == 30
    assert marks[0].day == date(2026, 2, 9)
    assert marks[-1].day == date(2026, 3, 10)
    assert [m.day for m in marks if m.done] == [date(2026, 2, 9), date(2026, 3, 10)]


def test_summary_field_round_trips() -> None:
    summary = StreakSummary(3, 9, date(2026, 1, 2))
    assert summary.as_field() == {"current": 3, "longest": 9, "last_day": "2026-01-02"}
    assert summary_of({"streak": summary.as_field()}) == summary
    assert summary_of({"streak": StreakSummary().as_field()}) == StreakSummary()


def test_checked_in_on_is_true_for_the_last_day_and_earlier_days() -> None:
    user = {"streak": {"current": 2, "longest": 2, "last_day": "2026-06-02"}}
    assert checked_in_on(user, date(2026, 6, 2))
    assert checked_in_on(user, date(2026, 6, 1))
    assert not checked_in_on(user, date(2026, 6, 3))
    assert not checked_in_on({}, date(2026, 6, 3))


def test_empty_checkin_body_is_valid() -> None:
    assert CheckinRequest.model_validate({}) == CheckinRequest()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"client_time": "2026-11-26T12:00:00"}, "client_time"),
        ({"local_date": 20261126}, "local_date"),
        ({"local_date": "26/11/2026"}, "local_date"),
        ({"local_date": "2026-02-30"}, "local_date"),
        ({"day": "2026-11-26"}, "day"),
    ],
)
def test_bad_checkin_body_names_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CheckinRequest.model_validate(body)
    assert caught.value.errors()[0]["loc"] == (field,)


def test_streaks_imports_nothing_from_billing() -> None:
    imported: set[str] = set()
    for path in STREAKS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert {"functions.streaks.streak", "lib.firestore"} <= imported  # the scan sees real imports
    billing = {name for name in imported if "stripe" in name or "entitlement" in name}
    assert billing == set()
