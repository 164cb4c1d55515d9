"""The pure decisions of reminders: claims, per-user results, backoff, skips, text, batch names."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest

from functions.reminders.batch import DueUser
from functions.reminders.delivery import backoff_s, first_status, line_fields, over_cap, user_status
from functions.reminders.kinds import Kind, message_id, variant_of
from functions.reminders.send_records import Claim, Owner, SendStatus, claim_decision, day_records, record_id
from functions.reminders.tick import advance_of, batch_name, shard_of
from functions.reminders.wording import text
from functions.streaks.public import StreakToday, streak_today
from lib.push import Delivery, Outcome

OWNER = Owner("r-batch", 1, date(2026, 1, 2))


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


def status_at(
    user: dict[str, object], at: datetime, kind: Kind = Kind.DAILY_REMINDER, matter_open: bool = False
) -> SendStatus:
    return first_status(user, kind, streak_today(user, at), matter_open)


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


def test_the_at_risk_nudge_goes_to_streaks_of_three_or_more_not_done_today() -> None:
    evening = datetime(2026, 5, 4, 20, 0, tzinfo=UTC)
    on = {"reminder": {"enabled": True}}

    def streak(current: int, last_day: str) -> dict[str, object]:
        return on | {"streak": {"current": current, "longest": current, "last_day": last_day}}

    assert status_at(streak(3, "2026-05-03"), evening, Kind.STREAK_AT_RISK) is SendStatus.CLAIMED
    assert status_at(streak(2, "2026-05-03"), evening, Kind.STREAK_AT_RISK) is SendStatus.SKIPPED_NOT_AT_RISK
    assert status_at(streak(5, "2026-05-04"), evening, Kind.STREAK_AT_RISK) is SendStatus.SKIPPED_DONE
    # Two days missed and no freeze: the streak is gone, there is nothing to keep.
    assert status_at(streak(9, "2026-05-01"), evening, Kind.STREAK_AT_RISK) is SendStatus.SKIPPED_NOT_AT_RISK


def test_each_kind_honours_its_own_category() -> None:
    evening = datetime(2026, 5, 4, 20, 0, tzinfo=UTC)
    user = {
        "reminder": {"enabled": True},
        "streak": {"current": 4, "longest": 4, "last_day": "2026-05-03"},
        "notifications": {"streak_at_risk": False},
    }
    assert status_at(user, evening, Kind.STREAK_AT_RISK) is SendStatus.SKIPPED_OFF
    assert status_at(user, evening, Kind.DAILY_REMINDER) is SendStatus.CLAIMED


def test_an_account_notice_needs_its_category_and_an_open_matter_but_no_reminder_setting() -> None:
    evening = datetime(2026, 5, 4, 20, 0, tzinfo=UTC)
    checked_in = {"streak": {"current": 4, "longest": 4, "last_day": "2026-05-04"}}
    assert status_at(checked_in, evening, Kind.PAYMENT_FAILED, matter_open=True) is SendStatus.CLAIMED
    assert status_at({}, evening, Kind.PAYMENT_FAILED, matter_open=False) is SendStatus.SKIPPED_RESOLVED
    opted_out = {"reminder": {"enabled": True}, "notifications": {"account_notices": False}}
    assert status_at(opted_out, evening, Kind.PAYMENT_FAILED, matter_open=True) is SendStatus.SKIPPED_OFF
    assert status_at(opted_out, evening, Kind.DAILY_REMINDER) is SendStatus.CLAIMED


def due(uid: str, kind: Kind, day: date = date(2026, 1, 2)) -> DueUser:
    return DueUser(uid=uid, local_date=day, kind=kind)


def test_the_cap_counts_pushes_of_other_batches_then_this_ones_in_priority_order() -> None:
    claimed = [due("a", Kind.STREAK_AT_RISK), due("a", Kind.DAILY_REMINDER), due("b", Kind.DAILY_REMINDER)]
    assert over_cap(claimed, {}) == set()
    assert over_cap(claimed, {}, cap=1) == {0}  # the daily reminder comes first
    assert over_cap(claimed, {("b", date(2026, 1, 2)): 2}) == {2}
    assert over_cap(claimed, {("a", date(2026, 1, 1)): 2}) == set()  # another local day
    # An account notice is given the cap before either reminder.
    noticed = [due("a", Kind.STREAK_AT_RISK), due("a", Kind.DAILY_REMINDER), due("a", Kind.PAYMENT_FAILED)]
    assert over_cap(noticed, {}) == {0}
    assert over_cap(noticed, {("a", date(2026, 1, 2)): 1}) == {0, 1}
    # A notice is never refused, even on a day whose cap is spent: it is asked for only once.
    assert over_cap(noticed, {("a", date(2026, 1, 2)): 2}) == {0, 1}


def test_records_of_a_user_day_one_per_kind_the_daily_one_keeping_its_old_id() -> None:
    user = due("u_1", Kind.STREAK_AT_RISK)
    assert record_id(due("u_1", Kind.DAILY_REMINDER)) == "u_1_2026-01-02"
    assert record_id(user) == "u_1_2026-01-02_streak_at_risk"
    assert day_records(user) == ["u_1_2026-01-02", "u_1_2026-01-02_streak_at_risk", "u_1_2026-01-02_payment_failed"]


def test_variants_and_message_ids_are_fixed_per_user_and_kind() -> None:
    uids = [f"user-{i}" for i in range(200)]
    for kind in Kind:
        assert {variant_of(uid, kind) for uid in uids} == {"a", "b"}
        assert all(variant_of(uid, kind) == variant_of(uid, kind) for uid in uids)
    assert message_id("u_2026-01-02") == message_id("u_2026-01-02") != message_id("u_2026-01-03")


def streak_of(current: int) -> StreakToday:
    return StreakToday(date(2026, 5, 4), False, current=current, freezes=0, freeze_due=False)


def test_text_mentions_a_live_streak() -> None:
    title, body = text(Kind.DAILY_REMINDER, "a", streak_of(4))
    assert title == "Keep your 4-day streak going"
    assert "make it 5" in body


def test_text_without_a_live_streak_invites_a_new_one() -> None:
    title, _ = text(Kind.DAILY_REMINDER, "a", streak_of(0))
    assert title == "Time for your check-in"


@pytest.mark.parametrize("variant", ["a", "b"])
def test_the_at_risk_nudge_names_the_streak_and_differs_from_the_daily_text(variant: str) -> None:
    nudge = text(Kind.STREAK_AT_RISK, variant, streak_of(6))
    assert "6-day streak" in " ".join(nudge)
    assert nudge not in {text(Kind.DAILY_REMINDER, v, streak_of(6)) for v in ("a", "b")}
    assert nudge != text(Kind.STREAK_AT_RISK, "b" if variant == "a" else "a", streak_of(6))


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
    daily = DueUser(uid="u1", local_date=date(2026, 1, 2), due_at=datetime(2026, 1, 3, 4, 30, tzinfo=UTC))
    assert advance.due == (daily,)
    assert advance.next_by_kind[Kind.DAILY_REMINDER] == datetime(2026, 1, 6, 4, 30, tzinfo=UTC)
    # A document from before kinds gets its first at-risk firing scheduled, not sent at once.
    assert advance.next_by_kind[Kind.STREAK_AT_RISK] == datetime(2026, 1, 6, 1, 0, tzinfo=UTC)  # 20:00 EST
    assert advance.next_at == datetime(2026, 1, 6, 1, 0, tzinfo=UTC)


def test_advance_sends_each_kind_whose_firing_came_once_and_leaves_the_others() -> None:
    at_risk = datetime(2026, 1, 5, 20, 0, tzinfo=UTC)
    user = {
        "reminder": {"enabled": True, "local_time": "08:00", "timezone": "UTC", "at_risk_time": "20:00"},
        "next_at": at_risk,
        "next_by_kind": {"daily_reminder": datetime(2026, 1, 6, 8, 0, tzinfo=UTC), "streak_at_risk": at_risk},
    }
    advance = advance_of("u1", user, datetime(2026, 1, 5, 20, 1, tzinfo=UTC))
    assert advance.due == (DueUser(uid="u1", local_date=date(2026, 1, 5), due_at=at_risk, kind=Kind.STREAK_AT_RISK),)
    assert advance.next_by_kind == {
        Kind.DAILY_REMINDER: datetime(2026, 1, 6, 8, 0, tzinfo=UTC),
        Kind.STREAK_AT_RISK: datetime(2026, 1, 6, 20, 0, tzinfo=UTC),
    }
    # A tick two days late sends both kinds once, for the local dates they fired on.
    late = advance_of("u1", user, datetime(2026, 1, 7, 21, 0, tzinfo=UTC))
    assert [(u.kind, u.local_date) for u in late.due] == [
        (Kind.DAILY_REMINDER, date(2026, 1, 6)),
        (Kind.STREAK_AT_RISK, date(2026, 1, 5)),
    ]


def test_advance_of_a_reminder_without_quiet_hours_stored_uses_the_default_ones() -> None:
    user = {
        "uid": "u1",
        "reminder": {"enabled": True, "local_time": "23:30", "timezone": "America/New_York"},
        "next_at": datetime(2026, 1, 3, 4, 30, tzinfo=UTC),
    }
    advance = advance_of("u1", user, datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    # 07:00 EST, the end of 22:00-07:00
    assert advance.next_by_kind[Kind.DAILY_REMINDER] == datetime(2026, 1, 6, 12, 0, tzinfo=UTC)


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


def test_task_names_of_one_day_do_not_share_a_prefix() -> None:
    """Cloud Tasks slows down on task ids with sequential prefixes, such as a date first."""
    day = date(2026, 1, 2)
    names = [batch_name(day, [DueUser(uid=f"user-{n}", local_date=day)]) for n in range(64)]
    assert len({name[:2] for name in names}) > 32
    assert len({shard_of(name, 4) for name in names}) == 4
