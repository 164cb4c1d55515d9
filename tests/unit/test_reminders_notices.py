"""Where the tick puts a due account notice (functions/reminders/notice_queue.py), and which
kinds are notices rather than scheduled reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from functions.reminders.kinds import SCHEDULED, Kind
from functions.reminders.notice_queue import Placed, placement
from functions.reminders.notices import notice_id, notify
from functions.reminders.notification_preferences import Category

NOTICE = {"uid": "u1", "kind": "payment_failed", "key": "cus_1/2026-05-10T00:00:00+00:00"}


def test_a_notice_due_outside_quiet_hours_goes_now_on_the_users_local_date() -> None:
    now = datetime(2026, 5, 4, 23, 30, tzinfo=UTC)  # 09:30 on 5 May in Sydney
    placed = placement(NOTICE, {"timezone": "Australia/Sydney"}, now)
    assert placed.later is None
    assert placed.due is not None
    assert (placed.due.uid, placed.due.kind, placed.due.local_date, placed.due.due_at) == (
        "u1",
        Kind.PAYMENT_FAILED,
        date(2026, 5, 5),
        now,
    )


def test_a_notice_handed_over_again_after_the_users_midnight_keeps_the_day_it_came_due() -> None:
    """A tick that dies after the enqueue leaves the notice to the next tick; its send record, keyed by
    user, day and kind, must be the same one, or the notice is pushed twice."""
    due = NOTICE | {"due_at": datetime(2026, 5, 4, 23, 58, tzinfo=UTC)}
    user = {"timezone": "UTC", "reminder": {"timezone": "UTC", "quiet_start": "00:00", "quiet_end": "00:00"}}
    before = placement(due, user, datetime(2026, 5, 4, 23, 59, tzinfo=UTC))
    after = placement(due, user, datetime(2026, 5, 5, 0, 4, tzinfo=UTC))
    assert before.due is not None
    assert after.due is not None
    assert before.due.local_date == after.due.local_date == date(2026, 5, 4)


def test_a_notice_due_in_quiet_hours_moves_to_their_end_in_the_reminders_zone() -> None:
    now = datetime(2026, 5, 4, 23, 30, tzinfo=UTC)
    reminder = {"enabled": False, "timezone": "Europe/Paris", "quiet_start": "21:00", "quiet_end": "08:15"}
    placed = placement(NOTICE, {"timezone": "UTC", "reminder": reminder}, now)
    assert placed == Placed(later=datetime(2026, 5, 5, 6, 15, tzinfo=UTC))


def test_a_notice_without_a_zone_uses_utc_and_the_default_quiet_hours() -> None:
    assert placement(NOTICE, {}, datetime(2026, 5, 4, 23, 0, tzinfo=UTC)) == Placed(
        later=datetime(2026, 5, 5, 7, 0, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("notice", "user"),
    [
        (NOTICE, None),  # the account was deleted
        (NOTICE | {"kind": "no_such_kind"}, {}),
        (NOTICE, {"timezone": "Mars/Base"}),
        (NOTICE, {"reminder": {"timezone": "UTC", "quiet_start": "25:00"}}),
    ],
)
def test_a_notice_for_no_user_or_malformed_goes_nowhere(notice: dict[str, str], user: dict[str, object] | None) -> None:
    assert placement(notice, user, datetime(2026, 5, 4, 12, 0, tzinfo=UTC)) == Placed()


def test_notices_are_account_notices_and_never_scheduled() -> None:
    assert Kind.PAYMENT_FAILED.category is Category.ACCOUNT_NOTICES
    assert Kind.PAYMENT_FAILED not in SCHEDULED
    assert [kind.category.value for kind in SCHEDULED] == [kind.value for kind in SCHEDULED]


def test_a_notice_is_keyed_by_user_kind_and_matter_and_only_notices_can_be_asked_for() -> None:
    first = notice_id("u1", Kind.PAYMENT_FAILED, "cus_1/a")
    assert first == notice_id("u1", Kind.PAYMENT_FAILED, "cus_1/a")
    assert first != notice_id("u1", Kind.PAYMENT_FAILED, "cus_1/b") != notice_id("u2", Kind.PAYMENT_FAILED, "cus_1/a")
    with pytest.raises(ValueError, match="not a notice"):
        notify("u1", Kind.DAILY_REMINDER, "x", datetime(2026, 5, 4, tzinfo=UTC))
