"""Reminders under a fault mix (10% UNREGISTERED, 5% 429, 2% 503, 20 ms latency) and a
worker killed mid-batch (of 500 user-kinds), with both kinds due for every user: each due user-kind
gets exactly one push, except those in the one documented crash window; no user gets more than the
daily cap, nothing is due inside quiet hours, every dead token is gone and the counters add up."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, time, timedelta

from google.cloud import tasks_v2

from functions.reminders.batch import Batch, DueUser
from functions.reminders.kinds import DAILY_CAP, SCHEDULED, Kind
from functions.reminders.queues import reminder_queues
from functions.reminders.schedule import DEFAULT_QUIET, QuietHours
from lib import firestore as db
from lib import tasks
from lib.config import Settings
from tests.conftest import GatewayClient
from tests.support import reminders as reminders_support
from tests.support.reminders import (
    FINAL,
    Fcm,
    SeededUser,
    World,
    device_count,
    send_record,
    tick,
    wait_until_settled,
)
from tests.support.waiting import wait_for, wait_until_stable

fcm = reminders_support.fcm
world = reminders_support.world


def crash_mid_batch(body: bytes, addresses: set[str], fcm: Fcm, after_messages: int) -> None:
    """Runs the batch in its own process and SIGKILLs it once FCM has accepted `after_messages`."""
    worker = subprocess.Popen([sys.executable, "-m", "tests.support.reminders_worker"], stdin=subprocess.PIPE)
    assert worker.stdin is not None
    worker.stdin.write(body)
    worker.stdin.close()
    try:
        wait_for(
            lambda: sum(fcm.count_by_address(addresses).values()) >= after_messages or worker.poll() is not None,
            "the worker to get into the batch",
            timeout_s=120,
        )
    finally:
        worker.kill()
        worker.wait()
    assert worker.returncode == -9, "the worker finished before it could be killed mid-batch"
    # Requests the worker sent before it died are still being answered (the local FCM records a
    # message after its injected latency): they belong to the crash window, so wait them out.
    wait_until_stable(lambda: fcm.count_by_address(addresses), "the killed worker's last requests")


def one_big_batch(
    pending: list[tuple[str, tasks_v2.Task]], config: Settings
) -> tuple[tasks_v2.Task, list[tuple[str, tasks_v2.Task]]]:
    """The tick's first tasks merged into one batch of up to 500 users, as a crowded second
    of the spread gives, so the worker is still sending when it is killed; and the rest."""
    users: list[DueUser] = []
    taken = 0
    for _, task in pending:
        more = Batch.model_validate_json(task.http_request.body).users
        if len(users) + len(more) > config.reminders_batch_size:
            break
        users += more
        taken += 1
    first = Batch.model_validate_json(pending[0][1].http_request.body)
    merged = Batch(batch=f"merged-{first.batch}"[:200], day=first.day, users=users)
    request = tasks_v2.HttpRequest(body=merged.model_dump_json().encode())
    return tasks_v2.Task(name=f"{pending[0][0]}/tasks/{merged.batch}", http_request=request), pending[taken:]


def retry_as_cloud_tasks_would(gateway: GatewayClient, task: tasks_v2.Task, config: Settings) -> None:
    """Cloud Tasks' retries of the killed attempt (the emulator gives up on a dead target
    within a second, so the test delivers them as Cloud Tasks would)."""
    name = task.name.rsplit("/", 1)[-1]
    for retry in range(1, config.reminders_max_attempts):
        headers = {
            "Content-Type": "application/json",
            "X-CloudTasks-TaskName": name,
            "X-CloudTasks-TaskRetryCount": str(retry),
            "X-CloudTasks-TaskExecutionCount": str(retry),
        }
        response = gateway.post("/internal/reminders/send", data=task.http_request.body, headers=headers, timeout=300)
        if response.status_code == 200:
            return
        assert response.status_code in (429, 503), response.text
    raise AssertionError("the crashed batch never completed")


def test_fault_mix_and_a_crash_give_each_due_user_kind_one_push(
    gateway: GatewayClient, fcm: Fcm, world: World, config: Settings
) -> None:
    # Every kind scheduled by the reminders' own rules from the morning: the daily one at 18:00 and
    # the nudge at 20:00, or, for a tenth, both moved to 20:30 by quiet hours from 17:00.
    morning = world.due_at - timedelta(hours=12)
    users = (
        world.add(800, scheduled_from=morning)
        + world.add(100, scheduled_from=morning, quiet=("17:00", "20:30"))
        + world.add(100, legacy=True, scheduled_from=morning)
    )
    quiet = {u.uid: QuietHours(time(17, 0), time(20, 30)) for u in users[800:900]}
    dead = random.Random(20260526).sample(users, 100)
    fcm.faults(
        unregistered_tokens=[a for u in dead for a in u.addresses],
        rate_429=0.05,
        rate_503=0.02,
        latency_ms=20,
        retry_after_s=0,
    )
    client = tasks.client()
    queues = reminder_queues(config)
    for queue in queues:
        client.pause_queue(name=queue)
    try:
        assert tick(gateway, world.due_at + timedelta(hours=2, minutes=31))["due"] == 2000
        pending = [(queue, task) for queue in queues for task in client.list_tasks(parent=queue)]
        for queue in queues:
            client.purge_queue(name=queue)
        crashed, others = one_big_batch(pending, config)
        batch = Batch.model_validate_json(crashed.http_request.body)
        in_batch = {(u.uid, u.kind) for u in batch.users}
        addresses = {a for u in users for a in u.addresses if any((u.uid, k) in in_batch for k in SCHEDULED)}

        crash_mid_batch(crashed.http_request.body, addresses, fcm, after_messages=120)
        received = fcm.count_by_address(addresses)
        window = {
            (u.uid, kind)
            for u in users
            for kind in SCHEDULED
            if (u.uid, kind) in in_batch
            and (send_record(u.uid, world.day, kind) or {}).get("status") == "claimed"
            and any(received[a] for a in u.addresses)
        }
        retry_as_cloud_tasks_would(gateway, crashed, config)
        for queue, task in others:
            client.create_task(parent=queue, task=tasks_v2.Task(name=task.name, http_request=task.http_request))
    finally:
        for queue in queues:
            client.resume_queue(name=queue)

    found = wait_until_settled(world.day, 2000, timeout_s=400)
    assert found["due"] == 2000
    assert sum(found.get(k, 0) for k in FINAL) == 2000
    assert (found["sent"], found["no_device"], found["tokens_pruned"]) == (1800, 200, 100)
    assert all(found_kind["sent"] == 900 for found_kind in kinds_of(world.day).values())

    pushes = pushes_by_user_kind(fcm, users)
    dead_uids = {u.uid for u in dead}
    assert all(pushes[(uid, kind)] == 0 and device_count(uid) == 0 for uid in dead_uids for kind in SCHEDULED)
    doubled = {key for key, n in pushes.items() if n > 1}
    assert {key for key, n in pushes.items() if key[0] not in dead_uids and n != 1} == doubled
    assert max(pushes.values()) <= 2
    # The crash window: user-kinds FCM had accepted while their records were still "claimed";
    # it holds at most one chunk, and only those can get a second push.
    assert doubled <= window
    assert len(window) <= config.reminders_send_concurrency
    # The cap: no user's local day has more pushes than it allows, the crash window's repeats aside.
    per_user = Counter(uid for (uid, _), n in pushes.items() for _ in range(n))
    assert all(n <= DAILY_CAP for uid, n in per_user.items() if not any((uid, k) in doubled for k in SCHEDULED))
    # Quiet hours: every push was due at an instant outside its user's quiet hours.
    for user in users:
        for kind in SCHEDULED:
            record = send_record(user.uid, world.day, kind) or {}
            if record.get("status") == "sent":
                wall = record["due_at"].astimezone(UTC).time().replace(tzinfo=None)
                assert not quiet.get(user.uid, DEFAULT_QUIET).holds(wall), (user.uid, kind, wall)


def kinds_of(day: date) -> dict[str, dict[str, int]]:
    return dict((db.client().collection("ops_daily").document(day.isoformat()).get().to_dict() or {})["kinds"])


def pushes_by_user_kind(fcm: Fcm, users: list[SeededUser]) -> Counter[tuple[str, Kind]]:
    """Messages the local FCM accepted, per user and kind (from the message's data)."""
    owner = {a: u.uid for u in users for a in u.addresses}
    pushes: Counter[tuple[str, Kind]] = Counter({(u.uid, k): 0 for u in users for k in SCHEDULED})
    for message in fcm.messages():
        if message["token"] in owner:
            pushes[(owner[message["token"]], Kind(message["data"]["kind"]))] += 1
    return pushes
