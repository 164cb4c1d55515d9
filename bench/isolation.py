"""`python -m bench.isolation --topology units|single --users 20000 --events 3000`

What one user sees while batch work runs. One user calls GET /v1/me and POST /v1/checkins,
alternating, at a steady --rate requests/s (open loop: a slow answer does not delay the next
call): first for --idle-s with the stack idle, then while a reminder fan-out to --users due
users (one tick, then Cloud Tasks batches) and a storm of --events signed Stripe webhooks
(--storm-concurrency at a time) run, until both are done.

Beside the user's calls, in both phases and at the same rate, the bench reads the user's profile
document (the one GET /v1/me reads) directly from the Firestore emulator with the Firestore client:
the floor. The emulator is one process that the user's calls share with the batch work here, and
would not share in the cloud. Each user call waits on such a read, so when the reads' busy p99
alone exceeds 1.5 times the user's idle p99, no topology of the functions can meet the target on
this machine.

--topology units runs one process per deployed function (the default stack); single runs every
function inside the gateway's process, as the local stack did before. Its last line:
`isolation idle_p99_ms=… busy_p99_ms=… ratio=… errors=… topology=… floor_idle_p99_ms=…
floor_busy_p99_ms=… floor_ratio=… floor_errors=… pss_mib=… rss_mib=…` (errors: the user's answers
other than 2xx, and calls with no answer, in both phases; pss_mib and rss_mib: the largest summed
proportional and resident set of the stack's processes, sampled every 2 s, devstack/memory.py).
Five untimed seconds of the user's calls come first: they create its profile and load each
function's lazy imports.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from google.api_core.exceptions import GoogleAPIError
from google.cloud import firestore

from devstack.memory import Memory, resident_memory

if TYPE_CHECKING:
    from devstack.stack import Stack

# Seconds between samples of the stack's memory during the busy phase.
MEMORY_SAMPLE_S = 2.0


# The stack's processes by piece (Stack.pieces).
Pieces = Callable[[], Mapping[str, Sequence[int]]]
# One call of a steady stream (its index in the stream); True when it was answered 2xx.
Probe = Callable[[int], bool]


@dataclass
class Calls:
    """Latency in ms of each answered 2xx call, and the count of the others."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    def percentile_ms(self, q: float) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[round(q * 100) - 1]


def p99_ratio(busy: Calls, idle: Calls) -> float:
    return busy.percentile_ms(0.99) / max(idle.percentile_ms(0.99), 1e-3)


def steady(probe: Probe, rate: float, done: Callable[[], bool], offset_s: float = 0.0) -> Calls:
    """Calls `probe` every 1/rate s, from `offset_s` on, until `done()`; open loop, so a slow
    answer does not delay the next call."""
    calls = Calls()
    lock = threading.Lock()

    def call(index: int) -> None:
        started = time.perf_counter()
        ok = probe(index)
        with lock:
            if ok:
                calls.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                calls.errors += 1

    with ThreadPoolExecutor(32) as pool:
        start = time.perf_counter() + offset_s
        time.sleep(offset_s)
        index = 0
        while not done():
            pool.submit(call, index)
            index += 1
            time.sleep(max(0.0, start + index / rate - time.perf_counter()))
    return calls


def side_by_side(probes: dict[str, Probe], rate: float, done: Callable[[], bool]) -> dict[str, Calls]:
    """Each probe in a steady stream of its own at `rate`, the streams spread evenly over one
    period so that their calls do not coincide."""
    results: dict[str, Calls] = {}

    def stream(name: str, offset_s: float) -> None:
        results[name] = steady(probes[name], rate, done, offset_s)

    threads = [
        threading.Thread(target=stream, args=(name, i / (rate * len(probes))), daemon=True)
        for i, name in enumerate(probes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def user_probe(gateway_url: str, headers: dict[str, str]) -> Probe:
    """GET /v1/me and POST /v1/checkins alternately, through the gateway, as the app calls them."""
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))

    def call(index: int) -> bool:
        try:
            if index % 2:
                return session.post(f"{gateway_url}/v1/checkins", headers=headers, json={}, timeout=60).ok
            return session.get(f"{gateway_url}/v1/me", headers=headers, timeout=60).ok
        except requests.RequestException:
            return False

    return call


def document_probe(document: firestore.DocumentReference) -> Probe:
    """A direct read of the document GET /v1/me reads, through the Firestore client the functions
    use: the part of the user's call that the local stack shares with the batch work."""

    def call(_: int) -> bool:
        try:
            return bool(document.get(timeout=60).exists)
        except GoogleAPIError:
            return False

    return call


@dataclass
class MemoryPeak:
    """The largest summed PSS among samples of the stack's memory, with that sample by piece; and
    the largest summed RSS."""

    pss_bytes: int = 0
    rss_bytes: int = 0
    pieces: dict[str, Memory] = field(default_factory=dict)

    def add(self, sample: Mapping[str, Memory]) -> None:
        pss = sum(memory.pss_bytes for memory in sample.values())
        if pss > self.pss_bytes:
            self.pss_bytes, self.pieces = pss, dict(sample)
        self.rss_bytes = max(self.rss_bytes, sum(memory.rss_bytes for memory in sample.values()))

    def largest(self) -> str:
        """The pieces of the peak sample, largest PSS first, in MiB."""
        ranked = sorted(self.pieces.items(), key=lambda item: -item[1].pss_bytes)
        return ", ".join(f"{name} {memory.pss_bytes / 2**20:.0f}" for name, memory in ranked)


