"""Many users opening their reminders at the same moment, on the Firestore emulator: an open as
functions/reminders/opens.py records it (a conditional commit counting in one of the day's open
shards) against the way it was recorded before (a locking transaction counting in the day's one
counter document), each on its own day's messages.

    TEST_PORT_BASE=20000 .venv/bin/python -m bench.opens --users 300 --concurrency 32

Starts its own Firestore emulator on the TEST_PORT_BASE ports and stops it at the end, unless
`--running-stack` says the test stack's is already there. Each run counts on days of its own.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from devstack.ports import test_environment

os.environ.update(test_environment())

from google.cloud import firestore

from bench.calls import Calls, compared, timed
from devstack.stack import Stack, emulator_services
from functions.reminders import counters, opens, send_records
from lib import firestore as db
from lib import queries
from lib.config import settings
from ops.daily_stats import read_days

Open = Callable[[str, str, datetime], object]


def transaction_open(uid: str, message_id: str, now: datetime) -> object:
    """The baseline: the send record stamped and the open counted in the day's counter document,
    in one locking transaction."""
    ref = next(iter(queries.stream(opens.SEND_BY_MESSAGE_ID, db.client(), message_id, limit=1))).reference

    def mark(transaction: firestore.Transaction) -> bool:
        record = ref.get(transaction=transaction).to_dict() or {}
        first = record.get("opened_at") is None
        if first:
            transaction.update(ref, {"opened_at": now})
            counted = {(record["kind"], record["variant"]): {"opened": 1}}
            for write in counters.increment(record["day"], {"opened": 1}, variants=counted):
                write(transaction)
        return first

    return db.run_transaction(mark)


def sharded_open(uid: str, message_id: str, now: datetime) -> object:
    return opens.record_open(uid, message_id, now)


def sent_messages(day: date, users: int) -> list[tuple[str, str]]:
    """(uid, message id) of `users` daily reminders sent on `day`, as the sender records them."""
    messages = [(f"bench-{uuid.uuid4().hex[:12]}", uuid.uuid4().hex) for _ in range(users)]
    for start in range(0, users, 400):
        batch = db.client().batch()
        for uid, message_id in messages[start : start + 400]:
            record = {
                "uid": uid,
                "message_id": message_id,
                "status": send_records.SendStatus.SENT.value,
                "kind": "daily_reminder",
                "variant": "a",
                "day": day.isoformat(),
                "local_date": day.isoformat(),
            }
            batch.set(db.client().collection(send_records.COLLECTION).document(f"{uid}_{day.isoformat()}"), record)
        batch.commit()
    return messages


def run(record: Open, day: date, users: int, concurrency: int) -> Calls:
    messages = sent_messages(day, users)
    now = datetime.now(UTC)
    calls = Calls()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        calls.add(pool.map(lambda m: timed(lambda: record(m[0], m[1], now)), messages))
    calls.wall_s = time.perf_counter() - started
    calls.checks["opens_counted"] = read_days([day])[0].reminders["opened"]
    return calls


@dataclass(frozen=True)
class Result:
    baseline: Calls
    sharded: Calls


def main(argv: Sequence[str] | None = None) -> Result:
    parser = argparse.ArgumentParser(prog="python -m bench.opens")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--running-stack", action="store_true", help="use the test stack's emulator")
    args = parser.parse_args(argv)
    config = settings()
    first_day = date(2100, 1, 1) + timedelta(days=random.randrange(30_000))
    stack = Stack(config)
    try:
        if not args.running_stack:
            stack.start([s for s in emulator_services(config) if s.name == "firestore"])
        run(sharded_open, first_day, 20, 4)  # warms the emulator and the client
        baseline = run(transaction_open, first_day + timedelta(days=1), args.users, args.concurrency)
        sharded = run(sharded_open, first_day + timedelta(days=2), args.users, args.concurrency)
    finally:
        stack.stop()
    print(baseline.line("transaction, one counter document (baseline)"))
    print(sharded.line("conditional commit, open shards"))
    print(
        f"opens users={args.users} concurrency={args.concurrency} {compared(sharded, baseline, 'sharded', 'baseline')}"
    )
    return Result(baseline, sharded)


if __name__ == "__main__":
    main()
