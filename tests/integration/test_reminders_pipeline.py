"""tick → Cloud Tasks emulator → send → local FCM, end to end on the test stack."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from devstack.stack import Stack
from lib import firestore as db
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
    message = next(m for m in fcm.messages() if m["token"] == world.users[0].addresses[0])
    assert message["notification"]["title"] == "Keep your 3-day streak going"
    assert message["data"] == {"kind": "daily_reminder", "local_date": world.day.isoformat()}
    assert (send_record(world.users[0].uid, world.day) or {})["status"] == "sent"


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
    assert stored["next_at"] == world.due_at + timedelta(days=1)


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
    assert stored["next_at"] == world.due_at + timedelta(days=1)
    assert tick(gateway, world.tick_at)["due"] == 0


def test_tick_reads_only_the_users_due(gateway: GatewayClient, fcm: Fcm, world: World) -> None:
    world.add(5)
    world.add(30, due_at=world.due_at + timedelta(days=400))
    assert tick(gateway, world.tick_at) == {"due": 5, "batches": 1, "docs_read": 5}
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
    fcm.faults(token_errors={doomed.addresses[0]: "QUOTA_EXCEEDED"}, retry_after_s=0)
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
