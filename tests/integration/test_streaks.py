"""functions/streaks/checkins.py and freezes.py against the Firestore emulator: one conditional
commit per check-in, concurrent devices counted once and using at most one freeze per missed
day, retries idempotent, no profile needed, zone changes recorded."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

from google.cloud.firestore import DELETE_FIELD
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.streaks import checkins, recent
from functions.streaks.api import CheckinReply, CheckinRequest
from functions.streaks.freezes import use_freezes
from functions.streaks.summary import StreakSummary, summary_of
from lib.day_rule import DayRule
from tests.support.documents import checkin_days, user_ref
from tests.support.streaks import LocalDay, seed_streak

DEVICES = 16


def new_uid() -> str:
    return f"streak-{uuid.uuid4().hex[:12]}"


def check_in_from_devices(uid: str, *requests: CheckinRequest, devices: int = DEVICES) -> list[CheckinReply]:
    """Every device sends its check-in at the same moment, the requests shared out in turn."""
    start = threading.Barrier(devices)

    def device(request: CheckinRequest) -> CheckinReply:
        start.wait()
        return checkins.check_in(uid, request)

    with ThreadPoolExecutor(max_workers=devices) as pool:
        futures = [pool.submit(device, requests[i % len(requests)]) for i in range(devices)]
        return [f.result() for f in futures]


def test_concurrent_checkins_from_many_devices_count_the_day_once(stack: object) -> None:
    uid = new_uid()
    day = LocalDay("Pacific/Kiritimati")
    replies = check_in_from_devices(uid, CheckinRequest(timezone="Pacific/Kiritimati"))
    assert len({r.model_dump_json() for r in replies}) == 1
    reply = replies[0]
    assert reply.local_date in day.candidates()
    assert (reply.current, reply.longest, reply.last_day) == (1, 1, reply.local_date)
    assert checkin_days(uid) == [reply.local_date.isoformat()]


def test_concurrent_checkins_extend_an_existing_streak_by_one(stack: object) -> None:
    uid = new_uid()
    today = LocalDay("America/St_Johns").before
    seed_streak(uid, current=4, longest=9, last_day=today - timedelta(days=1), timezone="America/St_Johns")
    replies = check_in_from_devices(uid, CheckinRequest())
    assert {(r.current, r.longest, r.timezone) for r in replies} == {(5, 9, "America/St_Johns")}
    assert len(checkin_days(uid)) == 5


def test_concurrent_checkins_on_different_local_days_leave_a_consistent_summary(stack: object) -> None:
    # Etc/GMT+12 and Kiritimati are 26 hours apart: their devices always check in for
    # different local dates. Whatever the interleaving, the summary must be what some serial
    # order gives: its last day is the latest check-in and its streak the run ending there.
    for _ in range(3):
        uid = new_uid()
        behind = LocalDay("Etc/GMT+12").before
        seed_streak(uid, current=2, longest=2, last_day=behind - timedelta(days=1))
        check_in_from_devices(uid, CheckinRequest(timezone="Etc/GMT+12"), CheckinRequest(timezone="Pacific/Kiritimati"))
        summary = summary_of(user_ref(uid).get().to_dict() or {})
        days = [date.fromisoformat(d) for d in checkin_days(uid)]
        assert summary.last_day == max(days)
        run = 1
        while summary.last_day - timedelta(days=run) in days:
            run += 1
        assert summary.current == run


def test_retry_answers_the_same_streak_and_writes_nothing(stack: object) -> None:
    uid = new_uid()
    first = checkins.check_in(uid, CheckinRequest(timezone="Europe/Paris"))
    stored = user_ref(uid).collection("checkins").document(first.local_date.isoformat()).get()
    retry = checkins.check_in(uid, CheckinRequest(timezone="Europe/Paris"))
    assert retry == first
    again = user_ref(uid).collection("checkins").document(first.local_date.isoformat()).get()
    assert again.update_time == stored.update_time


def test_checkin_without_a_profile_writes_only_the_streak(stack: object) -> None:
    uid = new_uid()
    reply = checkins.check_in(uid, CheckinRequest())
    assert reply.timezone == "UTC"
    stored = user_ref(uid).get().to_dict() or {}
    assert set(stored) == {"streak"}
    assert summary_of(stored) == StreakSummary(
        1, 1, reply.local_date, started_at=stored["streak"]["started_at"], rule=DayRule("UTC")
    )


def test_checkin_keeps_the_profile_fields_and_uses_its_timezone(stack: object) -> None:
    uid = new_uid()
    user_ref(uid).set({"uid": uid, "display_name": "Ana", "timezone": "Pacific/Kiritimati"})
    day = LocalDay("Pacific/Kiritimati")
    reply = checkins.check_in(uid, CheckinRequest())
    assert reply.timezone == "Pacific/Kiritimati"
    assert reply.local_date in day.candidates()
    profile = user_ref(uid).get().to_dict() or {}
    assert (profile["display_name"], profile["timezone"]) == ("Ana", "Pacific/Kiritimati")


def test_a_missed_day_restarts_the_streak_at_one(stack: object) -> None:
    uid = new_uid()
    today = LocalDay("UTC").before
    seed_streak(uid, current=6, longest=6, last_day=today - timedelta(days=2))
    reply = checkins.check_in(uid, CheckinRequest(timezone="UTC"))
    assert (reply.current, reply.longest) == (1, 6)


def test_a_date_sent_by_an_older_app_is_ignored(stack: object) -> None:
    uid = new_uid()
    day = LocalDay("UTC")
    request = CheckinRequest.model_validate(
        {"timezone": "UTC", "local_date": (day.before - timedelta(days=1)).isoformat()}
    )
    reply = checkins.check_in(uid, request)
    assert reply.local_date in day.candidates()
    assert checkin_days(uid) == [reply.local_date.isoformat()]


def test_streak_lists_the_last_thirty_days_with_those_done(stack: object) -> None:
    uid = new_uid()
    today = LocalDay("Asia/Kolkata").before
    seed_streak(uid, current=3, longest=3, last_day=today - timedelta(days=1), timezone="Asia/Kolkata")
    user_ref(uid).collection("checkins").document((today - timedelta(days=30)).isoformat()).set(
        {"local_date": (today - timedelta(days=30)).isoformat()}
    )
    view = checkins.streak_of(uid)
    assert view.today == today
    assert (view.current, view.longest, view.today_done) == (3, 3, False)
    assert [d.day for d in view.days] == [today - timedelta(days=29 - i) for i in range(30)]
    assert [d.day for d in view.days if d.done] == [today - timedelta(days=n) for n in (3, 2, 1)]


def frozen_days(uid: str) -> list[str]:
    docs = user_ref(uid).collection("checkins").where(filter=FieldFilter("frozen", "==", True)).stream()
    return sorted(d.id for d in docs)


def test_concurrent_checkins_after_a_missed_day_use_one_freeze(stack: object) -> None:
    uid = new_uid()
    today = LocalDay("UTC").before
    seed_streak(uid, current=4, longest=4, last_day=today - timedelta(days=2), timezone="UTC", freezes=2)
    replies = check_in_from_devices(uid, CheckinRequest())
    assert {(r.current, r.freezes) for r in replies} == {(5, 1)}
    assert frozen_days(uid) == [(today - timedelta(days=1)).isoformat()]
    assert summary_of(user_ref(uid).get().to_dict() or {}).freezes == 1


def test_reminder_runs_and_check_ins_racing_use_one_freeze_per_missed_day(stack: object) -> None:
    uid = new_uid()
    today = LocalDay("UTC").before
    seed_streak(uid, current=4, longest=4, last_day=today - timedelta(days=3), timezone="UTC", freezes=2)
    start = threading.Barrier(8)

    def run(index: int) -> None:
        start.wait()
        if index % 2:
            use_freezes(uid, datetime.now(UTC))
        else:
            checkins.check_in(uid, CheckinRequest())

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(run, range(8)))
    summary = summary_of(user_ref(uid).get().to_dict() or {})
    assert frozen_days(uid) == [(today - timedelta(days=n)).isoformat() for n in (2, 1)]
    assert (summary.current, summary.freezes, summary.last_day) == (5, 0, today)


def test_a_device_zone_moves_the_profile_once_and_the_change_is_recorded(stack: object) -> None:
    uid = new_uid()
    first = checkins.check_in(uid, CheckinRequest(timezone="Etc/GMT+12"))
    second = checkins.check_in(uid, CheckinRequest(timezone="Etc/GMT-14"))
    assert (first.timezone, second.timezone) == ("Etc/GMT+12", "Etc/GMT+12")
    assert second.current == 1
    assert second.next_timezone_change_at == first.next_timezone_change_at
    changes = [d.to_dict() or {} for d in user_ref(uid).collection("day_rule_changes").stream()]
    assert [(c["previous_timezone"], c["timezone"], c["source"]) for c in changes] == [("UTC", "Etc/GMT+12", "checkin")]


def test_account_deletion_reaches_the_recorded_zone_changes(stack: object) -> None:
    from functions.auth_hooks import deletion

    uid = new_uid()
    checkins.check_in(uid, CheckinRequest(timezone="Asia/Tokyo"))
    [change] = list(user_ref(uid).collection("day_rule_changes").list_documents())
    assert change.path in {ref.path for ref in deletion.user_documents(uid)}


def test_the_view_from_the_kept_copy_is_the_view_from_the_documents(stack: object) -> None:
    uid = new_uid()
    today = datetime.now(UTC).date()
    seed_streak(uid, current=12, longest=12, last_day=today - timedelta(days=2), freezes=1, judged_in="UTC")
    checkins.check_in(uid, CheckinRequest())  # covers yesterday with the freeze, counts today
    stored = user_ref(uid).get().to_dict() or {}
    assert recent.stored(stored) is not None
    from_copy = checkins.streak_of(uid)
    user_ref(uid).update({f"streak.{recent.FIELD}": DELETE_FIELD})
    assert checkins.streak_of(uid) == from_copy
    assert [d.frozen for d in from_copy.days[-2:]] == [True, False]


def test_a_streak_rewritten_beside_an_old_copy_is_read_from_the_documents(stack: object) -> None:
    uid = new_uid()
    today = datetime.now(UTC).date()
    checkins.check_in(uid, CheckinRequest())
    seed_streak(uid, current=5, longest=5, last_day=today, judged_in="UTC")
    assert sum(d.done for d in checkins.streak_of(uid).days) == 5
