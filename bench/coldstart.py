"""Cold start per deployed entry point, against a monolith, on the local stack.

For each entry point of the route table (every Cloud Function Terraform deploys): the time
from starting a fresh interpreter to its first successful response to a representative
request (imports, client set-up and the request itself, through functions-framework as in
the cloud), median of several runs; and the same for a monolith that first imports and sets
up every SDK the project uses and then answers the same request. Runs alternate between the
two so that load on the machine affects both alike. The stack runs on TEST_PORT_BASE's ports.

Wall time is the figure defined above; on a shared, loaded machine it mostly measures waiting
for a core, so the CPU time each interpreter used up to its response is reported beside it
(`--clock cpu` puts it on the last line).

    python -m bench.coldstart [--runs 5] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass

from tests.stack_ports import test_environment

os.environ.update(test_environment())

from bench.coldstart_probe import STATUS_MARK
from bench.coldstart_requests import BenchUser, Probe, probe, representative_route
from devstack import accounts
from devstack.stack import ROOT, Stack, app_services, child_environment, emulator_services
from lib import routing
from lib.config import settings
from lib.routing import Route


@dataclass(frozen=True)
class Timing:
    wall_ms: float
    cpu_ms: float

    def ms(self, clock: str) -> float:
        return self.wall_ms if clock == "wall" else self.cpu_ms


@dataclass(frozen=True)
class Result:
    function: str
    route: str
    own: list[Timing]
    monolith: list[Timing]

    def function_ms(self, clock: str) -> float:
        return statistics.median(t.ms(clock) for t in self.own)

    def monolith_ms(self, clock: str) -> float:
        return statistics.median(t.ms(clock) for t in self.monolith)

    def ratio(self, clock: str) -> float:
        return self.function_ms(clock) / self.monolith_ms(clock)


class ProbeFailed(RuntimeError):
    pass


def entry_points() -> dict[str, list[Route]]:
    found: dict[str, list[Route]] = defaultdict(list)
    for route in routing.routes():
        if route.function != "gateway":
            found[f"{route.function}-{route.entry_point}"].append(route)
    return dict(found)


def cold_start(request: Probe, *, monolith: bool) -> Timing:
    """Wall time from spawning the interpreter to reading the response status it prints, and
    the CPU time the interpreter reports having used by then."""
    spec = request.spec(monolith=monolith, root=ROOT)
    env = {**os.environ, **child_environment(settings())}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.coldstart_probe", json.dumps(spec)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    status, cpu_ms = "", "0"
    for line in child.stdout:
        if line.startswith(STATUS_MARK):
            status, cpu_ms = line.removeprefix(STATUS_MARK).split()
            break
    elapsed = (time.perf_counter() - started) * 1000
    _, errors = child.communicate(timeout=60)
    if not status.isdigit() or not 200 <= int(status) < 300:
        tail = "\n".join(errors.strip().splitlines()[-5:])
        raise ProbeFailed(f"{request.method} {request.path} answered {status or 'nothing'}:\n{tail}")
    return Timing(wall_ms=elapsed, cpu_ms=float(cpu_ms))


def measure(key: str, routes: list[Route], user: BenchUser, runs: int) -> Result:
    route = representative_route(routes)
    own: list[Timing] = []
    mono: list[Timing] = []
    # One uncounted run each fills the OS file cache and __pycache__.
    for index in range(runs + 1):
        function = cold_start(probe(route, user), monolith=False)
        monolith = cold_start(probe(route, user), monolith=True)
        if index:
            own.append(function)
            mono.append(monolith)
    return Result(key, f"{route.method} {route.path}", own, mono)


def bench_user() -> BenchUser:
    suffix = uuid.uuid4().hex[:12]
    email = f"bench-{suffix}@example.com"
    password = f"pw-{suffix}"
    uid = accounts.create_user(email, password, "Bench User")
    return BenchUser(uid=uid, email=email, token=accounts.sign_in(email, password))


def report(result: Result) -> str:
    figures = " ".join(
        f"{clock}: function_ms={result.function_ms(clock):.0f} monolith_ms={result.monolith_ms(clock):.0f} "
        f"ratio={result.ratio(clock):.2f}"
        for clock in ("wall", "cpu")
    )
    return f"{result.function:36} {result.route:40} {figures}"


def summary(results: list[Result], clock: str) -> str:
    worst = max(results, key=lambda r: r.ratio(clock))
    median_ratio = statistics.median(r.ratio(clock) for r in results)
    return (
        f"coldstart functions={len(results)} median_ratio={median_ratio:.2f} "
        f"worst_function={worst.function} worst_ms={worst.function_ms(clock):.0f} "
        f"monolith_ms={worst.monolith_ms(clock):.0f} worst_ratio={worst.ratio(clock):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="counted runs per entry point and variant")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="the figure on the last line")
    args = parser.parse_args()
    config = settings()
    stack = Stack(config)
    results: list[Result] = []
    failed: list[str] = []
    try:
        stack.start(emulator_services(config) + app_services(config))
        user = bench_user()
        for key, routes in sorted(entry_points().items()):
            try:
                result = measure(key, routes, user, args.runs)
            except ProbeFailed as exc:
                failed.append(key)
                print(f"{key}: not measured, {exc}", flush=True)
                continue
            results.append(result)
            print(report(result), flush=True)
    finally:
        stack.stop()
    if failed:
        print(f"not measured (no successful response): {', '.join(failed)}")
    if not results:
        raise SystemExit("no entry point answered successfully")
    other = "cpu" if args.clock == "wall" else "wall"
    print(f"({other} time) {summary(results, other)}")
    print(summary(results, args.clock))


if __name__ == "__main__":
    main()
