"""Reminders under a fault mix (10% UNREGISTERED, 5% 429, 2% 503, 20 ms latency) and a
worker killed mid-batch (of 500 users): every due user gets exactly one reminder, except users in the one
documented crash window, every dead token is gone and the day's counters add up."""

from __future__ import annotations

import random
import subprocess
import sys

from google.cloud import tasks_v2

from functions.reminders.batch import Batch, DueUser
from functions.reminders.queues import reminder_queues
from lib import tasks
from lib.config import Settings
from tests.conftest import GatewayClient
from tests.support import reminders as reminders_support
from tests.support.reminders import FINAL, Fcm, World, device_count, send_record, tick, wait_until_settled
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


def test_fault_mix_and_a_crash_give_each_due_user_one_reminder(
    gateway: GatewayClient, fcm: Fcm, world: World, config: Settings
) -> None:
    users = world.add(900) + world.add(100, legacy=True)
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
        assert tick(gateway, world.tick_at)["due"] == 1000
        pending = [(queue, task) for queue in queues for task in client.list_tasks(parent=queue)]
        for queue in queues:
            client.purge_queue(name=queue)
        crashed, others = one_big_batch(pending, config)
        batch = Batch.model_validate_json(crashed.http_request.body)
        in_batch = {u.uid for u in batch.users}
        addresses = {a for u in users if u.uid in in_batch for a in u.addresses}

        crash_mid_batch(crashed.http_request.body, addresses, fcm, after_messages=120)
        received = fcm.count_by_address(addresses)
        window = {
            u.uid
            for u in users
            if u.uid in in_batch
            and (send_record(u.uid, world.day) or {}).get("status") == "claimed"
            and any(received[a] for a in u.addresses)
        }
        retry_as_cloud_tasks_would(gateway, crashed, config)
        for queue, task in others:
            client.create_task(parent=queue, task=tasks_v2.Task(name=task.name, http_request=task.http_request))
    finally:
        for queue in queues:
            client.resume_queue(name=queue)

    found = wait_until_settled(world.day, 1000, timeout_s=300)
    assert found["due"] == 1000
    assert sum(found.get(k, 0) for k in FINAL) == 1000
    assert (found["sent"], found["no_device"], found["tokens_pruned"]) == (900, 100, 100)

    everyone = {a for u in users for a in u.addresses}
    counts = fcm.count_by_address(everyone)
    dead_uids = {u.uid for u in dead}
    per_user = {u.uid: sum(counts[a] for a in u.addresses) for u in users}
    assert all(per_user[uid] == 0 and device_count(uid) == 0 for uid in dead_uids)
    doubled = {uid for uid, n in per_user.items() if n > 1}
    assert {uid for uid, n in per_user.items() if uid not in dead_uids and n != 1} == doubled
    assert max(per_user.values()) <= 2
    # The crash window: users FCM had accepted while their records were still "claimed";
    # it holds at most one chunk, and only those users can get a second reminder.
    assert doubled <= window
    assert len(window) <= config.reminders_send_concurrency
