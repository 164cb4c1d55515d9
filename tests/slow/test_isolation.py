"""One process per deployed function: a function killed in the middle of its work (the reminder
sender during a fan-out, the webhook handler during a webhook storm) leaves every other function
answering, is started again by the stack, and its work then completes once per user or event,
apart from the documented crash window (docs/reminders.md)."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from devstack.stack import Stack
from lib.config import Settings
from tests.conftest import AppUser, GatewayClient
from tests.support import reminders as reminders_support
from tests.support.payments import event_record
from tests.support.probe import Call, Probe, unknown_customer_event
from tests.support.reminders import FINAL, Fcm, World, send_record, tick, wait_until_settled
from tests.support.waiting import wait_for

fcm = reminders_support.fcm
world = reminders_support.world

USERS = 1500
STORM_EVENTS = 240
STORM_SENDERS = 16


def _user_calls(base: str, user: AppUser) -> dict[str, Call]:
    return {
        "me": lambda s: s.get(f"{base}/v1/me", headers=user.headers, timeout=30),
        "checkin": lambda s: s.post(f"{base}/v1/checkins", headers=user.headers, json={}, timeout=30),
        "entitlement": lambda s: s.get(f"{base}/v1/entitlement", headers=user.headers, timeout=30),
    }


def _kill_and_wait_for_replacement(stack: Stack, name: str) -> None:
    killed = stack.process(name)
    os.killpg(killed.pid, signal.SIGKILL)
    wait_for(lambda: stack.process(name).pid != killed.pid, f"the stack to start {name} again", 30)


def test_sender_killed_mid_fan_out_leaves_the_api_answering_and_each_user_one_reminder(
    gateway: GatewayClient, fcm: Fcm, world: World, stack: Stack, config: Settings, user: AppUser
) -> None:
    users = world.add(USERS)
    addresses = {a for u in users for a in u.addresses}
    # Slow enough that the kill lands while batches are still to be sent.
    fcm.faults(latency_ms=100)

    def webhook(session: requests.Session) -> requests.Response:
        body, headers = unknown_customer_event()
        return session.post(f"{config.gateway_url}/stripe/webhook", data=body, headers=headers, timeout=30)

    with Probe({**_user_calls(config.gateway_url, user), "webhook": webhook}) as probe:
        tick(gateway, world.tick_at)
        wait_for(lambda: sum(fcm.count_by_address(addresses).values()) >= 200, "the fan-out to be under way", 120)
        sent_before_kill = sum(fcm.count_by_address(addresses).values())
        _kill_and_wait_for_replacement(stack, "reminders-send_batch")
        found = wait_until_settled(world.day, USERS, timeout_s=300)

    assert sent_before_kill < USERS, "the kill landed after the fan-out"
    assert probe.failures() == {name: {} for name in probe.answers}
    assert all(sum(seen.values()) > 0 for seen in probe.answers.values())
    assert (found["due"], found["sent"], sum(found.get(k, 0) for k in FINAL)) == (USERS, USERS, USERS)
    counts = fcm.count_by_address(addresses)
    per_user = {u.uid: sum(counts[a] for a in u.addresses) for u in users}
    assert min(per_user.values()) == 1
    # The crash window: a user FCM accepted from the killed attempt before its record said so is
    # sent again by the task's retry; that is at most the sends then in flight, one chunk.
    doubled = {uid for uid, n in per_user.items() if n > 1}
    retried = {u.uid for u in users if int((send_record(u.uid, world.day) or {}).get("attempt", 0)) >= 1}
    assert doubled <= retried
    assert len(doubled) <= config.reminders_send_concurrency


def _deliver_as_stripe(gateway_url: str, body: bytes, headers: dict[str, str]) -> int:
    """Delivers until accepted, as Stripe retries a failed delivery; answers the tries it took."""
    deadline = time.monotonic() + 240
    tries = 0
    with requests.Session() as session:
        while time.monotonic() < deadline:
            tries += 1
            try:
                if session.post(f"{gateway_url}/stripe/webhook", data=body, headers=headers, timeout=30).ok:
                    return tries
            except requests.RequestException:
                pass
            time.sleep(0.5)
    raise AssertionError("a webhook delivery was never accepted")


def test_webhook_handler_killed_mid_storm_leaves_the_api_answering_and_each_event_processed(
    stack: Stack, config: Settings, user: AppUser
) -> None:
    events = [unknown_customer_event() for _ in range(STORM_EVENTS)]
    event_ids = [body.decode().split('"id": "', 1)[1].split('"', 1)[0] for body, _ in events]
    with Probe(_user_calls(config.gateway_url, user)) as probe, ThreadPoolExecutor(STORM_SENDERS) as pool:
        deliveries = [pool.submit(_deliver_as_stripe, config.gateway_url, body, headers) for body, headers in events]
        wait_for(lambda: sum(d.done() for d in deliveries) >= STORM_EVENTS // 4, "the storm to be under way", 120)
        _kill_and_wait_for_replacement(stack, "stripe_webhook-webhook")
        tries = [d.result() for d in deliveries]

    assert max(tries) > 1, "the kill landed after the storm"
    assert probe.failures() == {name: {} for name in probe.answers}
    assert all(sum(seen.values()) > 0 for seen in probe.answers.values())
    records = [event_record(event_id) or {} for event_id in event_ids]
    assert all(record.get("status") == "completed" for record in records)
    # Processing that the kill cut short ran again on redelivery; only events then in flight can.
    assert sum(1 for record in records if record.get("applied", 1) > 1) <= STORM_SENDERS
