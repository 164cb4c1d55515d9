"""tick → Cloud Tasks emulator → send → local FCM, end to end on the test stack."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from devstack.stack import Stack
from functions.reminders import devices
from functions.reminders.batch import DueUser
from functions.reminders.kinds import Kind, variant_of
from functions.reminders.notification_preferences import NotificationPreferences, save_preferences
from functions.reminders.tick import spread, spread_offset_s
from functions.reminders.wording import text
from functions.streaks.public import StreakToday
from lib import firestore as db
from lib.config import settings
from tests.conftest import GatewayClient
from tests.support import reminders as reminders_support
from tests.support.reminders import (
    Fcm,
    World,
    counters,
    device_count,
    send_record,
    tick,
    wait_until_settled,
)
from tests.support.waiting import wait_for

fcm = reminders_support.fcm
world = reminders_support.world


def addresses_of(world: World) -> set[str]:
    return {a for u in world.users for a in u.addresses}


def assert_adds_up(found: dict[str, int]) -> None:
    final = sum(found.get(k, 0) for k in reminders_support.FINAL)
    assert found.get("due", 0) == final, found


def test_due_users_get_one_reminder_each_by_fid_or_token(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    world.add(3)
    world.add(1, legacy=True)
    assert tick(gateway, world.tick_at)["due"] == 4
    found = wait_until_settled(world.day, 4)
    assert found["sent"] == 4
    assert_adds_up(found)
    sent = fcm.count_by_address(addresses_of(world))
    assert sent == {a: 1 for a in addresses_of(world)}
    first = world.users[0]
    message = next(m for m in fcm.messages() if m["token"] == first.addresses[0])
    variant = variant_of(first.uid, Kind.DAILY_REMINDER)
    streak = StreakToday(world.day, False, current=3, freezes=0, freeze_due=False)
    assert message["notification"]["title"] == text(Kind.DAILY_REMINDER, variant, streak)[0]
    record = send_record(first.uid, world.day) or {}
    assert message["data"] == {
        "kind": "daily_reminder",
        "local_date": world.day.isoformat(),
        "message_id": record["message_id"],
        "variant": variant,
    }
    assert record["status"] == "sent"


def test_send_records_and_batch_markers_carry_the_expiry_their_ttl_policy_reads(
    gateway: GatewayClient, fcm: Fcm, world: World
) -> None:
    """terraform/firestore.tf deletes reminder_sends and reminder_batches after expire_at; a
    document without the field would be kept forever."""
    world.add(2)
    tick(gateway, world.tick_at)
    wait_until_settled(world.day, 2)
    now = datetime.now(UTC)
    for user in world.users:
        record = send_record(user.uid, world.day) or {}
        assert now + timedelta(days=20) < record["expire_at"] < now + timedelta(days=40)
    uid = world.users[0].uid
    markers = [m.to_dict() for m in db.client().collection("reminder_batches").stream()]
    ours = [m for m in markers if m["batch"] == (send_record(uid, world.day) or {})["batch"]]
    assert ours
    assert now < ours[0]["expire_at"] < now + timedelta(days=3)


def test_tick_advances_next_at_to_the_next_local_day(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    [user] = world.add(1)
    tick(gateway, world.tick_at)
    stored = db.client().collection("users").document(user.uid).get().to_dict() or {}
    at_risk = datetime(world.day.year, world.day.month, world.day.day, 20, 0, tzinfo=UTC)
    assert stored["next_by_kind"] == {"daily_reminder": world.due_at + timedelta(days=1), "streak_at_risk": at_risk}
    assert stored["next_at"] == at_risk  # the earliest of them, the field the tick's query reads


def test_checked_in_users_are_skipped(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    world.add(2, checked_in=True)
    world.add(1)
    tick(gateway, world.tick_at)
    found = wait_until_settled(world.day, 3)
    assert (found["skipped_done"], found["sent"]) == (2, 1)
    assert sum(fcm.count_by_address(addresses_of(world)).values()) == 1


def test_overlapping_ticks_never_double_a_reminder(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    world.add(40)
    answers: list[dict[str, object]] = []
    threads = [threading.Thread(target=lambda: answers.append(tick(gateway, world.tick_at))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(int(str(a["due"])) for a in answers) >= 40
    found = wait_until_settled(world.day, 40)
    assert_adds_up(found)
    assert found["sent"] == 40
    assert fcm.count_by_address(addresses_of(world)) == {a: 1 for a in addresses_of(world)}


def test_late_tick_catches_up_with_one_reminder(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    [user] = world.add(1, due_at=world.due_at - timedelta(days=3))
    # Last check-in before the missed slot: a check-in since would make the reminder moot.
    last_day = (world.day - timedelta(days=4)).isoformat()
    db.client().collection("users").document(user.uid).update({"streak.last_day": last_day})
    tick(gateway, world.tick_at)
    wait_until_settled(world.day, 1)
    assert sum(fcm.count_by_address(addresses_of(world)).values()) == 1
    stored = db.client().collection("users").document(user.uid).get().to_dict() or {}
    assert stored["next_by_kind"]["daily_reminder"] == world.due_at + timedelta(days=1)
    assert tick(gateway, world.tick_at)["due"] == 0


def test_tick_reads_only_the_users_due(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    due = world.add(5)
    world.add(30, due_at=world.due_at + timedelta(days=400))
    batches = spread([DueUser(uid=u.uid, local_date=world.day) for u in due], settings().reminders_spread_s, 500)
    # One read per due user, and one for the account-notice query, which finds none.
    assert tick(gateway, world.tick_at) == {"due": 5, "batches": len(batches), "docs_read": 5 + 1}
    wait_until_settled(world.day, 5)


def test_disabled_reminder_is_not_enqueued_and_loses_next_at(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    [user] = world.add(1, enabled=False)
    assert tick(gateway, world.tick_at)["due"] == 0
    assert "next_at" not in (db.client().collection("users").document(user.uid).get().to_dict() or {})


def test_unregistered_token_is_deleted_at_once(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    [dead] = world.add(1)
    [alive] = world.add(1, devices_each=2)
    fcm.faults(unregistered_tokens=[*dead.addresses, alive.addresses[0]])
    tick(gateway, world.tick_at)
    found = wait_until_settled(world.day, 2)
    assert (found["no_device"], found["sent"], found["tokens_pruned"]) == (1, 1, 2)
    assert (device_count(dead.uid), device_count(alive.uid)) == (0, 1)
    assert fcm.count_by_address(addresses_of(world)) == {alive.addresses[1]: 1}


def test_retryable_user_is_retried_by_cloud_tasks_and_sent_once(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    [flaky] = world.add(1)
    world.add(5)
    # Five 429s outlast firebase-admin's own retries, so the task hands the user back once.
    fcm.faults(
        token_errors={flaky.addresses[0]: "QUOTA_EXCEEDED"},
        token_error_counts={flaky.addresses[0]: 5},
        retry_after_s=1,
    )
    tick(gateway, world.tick_at)
    found = wait_until_settled(world.day, 6)
    assert (found["sent"], found["retried"]) == (6, 1)
    assert fcm.count_by_address(addresses_of(world)) == {a: 1 for a in addresses_of(world)}
    assert (send_record(flaky.uid, world.day) or {})["attempt"] == 1


def test_last_attempt_records_the_final_failure_and_logs_error(
    gateway: GatewayClient, fcm: Fcm, world: World, stack: Stack
) -> None:
    [doomed] = world.add(1)
    world.add(2)
    # No Retry-After: each attempt fails at once instead of after firebase-admin's own retries.
    fcm.faults(token_errors={doomed.addresses[0]: "QUOTA_EXCEEDED"}, retry_after_s=None)
    tick(gateway, world.tick_at)
    found = wait_until_settled(world.day, 3, timeout_s=240)
    assert (found["sent"], found["failed"]) == (2, 1)
    assert_adds_up(found)
    record = send_record(doomed.uid, world.day) or {}
    assert (record["status"], record["error"]) == ("failed", "RESOURCE_EXHAUSTED")
    log = (stack.log_dir / "reminders-send_batch.log").read_text().splitlines()
    errors = [json.loads(line) for line in log if line.startswith("{") and '"ERROR"' in line]
    assert any(e["message"].startswith("reminders failed for good") and e.get("failed") == 1 for e in errors)


def test_sweep_deletes_devices_idle_for_more_than_270_days(gateway: GatewayClient, world: World) -> None:
    [idle, fresh] = world.add(2)
    ref = db.client().collection("users").document(idle.uid).collection("devices").document(idle.addresses[0])
    ref.update({"updated_at": datetime.now(UTC) - timedelta(days=271)})
    response = gateway.post("/internal/reminders/sweep")
    assert response.status_code == 200
    assert response.json()["removed"] >= 1
    assert (device_count(idle.uid), device_count(fresh.uid)) == (0, 1)
    assert counters(datetime.now(UTC).date())["tokens_swept"] >= 1


def test_the_sweep_keeps_a_device_its_user_registered_again_after_the_sweep_read_it(world: World) -> None:
    [user] = world.add(1)
    installation = user.addresses[0]
    ref = db.client().collection("users").document(user.uid).collection("devices").document(installation)
    ref.update({"updated_at": datetime.now(UTC) - timedelta(days=271)})
    idle = [found for page in devices.idle_devices(datetime.now(UTC), settings().token_idle_days) for found in page]
    mine = [found for found in idle if found.device.uid == user.uid]
    assert [found.device.installation_id for found in mine] == [installation]
    # Between the sweep's read and its delete, the app refreshes the device.
    devices.register_device(user.uid, installation, devices.DeviceRegistration(platform="ios"), datetime.now(UTC))
    assert devices.delete_idle(mine) == 0
    assert device_count(user.uid) == 1
    assert installation in (db.client().collection("users").document(user.uid).get().to_dict() or {})["devices"]


def test_a_device_another_user_registered_gets_only_that_users_reminder(
    gateway: GatewayClient, fcm: Fcm, world: World
) -> None:
    ana, ben = world.add(2)
    phone = ana.addresses[0]
    devices.register_device(ana.uid, phone, devices.DeviceRegistration(platform="ios"), datetime.now(UTC))
    devices.register_device(ben.uid, phone, devices.DeviceRegistration(platform="ios"), datetime.now(UTC))
    assert tick(gateway, world.tick_at)["due"] == 2
    found = wait_until_settled(world.day, 2)
    assert (found.get("sent"), found.get("no_device")) == (1, 1)
    to_phone = [m for m in fcm.messages() if m["token"] == phone]
    assert len(to_phone) == 1
    assert (send_record(ben.uid, world.day) or {})["status"] == "sent"
    assert (send_record(ana.uid, world.day) or {})["status"] == "no_device"


def test_a_signed_out_device_gets_nothing(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    (user,) = world.add(1)
    devices.forget_device(user.uid, user.addresses[0])
    tick(gateway, world.tick_at)
    wait_until_settled(world.day, 1)
    assert fcm.count_by_address(set(user.addresses)) == {}
    assert (send_record(user.uid, world.day) or {})["status"] == "no_device"


def test_a_real_time_tick_sends_no_one_before_their_second_of_the_spread(
    gateway: GatewayClient, fcm: Fcm, world: World
) -> None:
    now = datetime.now(UTC)
    seeded = world.add(20, due_at=now - timedelta(minutes=1))
    tick(gateway, now)
    window_s = settings().reminders_spread_s
    slot = {
        user.addresses[0]: now
        + timedelta(seconds=spread_offset_s(DueUser(uid=user.uid, local_date=now.date()), window_s))
        for user in seeded
    }
    assert window_s > 1
    assert len(set(slot.values())) > 1

    def all_received() -> bool:
        return set(fcm.count_by_address(set(slot))) == set(slot)

    wait_for(all_received, "every user's reminder", timeout_s=180)
    assert fcm.count_by_address(set(slot)) == dict.fromkeys(slot, 1)
    for message in fcm.messages():
        if message["token"] in slot:
            assert datetime.fromisoformat(message["received_at"]) >= slot[message["token"]]


def test_a_user_who_opted_out_of_daily_reminders_gets_none(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    wanted, opted_out = world.add(2)
    everything = NotificationPreferences(daily_reminder=True, streak_at_risk=True, account_notices=True)
    save_preferences(opted_out.uid, everything.model_copy(update={"daily_reminder": False}))
    tick(gateway, world.tick_at)
    found = wait_until_settled(world.day, 2)
    assert (found.get("sent"), found.get("skipped_off")) == (1, 1)
    assert fcm.count_by_address(set(opted_out.addresses)) == {}
    assert (send_record(opted_out.uid, world.day) or {})["status"] == "skipped_off"
    assert (send_record(wanted.uid, world.day) or {})["status"] == "sent"
