"""Cold start per deployed entry point, against a monolith, on the local stack.

For each entry point of the route table (every Cloud Function Terraform deploys): the time
from starting a fresh interpreter to its first successful response to a representative
request (imports, client set-up and the request itself, through functions-framework as in
the cloud), median of several runs; and the same for a monolith that first imports and sets
up every SDK the project uses and then answers the same request. Runs alternate between the
two so that load on the machine affects both alike. The stack runs on TEST_PORT_BASE's ports.

    python -m bench.coldstart [--runs 5]
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
class Result:
    function: str
    route: str
    function_ms: float
    monolith_ms: float

    @property
    def ratio(self) -> float:
        return self.function_ms / self.monolith_ms


class ProbeFailed(RuntimeError):
    pass


def entry_points() -> dict[str, list[Route]]:
    found: dict[str, list[Route]] = defaultdict(list)
    for route in routing.routes():
        if route.function != "gateway":
            found[f"{route.function}-{route.entry_point}"].append(route)
    return dict(found)


def cold_start_ms(request: Probe, *, monolith: bool) -> float:
    """Wall time from spawning the interpreter to reading the response status it prints."""
    spec = {
        "monolith": monolith,
        "entry_point": request.route.entry_point,
        "source": str(ROOT / "functions" / request.route.function / "main.py"),
        "method": request.method,
        "path": request.path,
        "headers": request.headers,
        "body": request.body,
    }
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
    status = ""
    for line in child.stdout:
        if line.startswith(STATUS_MARK):
            status = line.removeprefix(STATUS_MARK).strip()
            break
    elapsed = (time.perf_counter() - started) * 1000
    _, errors = child.communicate(timeout=60)
    if not status.isdigit() or not 200 <= int(status) < 300:
        tail = "\n".join(errors.strip().splitlines()[-5:])
        raise ProbeFailed(f"{request.method} {request.path} answered {status or 'nothing'}:\n{tail}")
    return elapsed


def measure(key: str, routes: list[Route], user: BenchUser, runs: int) -> Result:
    route = representative_route(routes)
    own: list[float] = []
    mono: list[float] = []
    # One uncounted run each fills the OS file cache and __pycache__.
    for index in range(runs + 1):
        function_ms = cold_start_ms(probe(route, user), monolith=False)
        monolith_ms = cold_start_ms(probe(route, user), monolith=True)
        if index:
            own.append(function_ms)
            mono.append(monolith_ms)
    return Result(key, f"{route.method} {route.path}", statistics.median(own), statistics.median(mono))


def bench_user() -> BenchUser:
    suffix = uuid.uuid4().hex[:12]
    email = f"bench-{suffix}@example.com"
    password = f"pw-{suffix}"
    uid = accounts.create_user(email, password, "Bench User")
    return BenchUser(uid=uid, email=email, token=accounts.sign_in(email, password))


def summary(results: list[Result]) -> str:
    worst = max(results, key=lambda r: r.ratio)
    return (
        f"coldstart functions={len(results)} median_ratio={statistics.median(r.ratio for r in results):.2f} "
        f"worst_function={worst.function} worst_ms={worst.function_ms:.0f} monolith_ms={worst.monolith_ms:.0f} "
        f"worst_ratio={worst.ratio:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="counted runs per entry point and variant")
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
            print(
                f"{key:40} {result.route:42} function_ms={result.function_ms:6.0f} "
                f"monolith_ms={result.monolith_ms:6.0f} ratio={result.ratio:.2f}",
                flush=True,
            )
    finally:
        stack.stop()
    if failed:
        print(f"not measured (no successful response): {', '.join(failed)}")
    if not results:
        raise SystemExit("no entry point answered successfully")
    print(summary(results))


if __name__ == "__main__":
    main()
