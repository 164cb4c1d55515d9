"""bench.coldstart's bookkeeping: which floors it measures and what its last lines say."""

from __future__ import annotations

from bench.coldstart import CHOSEN, FIRESTORE_FLOOR, Result, Timing, floor_sets, floor_summary, summary

PROFILE = frozenset({"functions_framework", "flask", "pydantic.main", "google.cloud.firestore", "firebase_admin.auth"})
TICK = frozenset({"functions_framework", "flask", "pydantic.main", "google.cloud.firestore", "google.cloud.tasks_v2"})


def result(name: str, own_ms: float, monolith_ms: float, sdks: frozenset[str] = frozenset()) -> Result:
    return Result(name, "GET /x", [Timing(own_ms, own_ms)], [Timing(monolith_ms, monolith_ms)], sdks)


def test_entry_points_loading_the_same_sdks_share_one_floor_without_the_chosen_libraries() -> None:
    sets = floor_sets(
        [
            result("auth_hooks-me", 1, 2, PROFILE | {"yaml"}),
            result("streaks-streaks", 1, 2, PROFILE | {"yaml", "tenacity"}),
            result("reminders-tick", 1, 2, TICK | {"yaml"}),
        ]
    )
    assert sets == {
        PROFILE: "floor:auth_hooks-me+streaks-streaks",
        TICK: "floor:reminders-tick",
        FIRESTORE_FLOOR: "floor:firestore-floor",
    }
    assert all(not CHOSEN & sdks for sdks in sets)


def test_an_entry_point_that_loads_only_the_firestore_floor_names_it_first() -> None:
    assert floor_sets([result("content_urls-content", 1, 2, FIRESTORE_FLOOR | {"yaml"})]) == {
        FIRESTORE_FLOOR: "floor:firestore-floor+content_urls-content"
    }


def test_the_floor_line_bounds_the_median_and_the_worst_by_each_entry_points_own_floor() -> None:
    results = [result("a", 1, 2, PROFILE), result("b", 1, 2, PROFILE), result("c", 1, 2, TICK)]
    by_sdks = {
        PROFILE: result("floor:a+b", 70, 100),
        TICK: result("floor:c", 90, 100),
        FIRESTORE_FLOOR: result("floor:firestore-floor", 60, 100),
    }
    assert floor_summary(results, by_sdks, "wall") == (
        "(wall time, floors) median_ratio>=0.70 worst_ratio>=0.90 (c) firestore_floor=0.60"
    )


def test_the_last_line_names_the_median_and_worst_ratios() -> None:
    line = summary([result("a-x", 60, 100), result("b-y", 90, 100), result("c-z", 70, 100)], "wall")
    assert line == (
        "coldstart functions=3 median_ratio=0.70 worst_function=b-y worst_ms=90 monolith_ms=100 worst_ratio=0.90"
    )
