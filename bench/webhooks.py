"""`python -m bench.webhooks --events N --dup-rate 0.3 --concurrency 32`

Sends N distinct Stripe events plus duplicates, shuffled, concurrently, through the
gateway's /stripe/webhook, as Stripe would (signed; a 409 is retried later). Then checks
from Firestore that every event took effect exactly once and that each user's entitlement
equals what the local Stripe holds. The events are real: users check out through the
gateway and their subscriptions change status at the local Stripe, whose own deliveries
are switched off so that only the benchmark delivers.

A baseline slice of the events is first delivered one at a time; the concurrent figures
are also printed as ratios against it. The last line is the result:
`webhooks events=N deliveries=… applied_once=… applied_twice=… missing=… p50_ms=… p99_ms=… rps=…`
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import stripe

from bench import stack_cpu
from devstack import accounts
from devstack.stack import Stack, app_services, emulator_services
from functions.stripe_webhook.events import entitlement_now
from lib import firestore as db
from lib import stripe_api
from lib.config import settings

# Each user's subscription goes round these lifecycle steps at the local Stripe, so every event
# type the webhook handles is in the mix: a failed renewal, recovery, pause and resume, a full
# refund, a dispute, unpaid. Each step is valid from the state the one before leaves.
STEPS = (
    "payment_failed",
    "status=active",
    "pause",
    "resume",
    "refund",
    "dispute",
    "status=unpaid",
    "status=active",
)
RETRY_WAIT_S = 0.2
MAX_TRIES = 20


@dataclass(frozen=True)
class Options:
    events: int
    dup_rate: float
    concurrency: int
    users: int


@dataclass(frozen=True)
class BenchUser:
    uid: str
    customer_id: str
    subscription_id: str


@dataclass
class Result:
    events: int
    deliveries: int
    applied_once: int
    applied_twice: int
    missing: int
    mismatched: int
    p50_ms: float
    p99_ms: float
    rps: float
    baseline_p50_ms: float
    # CPU ms per delivery over the concurrent phase, per piece of the stack (only the bench's
    # own without --start-stack) and what the machine's load average was around it.
    cpu_ms: dict[str, float]
    load: tuple[float, float]
    types: dict[str, int]  # the events of each type in the mix

    def line(self) -> str:
        return (
            f"webhooks events={self.events} deliveries={self.deliveries} applied_once={self.applied_once} "
            f"applied_twice={self.applied_twice} missing={self.missing} p50_ms={self.p50_ms:.1f} "
            f"p99_ms={self.p99_ms:.1f} rps={self.rps:.1f}"
        )


def _local(method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(method, settings().stripe_api_base + path, timeout=30, **kwargs)
    response.raise_for_status()
    return response.json()


def _make_user(run_id: str, index: int) -> tuple[BenchUser, list[str]]:
    """A user who checked out through the gateway; answers the events that produced."""
    user = accounts.new_user(f"bench-{run_id}-{index}", "Bench User")
    session = requests.post(
        f"{settings().gateway_url}/v1/billing/checkout-session",
        headers=user.headers,
        timeout=30,
    )
    session.raise_for_status()
    completed = _local("POST", f"/_local/checkout_sessions/{session.json()['id']}/complete")
    subscription = completed["subscription"]
    return BenchUser(user.uid, subscription["customer"], subscription["id"]), list(completed["events"])


def prepare(options: Options) -> tuple[list[BenchUser], list[str]]:
    """Users, subscriptions and exactly `options.events` events at the local Stripe."""
    run_id = uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(lambda i: _make_user(run_id, i), range(options.users)))
    users = [user for user, _ in made]
    event_ids = [e for _, events in made for e in events][: options.events]

    def change(step: int) -> list[str]:
        user = users[step % len(users)]
        action = STEPS[(step // len(users)) % len(STEPS)]
        path = f"/_local/subscriptions/{user.subscription_id}"
        if action.startswith("status="):
            return list(_local("POST", f"{path}/update", data={"status": action.removeprefix("status=")})["events"])
        return list(_local("POST", f"{path}/{action}")["events"])

    step = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(event_ids) < options.events:
            # Each user's changes stay in order within a round: round r changes every user once.
            round_size = min(len(users), options.events - len(event_ids))
            for events in pool.map(change, range(step, step + round_size)):
                event_ids.extend(events)
            step += round_size
    return users, event_ids[: options.events]


def payloads(event_ids: Sequence[str], since: int) -> dict[str, str]:
    """Each event's JSON as Stripe's API lists it, read with the stripe library."""
    wanted = set(event_ids)
    found: dict[str, str] = {}
    listing = stripe_api.client().v1.events.list({"created": {"gte": since}, "limit": 100})
    for event in listing.auto_paging_iter():
        if event.id in wanted:
            found[event.id] = json.dumps(event.to_dict(for_json=True))
    return found


class Sender:
    """Delivers like Stripe: signed at send time; 409/5xx/network errors are retried after a pause.

    Light on the shared CPU: one kept-alive http.client connection per thread and bodies
    encoded once, so the client takes little from the server it measures."""

    def __init__(self) -> None:
        url = urllib.parse.urlsplit(settings().gateway_url + "/stripe/webhook")
        self.connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        self.host, self.path = url.netloc, url.path
        self.secret = settings().stripe_webhook_secrets[0]
        self.local = threading.local()
        self.lock = threading.Lock()
        self.latencies_ms: list[float] = []
        self.sent = 0
        self.failed = 0

    def _post(self, body: bytes, signature: str) -> int:
        connection: http.client.HTTPConnection | None = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = self.connection_class(self.host, timeout=60)
        headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
        for _ in range(2):  # a kept-alive connection the server has closed fails once; then a new one
            try:
                connection.request("POST", self.path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                return response.status
            except (OSError, http.client.HTTPException):
                connection.close()  # the next request() connects again
        return 0

    def send(self, payload: str) -> None:
        body = payload.encode()
        for _ in range(MAX_TRIES):
            header = stripe.WebhookSignature.generate_signature_header(payload, self.secret)
            started = time.perf_counter()
            status = self._post(body, header)
            with self.lock:
                self.latencies_ms.append((time.perf_counter() - started) * 1000)
                self.sent += 1
            if 200 <= status < 300:
                return
            time.sleep(RETRY_WAIT_S)
        with self.lock:
            self.failed += 1


def deliver(deliveries: Sequence[str], concurrency: int) -> tuple[Sender, float]:
    sender = Sender()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(sender.send, deliveries))
    return sender, time.perf_counter() - started


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def applied_counts(event_ids: Sequence[str]) -> list[int]:
    """How many times processing ran for each event (0 when it never completed)."""
    client = db.client()
    counts: list[int] = []
    for start in range(0, len(event_ids), 300):
        refs = [client.collection("stripe_events").document(e) for e in event_ids[start : start + 300]]
        by_id = {s.id: s.to_dict() or {} for s in client.get_all(refs)}
        for event_id in event_ids[start : start + 300]:
            record = by_id.get(event_id, {})
            counts.append(int(record.get("applied", 0)) if record.get("status") == "completed" else 0)
    return counts


def mismatched_entitlements(users: Sequence[BenchUser]) -> int:
    """Users whose stored entitlement differs from what the local Stripe holds now."""
    client = db.client()
    wrong = 0
    for user in users:
        expected = entitlement_now(user.customer_id, datetime.now(UTC))
        stored = client.collection("entitlements").document(user.uid).get().to_dict() or {}
        if [stored.get(k) for k in ("plan", "status", "subscription_id")] != [
            expected.plan,
            expected.status,
            expected.subscription_id,
        ]:
            wrong += 1
    return wrong


def run(options: Options, stack_groups: Mapping[str, int]) -> Result:
    """`stack_groups`: the stack's pieces by name and process id, to report their CPU."""
    since = int(time.time()) - 1
    _local("PUT", "/_local/webhook_faults", json={"drop_rate": 1.0})
    try:
        users, event_ids = prepare(options)
    finally:
        _local("PUT", "/_local/webhook_faults", json={})
    bodies = payloads(event_ids, since)
    baseline_ids = event_ids[: max(1, len(event_ids) // 50)]
    baseline, _ = deliver([bodies[e] for e in baseline_ids if e in bodies], concurrency=1)
    rest = [bodies[e] for e in event_ids[len(baseline_ids) :] if e in bodies]
    deliveries = rest + random.choices(rest, k=round(len(rest) * options.dup_rate)) if rest else []
    random.shuffle(deliveries)
    load_before, cpu_before = os.getloadavg()[0], _cpu_s(stack_groups)
    sender, elapsed = deliver(deliveries, options.concurrency)
    load_after, cpu_after = os.getloadavg()[0], _cpu_s(stack_groups)
    counts = applied_counts(event_ids)
    return Result(
        events=len(event_ids),
        deliveries=baseline.sent + sender.sent,
        applied_once=sum(1 for c in counts if c == 1),
        applied_twice=sum(1 for c in counts if c >= 2),
        missing=sum(1 for c in counts if c == 0),
        mismatched=mismatched_entitlements(users),
        p50_ms=percentile(sender.latencies_ms, 0.50),
        p99_ms=percentile(sender.latencies_ms, 0.99),
        rps=sender.sent / elapsed if elapsed else 0.0,
        baseline_p50_ms=statistics.median(baseline.latencies_ms) if baseline.latencies_ms else 0.0,
        cpu_ms={k: 1000 * (cpu_after[k] - cpu_before[k]) / max(sender.sent, 1) for k in cpu_after},
        load=(load_before, load_after),
        types=dict(Counter(json.loads(bodies[e])["type"] for e in event_ids if e in bodies)),
    )


def _cpu_s(stack_groups: Mapping[str, int]) -> dict[str, float]:
    own = os.times()  # this process alone: its children are the stack, counted per piece
    return {**stack_cpu.tree_cpu_s(stack_groups), "bench": own.user + own.system}


@contextmanager
def own_stack() -> Iterator[dict[str, int]]:
    """Starts the stack; yields its pieces' process ids."""
    stack = Stack(settings())
    try:
        stack.start(emulator_services(settings()) + app_services(settings()))
        yield stack_cpu.roots(stack)
    finally:
        stack.stop()


def main(argv: Sequence[str] | None = None) -> Result:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--dup-rate", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--users", type=int, default=0, help="default: one per 20 events, at most 500")
    parser.add_argument("--start-stack", action="store_true", help="start a local stack on the configured ports")
    args = parser.parse_args(argv)
    users = args.users or max(1, min(500, args.events // 20))
    options = Options(events=args.events, dup_rate=args.dup_rate, concurrency=args.concurrency, users=users)
    stack: AbstractContextManager[dict[str, int]] = own_stack() if args.start_stack else nullcontext({})
    with stack as stack_groups:
        result = run(options, stack_groups)
    print(f"users={users} entitlements_mismatched={result.mismatched}")
    print("event types " + " ".join(f"{k}={v}" for k, v in sorted(result.types.items())))
    print(
        f"baseline (one at a time) p50_ms={result.baseline_p50_ms:.1f}; "
        f"under concurrency {options.concurrency}: p50 x{result.p50_ms / max(result.baseline_p50_ms, 0.001):.2f}, "
        f"p99 x{result.p99_ms / max(result.baseline_p50_ms, 0.001):.2f} of the baseline p50"
    )
    print(
        f"cpu_ms_per_delivery {' '.join(f'{k}={v:.2f}' for k, v in result.cpu_ms.items())} "
        f"total={sum(result.cpu_ms.values()):.2f}; load average {result.load[0]:.2f} -> {result.load[1]:.2f}"
    )
    print(result.line())
    return result


if __name__ == "__main__":
    main()
