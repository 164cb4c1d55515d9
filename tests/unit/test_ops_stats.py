"""`wellness-ops stats` without a stack: counters per kind and variant read from a day's maps,
open rates, and the 14-day chart."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from ops import daily_stats
from ops.kind_counters import Opens, count_of, kinds_of, rate_text, total, variants_of
from ops.open_chart import OPENED, SENT, WIDTH, bar, bar_length, chart_lines

DAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("value", "counted"),
    [(7, 7), (2.0, 2), (0, 0), (None, 0), ("7", 0), (-3, 0), (True, 0), (float("nan"), 0), (float("inf"), 0), ([1], 0)],
)
def test_a_counter_that_is_not_a_count_from_zero_up_counts_zero(value: object, counted: int) -> None:
    assert count_of(value) == counted


def test_a_day_without_kinds_or_variants_shows_every_known_kind_and_variant_at_zero() -> None:
    assert kinds_of({"sent": 4}) == {
        "daily_reminder": dict.fromkeys(kinds_of({})["daily_reminder"], 0),
        "streak_at_risk": dict.fromkeys(kinds_of({})["streak_at_risk"], 0),
        "payment_failed": dict.fromkeys(kinds_of({})["payment_failed"], 0),
    }
    assert variants_of({"sent": 4}) == {
        "daily_reminder": {"a": Opens(), "b": Opens()},
        "streak_at_risk": {"a": Opens(), "b": Opens()},
        "payment_failed": {"a": Opens(), "b": Opens()},
    }


def test_a_kinds_counters_are_read_and_missing_ones_are_zero() -> None:
    kinds = kinds_of({"kinds": {"streak_at_risk": {"due": 5, "sent": 2, "skipped_not_at_risk": 3}}})
    assert kinds["streak_at_risk"]["due"] == 5
    assert kinds["streak_at_risk"]["skipped_not_at_risk"] == 3
    assert kinds["streak_at_risk"]["failed"] == 0
    assert kinds["daily_reminder"]["sent"] == 0


def test_malformed_maps_and_values_are_ignored_without_a_crash() -> None:
    document: dict[str, Any] = {
        "kinds": {"daily_reminder": "lots", "streak_at_risk": {"sent": "9", "due": -2, "failed": 1}, "": {"sent": 1}},
        "variants": {
            "daily_reminder": {"a": {"sent": 4, "opened": "2"}, "b": 17, "c": ["x"]},
            "streak_at_risk": "none",
            "weekly": 3,
        },
    }
    assert set(kinds_of(document)) == {"daily_reminder", "streak_at_risk", "payment_failed"}
    assert kinds_of(document)["daily_reminder"]["sent"] == 0
    assert (kinds_of(document)["streak_at_risk"]["sent"], kinds_of(document)["streak_at_risk"]["due"]) == (0, 0)
    assert kinds_of(document)["streak_at_risk"]["failed"] == 1
    assert variants_of(document) == {
        "daily_reminder": {"a": Opens(4, 0), "b": Opens()},
        "streak_at_risk": {"a": Opens(), "b": Opens()},
        "payment_failed": {"a": Opens(), "b": Opens()},
    }
    assert kinds_of({"kinds": "x", "variants": None}) == kinds_of({})


def test_an_unknown_well_formed_kind_or_variant_is_shown_after_the_known_ones() -> None:
    document = {"variants": {"daily_reminder": {"c": {"sent": 3, "opened": 1}}, "weekly_digest": {"a": {"sent": 1}}}}
    variants = variants_of(document)
    assert list(variants) == ["daily_reminder", "streak_at_risk", "payment_failed", "weekly_digest"]
    assert list(variants["daily_reminder"]) == ["a", "b", "c"]
    assert variants["daily_reminder"]["c"] == Opens(3, 1)
    assert variants["weekly_digest"]["a"] == Opens(1, 0)
    assert list(kinds_of(document)) == ["daily_reminder", "streak_at_risk", "payment_failed", "weekly_digest"]


def test_the_open_rate_is_opened_over_sent_and_none_when_nothing_was_sent() -> None:
    assert Opens(3, 1).rate == pytest.approx(1 / 3)
    assert rate_text(Opens(3, 1).rate) == "33.3%"
    assert rate_text(Opens(8, 8).rate) == "100.0%"
    assert Opens(0, 0).rate is None
    assert rate_text(Opens(0, 2).rate) == "—"
    assert Opens(0, 0).as_json() == {"sent": 0, "opened": 0, "open_rate": None}
    assert total([Opens(4, 1), Opens(6, 2)]) == Opens(10, 3)


def test_skipped_adds_the_cap_and_the_short_streak_skips_to_the_others() -> None:
    stats = daily_stats.stats_of(
        DAY,
        {
            "due": 12,
            "sent": 3,
            "opened": 1,
            "skipped_done": 1,
            "skipped_off": 1,
            "skipped_duplicate": 1,
            "no_device": 1,
            "skipped_cap": 2,
            "skipped_not_at_risk": 3,
            "kinds": {"streak_at_risk": {"due": 4, "skipped_not_at_risk": 3, "skipped_cap": 1}},
        },
        {},
    )
    assert stats.skipped == 9
    shown = stats.as_json()
    assert shown["reminders"]["skipped"] == 9
    assert shown["reminders"]["opened"] == 1
    assert shown["kinds"]["streak_at_risk"]["skipped"] == 4
    assert shown["kinds"]["daily_reminder"]["skipped"] == 0


def test_the_json_of_a_day_has_each_variants_sent_opened_and_open_rate() -> None:
    document = {"variants": {"daily_reminder": {"a": {"sent": 4, "opened": 1}, "b": {"sent": 0, "opened": 0}}}}
    shown = daily_stats.stats_of(DAY, document, {}).as_json()
    assert shown["variants"]["daily_reminder"] == {
        "a": {"sent": 4, "opened": 1, "open_rate": 0.25},
        "b": {"sent": 0, "opened": 0, "open_rate": None},
    }
    assert shown["variants"]["streak_at_risk"]["a"]["open_rate"] is None
    assert set(shown) == {"day", "reminders", "webhooks", "kinds", "variants"}


def test_opens_counted_in_shards_add_to_the_days_own_and_to_each_variants() -> None:
    # Opens from before the shards (on the day's document) and from two shards, one malformed.
    document = {"opened": 1, "variants": {"daily_reminder": {"a": {"sent": 10, "opened": 1}}}}
    shards = [
        {"opened": 2, "variants": {"daily_reminder": {"a": {"opened": 1}, "b": {"opened": 1}}}},
        {"opened": "3", "variants": {"daily_reminder": {"a": {"opened": 2}}, "new_kind": {"x": {"opened": 1}}}},
    ]
    stats = daily_stats.stats_of(DAY, document, {}, shards)
    assert stats.reminders["opened"] == 3
    assert stats.variants["daily_reminder"]["a"] == Opens(sent=10, opened=4)
    assert stats.variants["daily_reminder"]["b"] == Opens(sent=0, opened=1)
    assert stats.variants["new_kind"]["x"] == Opens(sent=0, opened=1)
    assert stats.variants["streak_at_risk"]["a"] == Opens()


@pytest.mark.parametrize(
    ("value", "top", "length"), [(100, 100, 20), (50, 100, 10), (1, 1000, 1), (0, 100, 0), (5, 0, 0), (3, 2, 20)]
)
def test_a_bar_is_scaled_to_the_top_and_a_count_above_zero_always_shows(value: int, top: int, length: int) -> None:
    assert bar_length(value, top, 20) == length


def test_a_bar_draws_the_opened_part_solid_within_the_sent_part() -> None:
    assert bar(Opens(10, 5), 20, 8) == OPENED * 2 + SENT * 2 + " " * 4
    assert bar(Opens(0, 0), 20, 8) == " " * 8
    assert bar(Opens(2, 9), 4, 8) == OPENED * 4 + " " * 4


def fortnight(sent_of: Any) -> list[tuple[str, dict[str, Opens]]]:
    return [
        (
            (DAY - timedelta(days=13 - i)).isoformat(),
            {kind: sent_of(i, kind) for kind in ("daily_reminder", "streak_at_risk")},
        )
        for i in range(14)
    ]


def test_the_chart_has_a_header_and_one_line_per_day_within_80_columns() -> None:
    lines = chart_lines(fortnight(lambda i, kind: Opens(1000 * i + 99_999, 10 * i)))
    assert len(lines) == 15
    assert "daily_reminder" in lines[0]
    assert "streak_at_risk" in lines[0]
    assert [line[:10] for line in lines[1:]] == [(DAY - timedelta(days=13 - i)).isoformat() for i in range(14)]
    assert all(len(line) <= WIDTH for line in lines)


def test_the_chart_scales_every_bar_to_the_fortnights_largest_send() -> None:
    lines = chart_lines(fortnight(lambda i, kind: Opens(100 if (i, kind) == (6, "streak_at_risk") else 10, 0)))
    # Two kinds with three-digit counts leave 22 columns per bar in 80: 100 fills it, 10 is 2.
    assert lines[7].count(SENT) == 2 + 22
    assert all(line.count(SENT) == 2 + 2 for line in lines[1:] if line is not lines[7])


def test_the_chart_shows_the_open_rate_and_a_dash_for_a_day_without_sends() -> None:
    lines = chart_lines(fortnight(lambda i, kind: Opens(8, 2) if i == 13 else Opens()))
    assert lines[-1].count("25.0%") == 2
    assert lines[1].count("—") == 2
    assert OPENED not in lines[1]
    assert SENT not in lines[1]


def test_a_third_kind_gets_its_own_column_in_the_chart() -> None:
    days = [(d, {**by_kind, "weekly_digest": Opens(4, 1)}) for d, by_kind in fortnight(lambda i, kind: Opens(4, 2))]
    lines = chart_lines(days)
    assert "weekly_digest" in lines[0]
    assert all(line.count("%") == 3 for line in lines[1:])
