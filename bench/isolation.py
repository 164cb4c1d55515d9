"""`python -m bench.isolation --topology units|single --users 20000 --events 3000`

What one user sees while batch work runs. One user calls GET /v1/me and POST /v1/checkins,
alternating, at a steady --rate requests/s (open loop: a slow answer does not delay the next
call): first for --idle-s with the stack idle, then while a reminder fan-out to --users due
users (one tick, then Cloud Tasks batches) and a storm of --events signed Stripe webhooks
(--storm-concurrency at a time) run, until both are done.

--topology units runs one process per deployed function (the default stack); single runs every
function inside the gateway's process, as the local stack did before. Its last line:
`isolation idle_p99_ms=… busy_p99_ms=… ratio=… errors=… topology=…` (errors: answers other than
2xx, and calls with no answer, in both phases). Five untimed seconds of the same calls come first:
the user's first calls create its profile and load each function's lazy imports.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from devstack.stack import Stack


@dataclass
class Calls:
    """Latency in ms of each answered 2xx call, and the count of the others."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def percentile_ms(self, q: float) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[round(q * 100) - 1]


def steady_calls(gateway_url: str, headers: dict[str, str], rate: float, done: Callable[[], bool]) -> Calls:
    """GET /v1/me and POST /v1/checkins alternately, every 1/rate s, until `done()`."""
    calls = Calls()
    lock = threading.Lock()
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))

    def call(index: int) -> None:
        started = time.perf_counter()
        try:
            if index % 2:
                answer = session.post(f"{gateway_url}/v1/checkins", headers=headers, json={}, timeout=60)
            else:
                answer = session.get(f"{gateway_url}/v1/me", headers=headers, timeout=60)
            ok = answer.ok
        except requests.RequestException:
            ok = False
        with lock:
            if ok:
                calls.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                calls.errors += 1

    with ThreadPoolExecutor(32) as pool:
        start = time.perf_counter()
        index = 0
        while not done():
            pool.submit(call, index)
            index += 1
            time.sleep(max(0.0, start + index / rate - time.perf_counter()))
    session.close()
    return calls


def signed_event(secret: str) -> tuple[bytes, dict[str, str]]:
    """A signed Stripe event about a customer the app does not know: a webhook the handler
    verifies and records, without touching any user."""
    import stripe

    payload = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": "customer.created",
            "data": {"object": {"object": "customer", "id": f"cus_{uuid.uuid4().hex[:14]}"}},
        }
    )
    signature = stripe.WebhookSignature.generate_signature_header(payload, secret)
    return payload.encode(), {"Stripe-Signature": str(signature), "Content-Type": "application/json"}


def webhook_storm(gateway_url: str, secret: str, events: int, concurrency: int) -> int:
    """Delivers `events` signed events, `concurrency` at a time; answers how many were refused."""
    refused = 0
    lock = threading.Lock()
    local = threading.local()

    def deliver(_: int) -> None:
        nonlocal refused
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        body, headers = signed_event(secret)
        try:
            ok = session.post(f"{gateway_url}/stripe/webhook", data=body, headers=headers, timeout=120).ok
        except requests.RequestException:
            ok = False
        if not ok:
            with lock:
                refused += 1

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(deliver, range(events)))
    return refused


def run(
    users: int, events: int, storm_concurrency: int, rate: float, idle_s: float, topology: str, warm_up_s: float = 5.0
) -> str:
    """Both phases on the stack the environment names; the result line."""
    from bench import reminders_world as world
    from devstack import accounts
    from devstack.units import unit_url
    from lib.config import settings

    config = settings()
    caller = accounts.new_user("isolation", "Isolation Bench")
    # Untimed: the user's first calls create the profile and load each function's lazy imports.
    warm_until = time.monotonic() + warm_up_s
    steady_calls(config.gateway_url, caller.headers, rate, lambda: time.monotonic() >= warm_until)
    idle_until = time.monotonic() + idle_s
    idle = steady_calls(config.gateway_url, caller.headers, rate, lambda: time.monotonic() >= idle_until)

    day = date(1970, 1, 1) + timedelta(days=uuid.uuid4().int % 3000)
    due_at = datetime(day.year, day.month, day.day, 18, 0, tzinfo=UTC)
    seeded = world.seed(users, due_at)
    tick = f"{unit_url(config, 'reminders-tick')}/internal/reminders/tick" if topology == "units" else None
    tick = tick or f"{config.gateway_url}/internal/reminders/tick"
    finished: dict[str, Any] = {}

    def batch_work() -> None:
        storm = threading.Thread(
            target=lambda: finished.update(
                refused=webhook_storm(config.gateway_url, config.stripe_webhook_secret, events, storm_concurrency)
            )
        )
        storm.start()
        answer = requests.post(tick, json={"now": (due_at + timedelta(minutes=1)).isoformat()}, timeout=600)
        answer.raise_for_status()
        finished["counters"] = world.wait_settled(day, users, timeout_s=1800)
        storm.join()
        finished["done"] = True

    started = time.monotonic()
    worker = threading.Thread(target=batch_work, daemon=True)
    worker.start()
    try:
        busy = steady_calls(config.gateway_url, caller.headers, rate, lambda: not worker.is_alive())
    finally:
        worker.join()
        world.retire(list(seeded))
    if not finished.get("done"):
        raise RuntimeError("the fan-out or the storm failed; see the stack's logs")
    busy_s = time.monotonic() - started
    print(f"idle: {len(idle.latencies_ms)} calls p50 {idle.percentile_ms(0.5):.0f} ms", flush=True)
    print(
        f"busy ({busy_s:.0f} s: {users} reminders, {events} webhooks, {finished['refused']} refused): "
        f"{len(busy.latencies_ms)} calls p50 {busy.percentile_ms(0.5):.0f} ms; counters {finished['counters']}",
        flush=True,
    )
    idle_p99, busy_p99 = idle.percentile_ms(0.99), busy.percentile_ms(0.99)
    return (
        f"isolation idle_p99_ms={idle_p99:.0f} busy_p99_ms={busy_p99:.0f} "
        f"ratio={busy_p99 / max(idle_p99, 1e-3):.2f} errors={idle.errors + busy.errors} topology={topology}"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topology", choices=("units", "single"), default="units")
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--storm-concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=8.0, help="the user's calls per second")
    parser.add_argument("--idle-s", type=float, default=30.0)
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("BENCH_PORT_BASE", "18600")))
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    # The stack and every client in this process read their configuration from the environment.
    from devstack.ports import stack_environment

    os.environ.update(stack_environment(args.port_base))
    from devstack.stack import Stack, app_services, emulator_services
    from lib.config import settings

    stack: Stack = Stack(settings())
    try:
        stack.start(emulator_services(settings()) + app_services(settings(), args.topology))
        print(run(args.users, args.events, args.storm_concurrency, args.rate, args.idle_s, args.topology))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
