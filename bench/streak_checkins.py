"""Many devices of one user checking in at the same moment, on the Firestore emulator:
the conditional atomic commit of functions/streaks/checkins.py against a locking
transaction (lib.firestore.run_transaction) doing the same reads and writes.

    TEST_PORT_BASE=20000 .venv/bin/python -m bench.streak_checkins --devices 16 --rounds 5

Starts its own Firestore emulator on the TEST_PORT_BASE ports and stops it at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from devstack.ports import test_environment

os.environ.update(test_environment())

from google.cloud import firestore

from devstack.stack import emulator_services, running_stack
from functions.streaks import checkins, streak
from functions.streaks.api import CheckinRequest
from functions.streaks.summary import summary_of
from lib import day_rule, errors
from lib import firestore as db
from lib.config import settings

CheckIn = Callable[[str], object]


def transaction_check_in(uid: str) -> object:
    """The baseline: read the user and today's check-in, then write both, in one locking transaction."""
    now = datetime.now(UTC)
    user_ref = db.client().collection("users").document(uid)

    def record(transaction: firestore.Transaction) -> object:
        user = user_ref.get(transaction=transaction).to_dict() or {}
        rule = day_rule.rule_of(user)
        day = rule.local_day(now)
        checkin_ref = user_ref.collection("checkins").document(day.isoformat())
        already = checkin_ref.get(transaction=transaction).exists
        previous = summary_of(user)
        updated = previous if already else streak.next_summary(previous, day, rule, now).summary
        if updated != previous:
            transaction.create(checkin_ref, {"local_date": day.isoformat()})
            transaction.set(user_ref, {"streak": updated.as_field()}, merge=True)
        return updated

    return db.run_transaction(record)


def conditional_check_in(uid: str) -> object:
    return checkins.check_in(uid, CheckinRequest())


@dataclass
class Figures:
    latencies_s: list[float]
    unavailable: int
    wall_s: float
    days_counted_wrong: int

    def line(self, name: str) -> str:
        lat = sorted(self.latencies_s)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
        median = statistics.median(lat) if lat else float("nan")
        return (
            f"{name}: ok={len(lat)} unavailable(503)={self.unavailable} p50={median:.3f}s p99={p99:.3f}s "
            f"wall={self.wall_s:.1f}s users_with_wrong_day_count={self.days_counted_wrong}"
        )


def run(check_in: CheckIn, devices: int, rounds: int) -> Figures:
    figures = Figures([], 0, 0.0, 0)
    started = time.perf_counter()
    for _ in range(rounds):
        uid = f"bench-{uuid.uuid4().hex[:12]}"
        gate = threading.Barrier(devices)

        def device(uid: str = uid, gate: threading.Barrier = gate) -> float | None:
            gate.wait()
            begun = time.perf_counter()
            try:
                check_in(uid)
            except errors.Unavailable:
                return None
            return time.perf_counter() - begun

        with ThreadPoolExecutor(max_workers=devices) as pool:
            results = list(pool.map(lambda _: device(), range(devices)))
        figures.latencies_s += [r for r in results if r is not None]
        figures.unavailable += sum(r is None for r in results)
        days = list(db.client().collection("users").document(uid).collection("checkins").list_documents())
        current = summary_of(db.client().collection("users").document(uid).get().to_dict() or {}).current
        figures.days_counted_wrong += int(len(days) != 1 or current != 1)
    figures.wall_s = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    config = settings()
    services = [s for s in emulator_services(config) if s.name == "firestore"]
    with running_stack(config, services):
        conditional_check_in(f"warm-{uuid.uuid4().hex[:8]}")
        baseline = run(transaction_check_in, args.devices, args.rounds)
        candidate = run(conditional_check_in, args.devices, args.rounds)
    print(baseline.line("transaction (baseline)"))
    print(candidate.line("conditional commit"))
    print(
        f"devices={args.devices} rounds={args.rounds} "
        f"wall ratio conditional/transaction={candidate.wall_s / baseline.wall_s:.2f} "
        f"503s transaction={baseline.unavailable} conditional={candidate.unavailable}"
    )


if __name__ == "__main__":
    main()
