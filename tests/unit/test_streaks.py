"""Streak arithmetic (functions/streaks/streak.py, summary.py, decision.py, public.py), the day rule
(lib/day_rule.py) and the request bodies, without a server."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from functions.streaks import streak
from functions.streaks.api import CheckinRequest
from functions.streaks.decision import decide
from functions.streaks.public import streak_today
from functions.streaks.summary import StreakSummary, summary_of
from lib import day_rule
from lib.day_rule import DayRule
from tests.support.imports import imported_modules

ST_JOHNS = DayRule("America/St_Johns")
KIRITIMATI = DayRule("Pacific/Kiritimati")
HONOLULU = DayRule("Pacific/Honolulu")
APIA = DayRule("Pacific/Apia")
TOKYO = DayRule("Asia/Tokyo")
LOS_ANGELES = DayRule("America/Los_Angeles")
GRACE = timedelta(minutes=5)
STREAKS_DIR = Path(__file__).resolve().parents[2] / "functions" / "streaks"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def summary_after(checkins: list[tuple[datetime, DayRule]], start: StreakSummary | None = None) -> StreakSummary:
    summary = start or StreakSummary()
    for instant, rule in checkins:
        summary = streak.next_summary(summary, rule.local_day(instant), rule, instant).summary
    return summary


def run(summary: StreakSummary) -> tuple[int, int, date | None]:
    return summary.current, summary.longest, summary.last_day


def test_kiritimati_is_on_the_next_date_from_ten_utc() -> None:
    assert KIRITIMATI.local_day(utc("2026-11-26T09:59:59")) == date(2026, 11, 26)
    assert KIRITIMATI.local_day(utc("2026-11-26T10:00:00")) == date(2026, 11, 27)


def test_st_johns_half_hour_offset_decides_the_date() -> None:
    assert ST_JOHNS.local_day(utc("2026-01-15T03:29:00")) == date(2026, 1, 14)
    assert ST_JOHNS.local_day(utc("2026-01-15T03:30:00")) == date(2026, 1, 15)


def test_local_date_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ST_JOHNS.local_day(datetime(2026, 1, 1, 12))


def test_first_checkin_starts_a_streak_of_one() -> None:
    assert run(summary_after([(utc("2026-05-01T12:00:00"), ST_JOHNS)])) == (1, 1, date(2026, 5, 1))


def test_second_checkin_on_one_local_day_changes_nothing() -> None:
    once = summary_after([(utc("2026-05-01T04:00:00"), ST_JOHNS)])
    twice = summary_after([(utc("2026-05-01T04:00:00"), ST_JOHNS), (utc("2026-05-02T02:00:00"), ST_JOHNS)])
    assert once == twice
    assert run(once) == (1, 1, date(2026, 5, 1))


def test_consecutive_local_days_grow_the_streak() -> None:
    days = [(utc(f"2026-05-0{d}T12:00:00"), ST_JOHNS) for d in range(1, 5)]
    assert run(summary_after(days)) == (4, 4, date(2026, 5, 4))


def test_missed_local_day_resets_current_and_keeps_longest() -> None:
    days = [(utc(f"2026-05-0{d}T12:00:00"), ST_JOHNS) for d in (1, 2, 3, 5)]
    assert run(summary_after(days)) == (1, 3, date(2026, 5, 5))


def test_spring_forward_night_in_st_johns_keeps_the_streak() -> None:
    # 2026-03-08 02:00 NST jumps to 03:00 NDT (05:30 UTC): that local day has 23 hours.
    checkins = [
        (utc("2026-03-08T03:20:00"), ST_JOHNS),  # 23:50 NST on 7 March
        (utc("2026-03-08T05:40:00"), ST_JOHNS),  # 03:10 NDT on 8 March, 20 minutes of wall clock later
        (utc("2026-03-09T02:20:00"), ST_JOHNS),  # 23:50 NDT on 8 March: same day
        (utc("2026-03-09T12:00:00"), ST_JOHNS),  # 09:30 NDT on 9 March
    ]
    assert run(summary_after(checkins)) == (3, 3, date(2026, 3, 9))


def test_three_dates_within_a_day_of_real_time_count_two() -> None:
    # 23:50 on 7 March, 03:10 on the 23-hour 8 March, 00:10 on 9 March: 23 h 20 min from first to last.
    checkins = [
        (utc("2026-03-08T03:20:00"), ST_JOHNS),
        (utc("2026-03-08T05:40:00"), ST_JOHNS),
        (utc("2026-03-09T02:40:00"), ST_JOHNS),
    ]
    assert run(summary_after(checkins)) == (2, 2, date(2026, 3, 9))
    later = summary_after([(utc("2026-03-10T12:00:00"), ST_JOHNS)], summary_after(checkins))
    assert run(later) == (3, 3, date(2026, 3, 10))


def test_fall_back_hour_repeated_in_st_johns_counts_once() -> None:
    # 2026-11-01 02:00 NDT falls back to 01:00 NST (04:30 UTC): 01:30 happens twice.
    first = (utc("2026-11-01T04:00:00"), ST_JOHNS)
    second = (utc("2026-11-01T05:00:00"), ST_JOHNS)
    assert ST_JOHNS.local_day(first[0]) == ST_JOHNS.local_day(second[0]) == date(2026, 11, 1)
    assert run(summary_after([first, second])) == (1, 1, date(2026, 11, 1))


def test_westward_flight_over_the_date_line_neither_loses_nor_double_counts() -> None:
    checkins = [
        (utc("2026-06-01T12:00:00"), KIRITIMATI),  # 2 June in Kiritimati
        (utc("2026-06-01T13:00:00"), HONOLULU),  # 1 June in Honolulu: already past it
        (utc("2026-06-02T20:00:00"), HONOLULU),  # 2 June in Honolulu: already counted
        (utc("2026-06-03T20:00:00"), HONOLULU),  # 3 June
    ]
    assert run(summary_after(checkins)) == (2, 2, date(2026, 6, 3))


def test_date_samoa_skipped_does_not_break_the_streak() -> None:
    assert not streak.day_exists(date(2011, 12, 30), APIA.zone)
    checkins = [(utc("2011-12-29T20:00:00"), APIA), (utc("2011-12-30T20:00:00"), APIA)]  # 29th, then 31st
    assert run(summary_after(checkins)) == (2, 2, date(2011, 12, 31))


def test_an_ordinary_day_exists_even_with_a_dst_change() -> None:
    assert streak.day_exists(date(2026, 3, 8), ST_JOHNS.zone)
    assert streak.day_exists(date(2026, 11, 1), ST_JOHNS.zone)


def test_gap_of_one_existing_day_does_not_follow() -> None:
    assert not streak.follows(date(2026, 5, 1), date(2026, 5, 3), ST_JOHNS.zone)
    assert streak.follows(date(2026, 5, 1), date(2026, 5, 2), ST_JOHNS.zone)
    assert not streak.follows(date(2026, 5, 2), date(2026, 5, 2), ST_JOHNS.zone)


def test_standing_current_survives_until_a_whole_day_is_missed() -> None:
    summary = StreakSummary(5, 7, date(2026, 5, 10), rule=ST_JOHNS)
    noon = {d: ST_JOHNS.day_starts_at(date(2026, 5, d)) + timedelta(hours=12) for d in (10, 11, 12)}
    assert streak.standing_current(summary, date(2026, 5, 10), ST_JOHNS, noon[10]) == 5
    assert streak.standing_current(summary, date(2026, 5, 11), ST_JOHNS, noon[11]) == 5
    assert streak.standing_current(summary, date(2026, 5, 12), ST_JOHNS, noon[12]) == 0
    assert streak.standing_current(StreakSummary(), date(2026, 5, 12), ST_JOHNS, noon[12]) == 0


def test_standing_current_keeps_a_streak_dated_after_today() -> None:
    summary = StreakSummary(2, 2, date(2026, 6, 2))
    assert streak.standing_current(summary, date(2026, 6, 1), HONOLULU, utc("2026-06-01T20:00:00")) == 2


def test_a_check_in_counts_for_the_profiles_date_at_the_servers_instant() -> None:
    # 10:30 UTC on 26 November is 00:30 on 27 November in Kiritimati.
    assert decide({"timezone": "Pacific/Kiritimati"}, None, utc("2026-11-26T10:30:00")).day == date(2026, 11, 27)


def test_recent_days_are_thirty_ending_today_oldest_first() -> None:
    marks = streak.recent_days(date(2026, 3, 10), {date(2026, 3, 10), date(2026, 2, 9), date(2026, 2, 8)}, set())
    assert len(marks) == 30
    assert marks[0].day == date(2026, 2, 9)
    assert marks[-1].day == date(2026, 3, 10)
    assert [m.day for m in marks if m.done] == [date(2026, 2, 9), date(2026, 3, 10)]


def test_summary_field_round_trips() -> None:
    summary = StreakSummary(3, 9, date(2026, 1, 2), 1, utc("2025-12-31T08:00:00"), DayRule("Asia/Tokyo", time(4)))
    assert summary.as_field() == {
        "current": 3,
        "longest": 9,
        "last_day": "2026-01-02",
        "freezes": 1,
        "started_at": utc("2025-12-31T08:00:00"),
        "rule": {"timezone": "Asia/Tokyo", "day_start": "04:00"},
    }
    assert summary_of({"streak": summary.as_field()}) == summary
    assert summary_of({"streak": StreakSummary().as_field()}) == StreakSummary()
    assert summary_of({"streak": {"current": 2, "longest": 2, "last_day": "2026-06-02"}}) == StreakSummary(
        2, 2, date(2026, 6, 2)
    )


def test_done_on_is_true_for_the_last_day_and_earlier_days() -> None:
    summary = StreakSummary(2, 2, date(2026, 6, 2))
    assert summary.done_on(date(2026, 6, 2))
    assert summary.done_on(date(2026, 6, 1))
    assert not summary.done_on(date(2026, 6, 3))
    assert not StreakSummary().done_on(date(2026, 6, 3))


def test_empty_checkin_body_is_valid() -> None:
    assert CheckinRequest.model_validate({}) == CheckinRequest()


def test_the_dates_older_apps_send_are_accepted_and_ignored() -> None:
    body = {"local_date": "2000-01-01", "client_time": "1999-12-31T23:59:00+00:00", "timezone": "UTC"}
    assert CheckinRequest.model_validate(body).timezone == "UTC"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"day": "2026-11-26"}, "day"),
    ],
)
def test_bad_checkin_body_names_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CheckinRequest.model_validate(body)
    assert caught.value.errors()[0]["loc"] == (field,)


def test_streaks_imports_nothing_from_billing() -> None:
    imported = {name for path in STREAKS_DIR.glob("*.py") for name in imported_modules(path)}
    assert {"functions.streaks.streak", "lib.firestore"} <= imported  # the scan sees real imports
    billing = {name for name in imported if "stripe" in name or "entitlement" in name}
    assert billing == set()


def noon(rule: DayRule, day: date) -> datetime:
    return rule.day_starts_at(day) + timedelta(hours=12)


def test_a_missed_day_is_covered_by_a_held_freeze_and_the_streak_grows_only_on_the_check_in() -> None:
    held = StreakSummary(5, 5, date(2026, 5, 10), freezes=1, rule=ST_JOHNS)
    step = streak.next_summary(held, date(2026, 5, 12), ST_JOHNS, noon(ST_JOHNS, date(2026, 5, 12)))
    assert step.frozen == (date(2026, 5, 11),)
    assert (step.summary.current, step.summary.freezes, step.summary.last_day) == (6, 0, date(2026, 5, 12))


def test_freezes_cover_missed_days_oldest_first_and_the_run_resets_when_they_run_out() -> None:
    held = StreakSummary(5, 5, date(2026, 5, 10), freezes=2, rule=ST_JOHNS)
    step = streak.next_summary(held, date(2026, 5, 14), ST_JOHNS, noon(ST_JOHNS, date(2026, 5, 14)))
    assert step.frozen == (date(2026, 5, 11), date(2026, 5, 12))
    assert (step.summary.current, step.summary.longest, step.summary.freezes) == (1, 5, 0)


def test_one_freeze_is_earned_per_seven_days_and_two_at_most_are_held() -> None:
    summary = StreakSummary()
    freezes = []
    for d in range(1, 23):
        day = date(2026, 5, d)
        summary = streak.next_summary(summary, day, ST_JOHNS, noon(ST_JOHNS, day)).summary
        freezes.append(summary.freezes)
    assert (freezes[5], freezes[6], freezes[13], freezes[20]) == (0, 1, 2, 2)
    assert summary.current == 22


def test_settle_freezes_a_day_that_has_passed_but_not_today() -> None:
    held = StreakSummary(5, 5, date(2026, 5, 10), freezes=2, rule=ST_JOHNS)
    assert streak.settle(held, date(2026, 5, 11), ST_JOHNS, noon(ST_JOHNS, date(2026, 5, 11))).frozen == ()
    step = streak.settle(held, date(2026, 5, 12), ST_JOHNS, noon(ST_JOHNS, date(2026, 5, 12)))
    assert (step.frozen, step.summary.freezes, step.summary.current) == ((date(2026, 5, 11),), 1, 5)


def test_standing_current_survives_missed_days_the_held_freezes_cover() -> None:
    held = StreakSummary(5, 5, date(2026, 5, 10), freezes=1, rule=ST_JOHNS)
    assert streak.standing_current(held, date(2026, 5, 12), ST_JOHNS, noon(ST_JOHNS, date(2026, 5, 12))) == 5
    assert streak.standing_current(held, date(2026, 5, 13), ST_JOHNS, noon(ST_JOHNS, date(2026, 5, 13))) == 0


def test_flight_tokyo_to_los_angeles_neither_loses_nor_gains_a_day() -> None:
    checkins = [
        (utc("2026-06-01T00:00:00"), TOKYO),  # 09:00 on 1 June in Tokyo
        (utc("2026-06-01T23:00:00"), TOKYO),  # 08:00 on 2 June in Tokyo, then a 10-hour flight east
        (utc("2026-06-02T17:00:00"), LOS_ANGELES),  # 10:00 on 2 June in Los Angeles: already counted
        (utc("2026-06-03T17:00:00"), LOS_ANGELES),  # 10:00 on 3 June
    ]
    summaries = [summary_after(checkins[: i + 1]) for i in range(len(checkins))]
    assert [run(s) for s in summaries] == [
        (1, 1, date(2026, 6, 1)),
        (2, 2, date(2026, 6, 2)),
        (2, 2, date(2026, 6, 2)),
        (3, 3, date(2026, 6, 3)),
    ]


def test_flight_los_angeles_to_tokyo_keeps_the_streak_over_the_date_it_skips() -> None:
    checkins = [
        (utc("2026-06-01T15:00:00"), LOS_ANGELES),  # 08:00 on 1 June in Los Angeles
        (utc("2026-06-02T15:00:00"), LOS_ANGELES),  # 08:00 on 2 June; departs at 23:50, 11 hours' flight
        (utc("2026-06-04T13:00:00"), TOKYO),  # 22:00 on 4 June in Tokyo: 3 June passed in the air
    ]
    assert run(summary_after(checkins)) == (3, 3, date(2026, 6, 4))


def test_a_day_missed_after_the_flight_still_breaks_the_streak() -> None:
    checkins = [
        (utc("2026-06-01T15:00:00"), LOS_ANGELES),
        (utc("2026-06-02T15:00:00"), LOS_ANGELES),
        (utc("2026-06-05T13:00:00"), TOKYO),  # 5 June in Tokyo: 4 June was lived and missed
    ]
    assert run(summary_after(checkins)) == (1, 2, date(2026, 6, 5))


LONDON = DayRule("Europe/London")
PARIS = DayRule("Europe/Paris")


def test_a_day_missed_before_a_move_one_zone_east_breaks_the_streak() -> None:
    held = StreakSummary(5, 5, date(2026, 1, 10), rule=LONDON)
    step = streak.next_summary(held, date(2026, 1, 12), PARIS, noon(PARIS, date(2026, 1, 12)))
    assert (step.summary.current, step.summary.longest) == (1, 5)


def test_a_day_missed_before_an_earlier_day_start_breaks_the_streak() -> None:
    late_start = DayRule("Europe/London", time(6))
    held = StreakSummary(5, 5, date(2026, 1, 10), rule=late_start)
    step = streak.next_summary(held, date(2026, 1, 12), LONDON, noon(LONDON, date(2026, 1, 12)))
    assert (step.summary.current, step.summary.longest) == (1, 5)


def test_moving_one_zone_east_per_check_in_every_other_day_keeps_no_streak() -> None:
    zones = ["Europe/London", "Europe/Paris", "Europe/Athens", "Europe/Moscow", "Asia/Dubai"]
    summary = StreakSummary()
    for i, zone_name in enumerate(zones):
        rule = DayRule(zone_name)
        day = date(2026, 1, 10) + timedelta(days=2 * i)
        summary = streak.next_summary(summary, day, rule, noon(rule, day)).summary
    assert (summary.current, summary.longest) == (1, 1)


def test_a_check_in_on_the_next_date_of_the_old_zone_continues_after_a_move_east() -> None:
    # 23:30 on 11 January in London is 00:30 on 12 January in Paris: no London date went unchecked.
    held = StreakSummary(5, 5, date(2026, 1, 10), rule=LONDON)
    step = streak.next_summary(held, date(2026, 1, 12), PARIS, utc("2026-01-11T23:30:00"))
    assert step.summary.current == 6


def test_night_owl_with_a_four_oclock_day_start_checks_in_for_the_previous_day() -> None:
    owl = DayRule("Europe/Berlin", time(4))
    assert owl.local_day(datetime(2026, 6, 5, 1, 30, tzinfo=owl.zone)) == date(2026, 6, 4)
    assert owl.local_day(datetime(2026, 6, 5, 4, 0, tzinfo=owl.zone)) == date(2026, 6, 5)
    checkins = [
        (datetime(2026, 6, 3, 23, 0, tzinfo=owl.zone), owl),  # 3 June
        (datetime(2026, 6, 5, 1, 30, tzinfo=owl.zone), owl),  # 4 June, after midnight
        (datetime(2026, 6, 5, 22, 0, tzinfo=owl.zone), owl),  # 5 June
    ]
    assert run(summary_after(checkins)) == (3, 3, date(2026, 6, 5))


def gaming(user: dict[str, object], zone_names: list[str], start: datetime) -> dict[str, object]:
    """Replays check-ins seconds apart, each from a device in the next zone."""
    for i, zone_name in enumerate(zone_names):
        now = start + timedelta(seconds=5 * i)
        decision = decide(user, zone_name, now)
        user = user | decision.user_fields(now)
    return user


def test_three_zones_a_few_seconds_apart_count_one_day() -> None:
    user = gaming({}, ["Etc/GMT+12", "UTC", "Etc/GMT-14"], utc("2026-06-01T11:00:00"))
    assert (summary_of(user).current, user["timezone"]) == (1, "Etc/GMT+12")


def test_a_device_moves_the_profile_zone_once_per_24_hours() -> None:
    user = gaming({}, ["Asia/Tokyo"], utc("2026-06-01T00:00:00"))
    assert day_rule.next_change_at(user) == utc("2026-06-02T00:00:00")
    refused = decide(user, "America/Los_Angeles", utc("2026-06-01T23:59:59"))
    assert (refused.rule.timezone, refused.rule_changed) == ("Asia/Tokyo", False)
    moved = decide(user, "America/Los_Angeles", utc("2026-06-02T00:00:00"))
    assert (moved.rule.timezone, moved.rule_changed) == ("America/Los_Angeles", True)


def test_streak_today_judges_today_by_the_profile_day_rule() -> None:
    user = {
        "timezone": "Asia/Tokyo",
        "day_start": "04:00",
        "streak": {"current": 3, "longest": 3, "last_day": "2026-06-04"},
    }
    at_half_past_one = datetime(2026, 6, 5, 1, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert streak_today(user, at_half_past_one) == streak_today(user, at_half_past_one).__class__(
        today=date(2026, 6, 4), today_done=True, current=3, freezes=0, freeze_due=False
    )
    at_nine = datetime(2026, 6, 5, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert (streak_today(user, at_nine).today, streak_today(user, at_nine).today_done) == (date(2026, 6, 5), False)


def test_streak_today_says_when_a_freeze_is_due() -> None:
    user = {"streak": StreakSummary(4, 4, date(2026, 6, 1), freezes=1, rule=DayRule()).as_field()}
    today = streak_today(user, utc("2026-06-03T08:00:00"))
    assert (today.freeze_due, today.current, today.freezes) == (True, 4, 0)
    assert not streak_today(user, utc("2026-06-02T08:00:00")).freeze_due
