"""The copy of the last days' marks kept in the streak summary (functions/streaks/recent.py): it
says what the check-in and frozen-day documents say, and is trusted only with its own summary."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.streaks import recent, streak
from functions.streaks.recent import Marks
from tests.support.examples import examples

DAY = date(2026, 6, 10)
SUMMARY = {"current": 2, "longest": 2, "last_day": "2026-06-10", "freezes": 0}


def test_a_check_in_over_a_frozen_day_leaves_it_done_only() -> None:
    marks = Marks(frozen=frozenset({DAY})).with_days([DAY], [], DAY)
    assert (marks.done, marks.frozen) == (frozenset({DAY}), frozenset())


def test_a_freeze_over_a_day_marked_done_leaves_it_frozen_only() -> None:
    marks = Marks(done=frozenset({DAY - timedelta(days=1)})).with_days([], [DAY - timedelta(days=1)], DAY)
    assert (marks.done, marks.frozen) == (frozenset(), frozenset({DAY - timedelta(days=1)}))


def test_marks_older_than_the_days_kept_are_dropped() -> None:
    oldest_kept = DAY - timedelta(days=recent.KEEP_DAYS - 1)
    marks = Marks(done=frozenset({oldest_kept, oldest_kept - timedelta(days=1)})).with_days([DAY], [], DAY)
    assert marks.done == {oldest_kept, DAY}


def test_the_copy_is_read_back_with_its_own_summary() -> None:
    written = recent.Marks(frozenset({DAY}), frozenset({DAY - timedelta(days=1)})).as_field(SUMMARY)
    assert recent.stored({"streak": {**SUMMARY, recent.FIELD: written}}) == Marks(
        frozenset({DAY}), frozenset({DAY - timedelta(days=1)})
    )


def test_a_copy_left_beside_another_summary_is_not_trusted() -> None:
    written = recent.Marks(frozenset({DAY})).as_field(SUMMARY)
    moved = {**SUMMARY, "current": 5, "last_day": "2026-06-11", recent.FIELD: written}
    assert recent.stored({"streak": moved}) is None


def test_a_summary_without_a_copy_has_none() -> None:
    assert recent.stored({"streak": SUMMARY}) is None
    assert recent.stored({}) is None


# A day's writes: the day checked in or not, and the earlier days a freeze covers.
_steps = st.lists(
    st.tuples(st.integers(1, 3), st.booleans(), st.sets(st.integers(1, 4), max_size=3)), min_size=1, max_size=60
)


@settings(max_examples=examples(200), deadline=None)
@given(_steps)
def test_the_copy_says_what_the_documents_say_over_the_days_the_view_shows(
    steps: list[tuple[int, bool, set[int]]],
) -> None:
    documents: dict[date, bool] = {}  # local date → frozen, as users/{uid}/checkins holds them
    copy = Marks()
    today = DAY
    for advance, checked_in, frozen_back in steps:
        today += timedelta(days=advance)
        frozen = [today - timedelta(days=back) for back in frozen_back]
        done = [today] if checked_in else []
        documents.update({day: True for day in frozen} | {day: False for day in done})
        copy = copy.with_days(done, frozen, today)
        first = today - timedelta(days=streak.RECENT_DAYS - 1)
        shown = (
            {d for d, f in documents.items() if not f and first <= d <= today},
            {d for d, f in documents.items() if f and first <= d <= today},
        )
        assert copy.between(first, today) == shown
