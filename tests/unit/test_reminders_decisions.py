"""The pure decisions of reminders: claims, per-user results, backoff, skips, text, batch names."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from functions.reminders.batch import DueUser
from functions.reminders.delivery import backoff_s, first_status, line_fields, user_status
from functions.reminders.send_records import Claim, Owner, SendStatus, claim_decision
from functions.reminders.tick import advance_of, batch_name, shard_of
from functions.reminders.wording import reminder_text
from functions.streaks.public import StreakToday, streak_today
from lib.push import Delivery, Outcome

OWNER = Owner("r-batch", 1)


def test_no_record_is_taken() -> None:
    assert claim_decision(None, OWNER) is Claim.TAKE


def test_own_earlier_unsettled_attempt_is_taken_back() -> None:
    assert claim_decision({"status": "claimed", "batch": "r-batch", "attempt": 0}, OWNER) is Claim.TAKE
    assert claim_decision({"status": "retry", "batch": "r-batch", "attempt": 0}, OWNER) is Claim.TAKE


def test_own_earlier_settled_attempt_was_already_counted() -> None:
    assert claim_decision({"status": "sent", "batch": "r-batch", "attempt": 0}, OWNER) is Claim.ALREADY_COUNTED


@pytest.mark.parametrize("status", ["claimed", "sent", "failed", "retry"])
def test_another_batchs_record_is_a_duplicate(status: str) -> None:
    assert claim_decision({"status": status, "batch": "r-other", "attempt": 0}, OWNER) is Claim.DUPLICATE


def test_same_named_copy_at_the_same_attempt_is_a_duplicate() -> None:
    assert claim_decision({"status": "claimed", "batch": "r-batch", "attempt": 1}, OWNER) is Claim.DUPLICATE


def sent() -> Outcome:
    return Outcome(Delivery.SENT)


def retry(after: int | None = None) -> Outcome:
    return Outcome(Delivery.RETRY, "RESOURCE_EXHAUSTED", after)


def dead() -> Outcome:
    return Outcome(Delivery.DEAD_ADDRESS, "NOT_FOUND")


@pytest.mark.parametrize(
    ("outcomes", "last", "expected"),
    [
        ([sent(), dead()], False, SendStatus.SENT),
        ([retry(), sent()], False, SendStatus.SENT),
        ([retry(), dead()], False, SendStatus.RETRY),
        ([retry()], True, SendStatus.FAILED),
        ([dead(), dead()], False, SendStatus.NO_DEVICE),
        ([], False, SendStatus.NO_DEVICE),
        ([Outcome(Delivery.FAILED, "THIRD_PARTY_AUTH_ERROR")], False, SendStatus.FAILED),
    ],
)
def test_user_status_from_device_outcomes(outcomes: list[Outcome], last: bool, expected: SendStatus) -> None:
    assert user_status(outcomes, last) is expected


def test_backoff_doubles_per_attempt_and_honours_retry_after() -> None:
    assert [backoff_s([retry()], attempt, 2) for attempt in range(4)] == [2, 4, 8, 16]
    assert backoff_s([retry(30), retry(5)], 0, 2) == 30


def status_at(user: dict[str, object], at: datetime) -> SendStatus:
    return first_status(user, streak_today(user, at))


def test_first_status_skips_checked_in_and_disabled_users() -> None:
    evening = datetime(2026, 5, 4, 18, 0, tzinfo=UTC)
    on = {"reminder": {"enabled": True}}
    assert status_at(on | {"streak": {"last_day": "2026-05-04"}}, evening) is SendStatus.SKIPPED_DONE
    assert status_at(on | {"streak": {"last_day": "2026-05-03"}}, evening) is SendStatus.CLAIMED
    assert status_at({"reminder": {"enabled": False}}, evening) is SendStatus.SKIPPED_OFF
    assert status_at({}, evening) is SendStatus.SKIPPED_OFF


def test_first_status_judges_today_by_the_profile_day_start() -> None:
    # 01:30 in Tokyo on 5 May with a 04:00 day start is still 4 May, already checked in.
    user = {"reminder": {"enabled": True}, "timezone": "Asia/Tokyo", "day_start": "04:00"}
    checked = user | {"streak": {"current": 1, "longest": 1, "last_day": "2026-05-04"}}
    assert status_at(checked, datetime(2026, 5, 4, 16, 30, tzinfo=UTC)) is SendStatus.SKIPPED_DONE
    assert status_at(checked, datetime(2026, 5, 4, 19, 30, tzinfo=UTC)) is SendStatus.CLAIMED


def test_text_mentions_a_live_streak() -> None:
    title, body = reminder_text(StreakToday(date(2026, 5, 4), False, current=4, freezes=0, freeze_due=False))
    assert title == "Keep your 4-day streak going"
    assert "make it 5" in body


def test_text_without_a_live_streak_invites_a_new_one() -> None:
    title, _ = reminder_text(StreakToday(date(2026, 5, 4), False, current=0, freezes=0, freeze_due=False))
    assert title == "Time for your check-in"


def test_batch_name_depends_only_on_its_users() -> None:
    users = [DueUser(uid="a", local_date=date(2026, 1, 2)), DueUser(uid="b", local_date=date(2026, 1, 2))]
    day = date(2026, 1, 2)
    assert batch_name(day, users) == batch_name(day, list(users))
    assert batch_name(day, users) != batch_name(day, users[:1])
    assert 0 <= shard_of(batch_name(day, users), 4) < 4


def test_advance_takes_the_local_date_of_the_slot_and_moves_past_now() -> None:
    user = {
        "uid": "u1",
        "reminder": {
            "enabled": True,
            "local_time": "23:30",
            "timezone": "America/New_York",
            "quiet_start": "00:00",
            "quiet_end": "00:00",
        },
        "next_at": datetime(2026, 1, 3, 4, 30, tzinfo=UTC),  # 23:30 EST on Jan 2
    }
    advance = advance_of("u1", user, datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    assert advance.due == DueUser(uid="u1", local_date=date(2026, 1, 2), due_at=datetime(2026, 1, 3, 4, 30, tzinfo=UTC))
    assert advance.next_at == datetime(2026, 1, 6, 4, 30, tzinfo=UTC)


def test_advance_of_a_reminder_without_quiet_hours_stored_uses_the_default_ones() -> None:
    user = {
        "uid": "u1",
        "reminder": {"enabled": True, "local_time": "23:30", "timezone": "America/New_York"},
        "next_at": datetime(2026, 1, 3, 4, 30, tzinfo=UTC),
    }
    advance = advance_of("u1", user, datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    assert advance.next_at == datetime(2026, 1, 6, 12, 0, tzinfo=UTC)  # 07:00 EST, the end of 22:00-07:00


def test_advance_of_a_broken_reminder_removes_next_at() -> None:
    user = {
        "uid": "u1",
        "reminder": {"enabled": True, "local_time": "7pm", "timezone": "UTC"},
        "next_at": datetime.now(UTC),
    }
    assert advance_of("u1", user, datetime.now(UTC)).next_at is None


@pytest.mark.parametrize("uid", ["__main__", "a/b", "", "\udb22\udcde", "x" * 129])
def test_batch_refuses_uids_that_are_not_document_ids(uid: str) -> None:
    with pytest.raises(ValueError, match="uid"):
        DueUser(uid=uid, local_date=date(2026, 1, 1))


def test_a_batch_line_carries_its_failed_share_for_the_failure_alert() -> None:
    fields = line_fields(8, Counter(sent=5, failed=2, retried=1))
    assert fields == {"users": 8, "sent": 5, "failed": 2, "retried": 1, "failed_share": 0.25}
    assert line_fields(0, Counter())["failed_share"] == 0.0
