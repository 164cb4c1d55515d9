"""Many devices of one user checking in at the same moment, on the Firestore emulator:
the conditional atomic commit of functions/streaks/checkins.py against a locking
transaction (lib.firestore.run_transaction) doing the same reads and writes.

    TEST_PORT_BASE=20000 .venv/bin/python -m bench.streak_checkins --devices 16 --rounds 5

Starts its own Firestore emulator on the TEST_PORT_BASE ports and stops it at the end.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from devstack.ports import test_environment

os.environ.update(test_environment())

from google.cloud import firestore

from bench.calls import Calls, compared, timed
from devstack.stack import emulator_services, running_stack
from functions.streaks import checkins, streak
from functions.streaks.api import CheckinRequest
from functions.streaks.summary import summary_of
from lib import day_rule
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


def run(check_in: CheckIn, devices: int, rounds: int) -> Calls:
    calls = Calls(checks={"users_with_wrong_day_count": 0})
    started = time.perf_counter()
    for _ in range(rounds):
        uid = f"bench-{uuid.uuid4().hex[:12]}"
        gate = threading.Barrier(devices)

        def device(uid: str = uid, gate: threading.Barrier = gate) -> float | None:
            gate.wait()
            return timed(lambda: check_in(uid))

        with ThreadPoolExecutor(max_workers=devices) as pool:
            calls.add(pool.map(lambda _: device(), range(devices)))
        days = list(db.client().collection("users").document(uid).collection("checkins").list_documents())
        current = summary_of(db.client().collection("users").document(uid).get().to_dict() or {}).current
        calls.checks["users_with_wrong_day_count"] += int(len(days) != 1 or current != 1)
    calls.wall_s = time.perf_counter() - started
    return calls


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
    print(f"devices={args.devices} rounds={args.rounds} {compared(candidate, baseline, 'conditional', 'transaction')}")


if __name__ == "__main__":
    main()
