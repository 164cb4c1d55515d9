"""`python -m bench.reminders_spread --users N`: the local FCM's peak requests per second when N
users are due in the same minute, with the tick's spread off (the baseline) and on.

For each of `REMINDERS_SPREAD_S=0` and `--spread-s`, it starts its own stack (ports from
--port-base), seeds N users due a minute ago with one device each, runs one tick at the real
time, waits until every user has their message, and reads when the local FCM received each
one. Its last line:
`reminders_spread users=N peak_rps_without=… peak_rps_with=… ratio=… seconds_with=… lost=… doubled=…`
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--spread-s", type=int, default=60)
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("BENCH_PORT_BASE", "18500")))
    parser.add_argument("--shards", type=int, default=4, help="queues, i.e. concurrent batch tasks")
    parser.add_argument("--timeout-s", type=int, default=600, help="the most one variant may take")
    return parser.parse_args()


def peak_per_second(received: list[datetime]) -> int:
    """The most messages received within any one wall-clock second."""
    return max(Counter(int(at.timestamp()) for at in received).values(), default=0)


def run_variant(users: int, spread_s: int, timeout_s: int) -> tuple[list[datetime], int, int]:
    """One stack with this spread: when each message arrived, and the users lost and doubled."""
    os.environ["REMINDERS_SPREAD_S"] = str(spread_s)
    import requests

    from bench import reminders_world as world
    from devstack.stack import Stack, app_services, emulator_services
    from devstack.units import unit_url
    from lib.config import settings

    settings.cache_clear()
    stack = Stack(settings())
    try:
        stack.start(emulator_services(settings()) + app_services(settings()))
        fcm = settings().fcm_endpoint
        requests.put(f"{fcm}/_local/faults", json={"latency_ms": 20}, timeout=10).raise_for_status()
        now = datetime.now(UTC)
        seeded = world.seed(users, now - timedelta(minutes=1))
        tick = f"{unit_url(settings(), 'reminders-tick')}/internal/reminders/tick"
        answer = requests.post(tick, json={}, timeout=600)
        answer.raise_for_status()
        addresses = set(seeded.values())
        deadline = time.monotonic() + timeout_s
        while len(world.messages_per_address(fcm, addresses)) < len(addresses) and time.monotonic() < deadline:
            time.sleep(1)
        world.retire(list(seeded))
        messages = requests.get(f"{fcm}/_local/messages", timeout=120).json()["messages"]
        mine = [m for m in messages if m["token"] in addresses]
        counts = Counter(m["token"] for m in mine)
        lost = sum(1 for a in addresses if counts[a] == 0)
        doubled = sum(1 for a in addresses if counts[a] > 1)
        return [datetime.fromisoformat(m["received_at"]) for m in mine], lost, doubled
    finally:
        stack.stop()


def main() -> None:
    args = _arguments()
    os.environ["TEST_PORT_BASE"] = str(args.port_base)
    from devstack.ports import test_environment

    os.environ.update(test_environment())
    os.environ["REMINDERS_QUEUE_SHARDS"] = str(args.shards)
    results = {}
    for spread_s in (0, args.spread_s):
        received, lost, doubled = run_variant(args.users, spread_s, args.timeout_s)
        span = (max(received) - min(received)).total_seconds() if received else 0.0
        peak = peak_per_second(received)
        print(f"spread_s={spread_s}: peak_rps={peak} over {span:.1f}s, lost={lost} doubled={doubled}", flush=True)
        results[spread_s] = (peak_per_second(received), span, lost, doubled)
    (without, _, lost0, doubled0), (with_spread, span, lost1, doubled1) = results[0], results[args.spread_s]
    print(
        f"reminders_spread users={args.users} peak_rps_without={without} peak_rps_with={with_spread} "
        f"ratio={with_spread / without:.2f} seconds_with={span:.1f} lost={lost0 + lost1} doubled={doubled0 + doubled1}"
    )


if __name__ == "__main__":
    main()
