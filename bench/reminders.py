"""`python -m bench.reminders --users N`: the reminder pipeline against the seed app's loop.

Starts its own stack (ports from --port-base), seeds N users due at one instant with one
device each, and sends them a reminder two ways against the same local FCM (20 ms latency,
a per-second rate limit):
  (a) baseline: the seed app's serial loop, one messaging.send per user. It is linear, so
      it is timed on a sample (at least 1000 users, or N if smaller) and scaled to N;
  (b) pipeline: one tick → Cloud Tasks emulator → send_batch tasks, timed until the day's
      counters say every due user is settled.
Before it, the CPU each service of the stack spent on the pipeline, and the fastest the
machine's cores allow at that cost. Its last line:
`reminders users=N baseline_s=… pipeline_s=… speedup=… lost=… doubled=… reads_per_due_user=…`.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devstack.stack import Stack


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--sample", type=int, default=1000, help="users the serial baseline is timed on")
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("BENCH_PORT_BASE", "18500")))
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--max-per-second", type=int, default=2000, help="the local FCM's rate limit")
    parser.add_argument("--shards", type=int, default=4, help="queues, i.e. concurrent batch tasks")
    parser.add_argument("--concurrency", type=int, default=100, help="concurrent sends within a batch")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    # The stack and every client in this process read their configuration from the environment.
    os.environ["TEST_PORT_BASE"] = str(args.port_base)
    from devstack.ports import test_environment

    os.environ.update(test_environment())
    os.environ["REMINDERS_QUEUE_SHARDS"] = str(args.shards)
    os.environ["REMINDERS_SEND_CONCURRENCY"] = str(args.concurrency)

    from devstack.stack import Stack, app_services, emulator_services
    from lib.config import settings

    stack = Stack(settings())
    try:
        stack.start(emulator_services(settings()) + app_services(settings()))
        print(run(args.users, args.sample, args.latency_ms, args.max_per_second, stack))
    finally:
        stack.stop()


def run(users: int, sample: int, latency_ms: int, max_per_second: int, stack: Stack) -> str:
    """Runs both approaches on `stack` (the one the environment names); the result line."""
    import requests
    from firebase_admin import messaging

    from bench import reminders_world as world
    from bench import stack_cpu
    from devstack.units import unit_url
    from lib import push
    from lib.config import settings
    from lib.push_address import Address

    config = settings()
    day = date(1980, 1, 1) + timedelta(days=uuid.uuid4().int % 3000)
    due_at = datetime(day.year, day.month, day.day, 18, 0, tzinfo=UTC)
    fcm = config.fcm_endpoint
    faults = {"latency_ms": latency_ms, "max_per_second": max_per_second}
    requests.put(f"{fcm}/_local/faults", json=faults, timeout=10).raise_for_status()
    seeded = world.seed(users, due_at)
    addresses = list(seeded.values())
    print(f"seeded {users} due users", flush=True)
    try:
        timed = addresses[: min(users, max(sample, 1000))]
        started = time.perf_counter()
        for address in timed:
            # One message, one request: what a loop over users without batching does.
            message = push.message(Address(fid=address), "Time for your check-in", "Keep your streak going", {})
            messaging.send(message, app=push.app())
        timed_s = time.perf_counter() - started
        baseline_s = timed_s * users / len(timed)
        print(f"baseline: serial messaging.send timed on {len(timed)} users ({timed_s:.1f}s), scaled to {users}")
        requests.delete(f"{fcm}/_local/messages", timeout=30).raise_for_status()

        cpu_before = stack_cpu.cpu_seconds(stack)
        started = time.perf_counter()
        tick_at = (due_at + timedelta(minutes=1)).isoformat()
        answer = requests.post(
            f"{unit_url(config, 'reminders-tick')}/internal/reminders/tick", json={"now": tick_at}, timeout=600
        )
        answer.raise_for_status()
        found = world.wait_settled(day, users, timeout_s=1800)
        pipeline_s = time.perf_counter() - started
        print(f"pipeline: tick answered {answer.json()}; counters {found}", flush=True)
        print("\n".join(stack_cpu.report(cpu_before, stack_cpu.cpu_seconds(stack), baseline_s, users)))
    finally:
        world.retire(list(seeded))

    received = world.messages_per_address(fcm, set(addresses))
    lost = sum(1 for a in addresses if received.get(a, 0) == 0)
    doubled = sum(1 for a in addresses if received.get(a, 0) > 1)
    reads = found.get("docs_read", 0) / users
    return (
        f"reminders users={users} baseline_s={baseline_s:.1f} pipeline_s={pipeline_s:.1f} "
        f"speedup={baseline_s / pipeline_s:.1f} lost={lost} doubled={doubled} reads_per_due_user={reads:.2f}"
    )


if __name__ == "__main__":
    main()
