"""Where a cold start's CPU time goes, step by step, for each entry point and its monolith.

Each fresh interpreter imports the SDKs it will load anyway one at a time, in a fixed order
(a module shared by several SDKs is charged to the first), then builds the app and answers
the same representative request as bench.coldstart. A function's steps are the SDKs it loads
by the time it has answered; the monolith's are all of them, then its client set-up. Medians
of `--runs` CPU times, in ms. The stack runs on TEST_PORT_BASE's ports.

    python -m bench.coldstart_profile [--runs 5] [--only auth_hooks-me,...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

from devstack.ports import test_environment

os.environ.update(test_environment())

from bench.coldstart import checked, entry_points, run_probe
from bench.coldstart_probe import LOADED_MARK, STEPS_MARK
from bench.coldstart_requests import Probe, probe, representative_route
from devstack import accounts
from devstack.accounts import SignedInUser
from devstack.stack import ROOT, Stack, app_services, emulator_services
from lib.config import settings
from lib.routing import Route

# Heaviest shared dependencies first, so each later step counts only what it adds.
SDK_ORDER = (
    "functions_framework",
    "pydantic.main",
    "google.auth.transport.requests",
    "grpc",
    "google.cloud.firestore",
    "firebase_admin",
    "httpx",
    "firebase_admin.auth",
    "yaml",
    "tenacity",
    "stripe",
    "firebase_admin.messaging",
    "google.cloud.tasks_v2",
    "firebase_functions.identity_fn",
)


def _run(request: Probe, *, monolith: bool, extra: dict[str, list[str]]) -> dict[str, str]:
    spec = {**request.spec(monolith=monolith, root=ROOT), **extra}
    return checked(run_probe(spec), f"{request.method} {request.path}", ok=lambda s: s.isdigit()).marks


def steps(route: Route, user: SignedInUser, *, monolith: bool, runs: int) -> dict[str, float]:
    """A new request each run: webhook events and send batches carry unique ids."""
    first = _run(probe(route, user), monolith=monolith, extra={"loaded": list(SDK_ORDER)})
    loaded = json.loads(first[LOADED_MARK])
    samples = [
        json.loads(_run(probe(route, user), monolith=monolith, extra={"steps": loaded})[STEPS_MARK])
        for _ in range(runs)
    ]
    return {name: statistics.median(s[name] for s in samples) for name in samples[0]}


def table(key: str, own: dict[str, float], mono: dict[str, float]) -> str:
    rows = [f"{key}: CPU ms, median; function | monolith"]
    for name in dict.fromkeys([*mono, *own]):
        rows.append(f"  {name:58} {own.get(name, 0):7.1f} | {mono.get(name, 0):7.1f}")
    total_own, total_mono = sum(own.values()), sum(mono.values())
    rows.append(f"  {'total':58} {total_own:7.1f} | {total_mono:7.1f}  ratio {total_own / total_mono:.2f}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated entry points (function-entry_point)")
    args = parser.parse_args()
    config = settings()
    stack = Stack(config)
    try:
        stack.start(emulator_services(config) + app_services(config))
        user = accounts.new_user("bench", "Bench User")
        for key, routes in sorted(entry_points(args.only).items()):
            route = representative_route(routes)
            own = steps(route, user, monolith=False, runs=args.runs)
            mono = steps(route, user, monolith=True, runs=args.runs)
            print(table(key, own, mono), flush=True)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