def memory_sample(pieces: Pieces) -> dict[str, Memory]:
    return {name: resident_memory(pids) for name, pids in pieces().items()}


def sample_memory(pieces: Pieces, peak: MemoryPeak, until: Callable[[], bool]) -> None:
    while not until():
        peak.add(memory_sample(pieces))
        time.sleep(MEMORY_SAMPLE_S)


@dataclass(frozen=True)
class Result:
    """Both phases: the user's calls, the direct document reads beside them, and the stack's memory."""

    idle: Calls
    busy: Calls
    floor_idle: Calls
    floor_busy: Calls
    memory: MemoryPeak
    topology: str

    def line(self) -> str:
        mib = 2**20
        return (
            f"isolation idle_p99_ms={self.idle.percentile_ms(0.99):.0f} "
            f"busy_p99_ms={self.busy.percentile_ms(0.99):.0f} "
            f"ratio={p99_ratio(self.busy, self.idle):.2f} errors={self.idle.errors + self.busy.errors} "
            f"topology={self.topology} floor_idle_p99_ms={self.floor_idle.percentile_ms(0.99):.0f} "
            f"floor_busy_p99_ms={self.floor_busy.percentile_ms(0.99):.0f} "
            f"floor_ratio={p99_ratio(self.floor_busy, self.floor_idle):.2f} "
            f"floor_errors={self.floor_idle.errors + self.floor_busy.errors} "
            f"pss_mib={self.memory.pss_bytes / mib:.0f} rss_mib={self.memory.rss_bytes / mib:.0f}"
        )


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
    users: int,
    events: int,
    storm_concurrency: int,
    rate: float,
    idle_s: float,
    topology: str,
    pieces: Pieces,
    warm_up_s: float = 5.0,
) -> str:
    """Both phases on the stack the environment names, whose processes `pieces` lists by piece; the
    result line."""
    from bench import reminders_world as world
    from devstack import accounts
    from devstack.units import unit_url
    from lib import firestore as db
    from lib.config import settings

    config = settings()
    caller = accounts.new_user("isolation", "Isolation Bench")
    probes = {
        "user": user_probe(config.gateway_url, caller.headers),
        "floor": document_probe(db.client().collection("users").document(caller.uid)),
    }
    # Untimed: the user's first calls create the profile and load each function's lazy imports.
    warm_until = time.monotonic() + warm_up_s
    steady(probes["user"], rate, lambda: time.monotonic() >= warm_until)
    idle_until = time.monotonic() + idle_s
    idle = side_by_side(probes, rate, lambda: time.monotonic() >= idle_until)
    memory = MemoryPeak()
    memory.add(memory_sample(pieces))
    idle_memory = replace(memory)

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
    sampler = threading.Thread(target=sample_memory, args=(pieces, memory, lambda: not worker.is_alive()), daemon=True)
    sampler.start()
    try:
        busy = side_by_side(probes, rate, lambda: not worker.is_alive())
    finally:
        worker.join()
        sampler.join()
        world.retire(list(seeded))
    if not finished.get("done"):
        raise RuntimeError("the fan-out or the storm failed; see the stack's logs")
    busy_s = time.monotonic() - started
    for phase, calls in (("idle", idle), ("busy", busy)):
        user, floor = calls["user"], calls["floor"]
        print(
            f"{phase}: {len(user.latencies_ms)} calls p50 {user.percentile_ms(0.5):.0f} ms "
            f"p99 {user.percentile_ms(0.99):.0f} ms; {len(floor.latencies_ms)} direct reads "
            f"p50 {floor.percentile_ms(0.5):.0f} ms p99 {floor.percentile_ms(0.99):.0f} ms",
            flush=True,
        )
    print(
        f"busy phase {busy_s:.0f} s: {users} reminders, {events} webhooks, {finished['refused']} refused; "
        f"counters {finished['counters']}",
        flush=True,
    )
    print(
        f"stack memory, {sum(map(len, pieces().values()))} processes: idle PSS {idle_memory.pss_bytes / 2**20:.0f} "
        f"MiB (RSS {idle_memory.rss_bytes / 2**20:.0f} MiB), peak PSS {memory.pss_bytes / 2**20:.0f} MiB "
        f"(RSS {memory.rss_bytes / 2**20:.0f} MiB); PSS by piece idle (MiB): {idle_memory.largest()}; "
        f"at the peak: {memory.largest()}",
        flush=True,
    )
    return Result(idle["user"], busy["user"], idle["floor"], busy["floor"], memory, topology).line()


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
        print(run(args.users, args.events, args.storm_concurrency, args.rate, args.idle_s, args.topology, stack.pieces))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
