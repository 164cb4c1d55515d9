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

Floors: for each set of SDKs the entry points load by the time they answer, a fresh interpreter
that only imports those SDKs (no project code, no client, no request) against one that imports and
sets up the monolith's (no request). Any code answering the same request loads at least those SDKs,
and what it adds beyond them (its own modules, its clients, the request) the monolith answering the
same request adds too, or less (its clients are already set up): that only moves the ratio towards
1, so an entry point's floor is the least its ratio can be. The Firestore floor (functions-framework,
pydantic, the Firestore client, which every entry point here needs for its typical request) bounds
them all. A floor is only as steady as the machine: `--floor-runs` pairs, median.

    python -m bench.coldstart [--runs 5] [--floor-runs 10] [--clock wall|cpu] [--only auth_hooks-me,...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from devstack.ports import test_environment

os.environ.update(test_environment())

from bench.coldstart_probe import IMPORTED, LOADED_MARK, STATUS_MARK, STEPS_MARK
from bench.coldstart_requests import Probe, probe, representative_route
from bench.monolith import SDK_MODULES
from devstack import accounts
from devstack.accounts import SignedInUser
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
    # The SDKs (of bench.monolith.SDK_MODULES) the function had loaded when it answered.
    sdks: frozenset[str] = field(default_factory=frozenset)

    def function_ms(self, clock: str) -> float:
        return statistics.median(t.ms(clock) for t in self.own)

    def monolith_ms(self, clock: str) -> float:
        return statistics.median(t.ms(clock) for t in self.monolith)

    def ratio(self, clock: str) -> float:
        return self.function_ms(clock) / self.monolith_ms(clock)


class ProbeFailed(RuntimeError):
    pass


def entry_points(only: str = "") -> dict[str, list[Route]]:
    """The deployed entry points (`function-entry_point`), or those listed comma-separated in `only`."""
    wanted = set(filter(None, only.split(",")))
    found: dict[str, list[Route]] = defaultdict(list)
    for route in routing.routes():
        key = f"{route.function}-{route.entry_point}"
        if route.function != "gateway" and (not wanted or key in wanted):
            found[key].append(route)
    unknown = wanted - found.keys()
    if unknown:
        raise SystemExit(f"no such entry point: {', '.join(sorted(unknown))}")
    return dict(found)


@dataclass(frozen=True)
class Run:
    status: str
    timing: Timing
    marks: dict[str, str]
    errors: str


def run_probe(spec: dict[str, Any]) -> Run:
    """Spawns bench.coldstart_probe with `spec`. Wall time runs from spawning the interpreter
    to reading the status it prints; the CPU time is what the interpreter reports by then."""
    env = {**os.environ, **child_environment(settings())}
    # stderr goes to a file: reading it through a pipe alongside stdout could lose what stdout's
    # reader had buffered past the status line (the marks printed after it).
    with tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        with subprocess.Popen(
            [sys.executable, "-m", "bench.coldstart_probe", json.dumps(spec)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        ) as child:
            assert child.stdout is not None
            status, cpu_ms = "", "0"
            for line in child.stdout:
                if line.startswith(STATUS_MARK):
                    status, cpu_ms = line.removeprefix(STATUS_MARK).split()
                    break
            elapsed = (time.perf_counter() - started) * 1000
            rest = child.stdout.read()
            child.wait(timeout=60)
        stderr.seek(0)
        errors = stderr.read()
    marks = {m: ln.removeprefix(m) for ln in rest.splitlines() for m in (LOADED_MARK, STEPS_MARK) if ln.startswith(m)}
    return Run(status, Timing(wall_ms=elapsed, cpu_ms=float(cpu_ms)), marks, errors)


def checked(run: Run, what: str, *, ok: Callable[[str], bool]) -> Run:
    if not ok(run.status):
        tail = "\n".join(run.errors.strip().splitlines()[-5:])
        raise ProbeFailed(f"{what} answered {run.status or 'nothing'}:\n{tail}")
    return run


def cold_start(request: Probe, *, monolith: bool) -> Run:
    """One cold start answering `request`; its run also says which SDKs it had loaded."""
    spec = {**request.spec(monolith=monolith, root=ROOT), "loaded": list(SDK_MODULES)}
    return checked(
        run_probe(spec), f"{request.method} {request.path}", ok=lambda s: s.isdigit() and 200 <= int(s) < 300
    )


def imports_only(modules: Sequence[str], *, monolith: bool) -> Timing:
    """A fresh interpreter that imports `modules` (and, for the monolith, sets up every SDK)."""
    run = run_probe({"monolith": monolith, "steps": list(modules)})
    return checked(run, f"importing {', '.join(modules)}", ok=lambda s: s == IMPORTED).timing


def alternate(own: Callable[[], Timing], mono: Callable[[], Timing], runs: int) -> tuple[list[Timing], list[Timing]]:
    """Runs alternate so that load on the machine affects both alike; one uncounted run each
    fills the OS file cache and __pycache__."""
    own_runs: list[Timing] = []
    mono_runs: list[Timing] = []
    for index in range(runs + 1):
        function, monolith = own(), mono()
        if index:
            own_runs.append(function)
            mono_runs.append(monolith)
    return own_runs, mono_runs


def measure(key: str, routes: list[Route], user: SignedInUser, runs: int) -> Result:
    route = representative_route(routes)
    loaded: set[str] = set()

    def own() -> Timing:
        run = cold_start(probe(route, user), monolith=False)
        loaded.update(json.loads(run.marks[LOADED_MARK]))
        return run.timing

    def mono() -> Timing:
        return cold_start(probe(route, user), monolith=True).timing

    own_runs, mono_runs = alternate(own, mono, runs)
    return Result(key, f"{route.method} {route.path}", own_runs, mono_runs, frozenset(loaded))


# What every entry point here needs for its typical request (bench.coldstart_profile shows each
# loads at least these): the runtime, the request and reply models, the database client.
FIRESTORE_FLOOR = frozenset({"functions_framework", "flask", "pydantic.main", "google.cloud.firestore"})
# Libraries this code base chose where another design could do without them (the route table's
# YAML, retries): floors leave them out, so a floor bounds any implementation, not just this one.
CHOSEN = frozenset({"yaml", "tenacity"})


def floor_key(result: Result) -> frozenset[str]:
    """The SDKs whose floor bounds `result`: those it loaded, less the libraries this code chose."""
    return result.sdks - CHOSEN


def floor(name: str, sdks: frozenset[str], runs: int) -> Result:
    modules = [m for m in SDK_MODULES if m in sdks]
    own_runs, mono_runs = alternate(
        lambda: imports_only(modules, monolith=False), lambda: imports_only([], monolith=True), runs
    )
    return Result(name, "imports " + ",".join(modules), own_runs, mono_runs, sdks)


def floor_sets(results: list[Result]) -> dict[frozenset[str], str]:
    """Each distinct set of SDKs to measure a floor for, named after the entry points that load it."""
    users: dict[frozenset[str], list[str]] = defaultdict(list)
    for result in results:
        users[floor_key(result)].append(result.function)
    users[FIRESTORE_FLOOR].insert(0, "firestore-floor")
    return {sdks: "floor:" + "+".join(names) for sdks, names in users.items()}


def report(result: Result) -> str:
    figures = " ".join(
        f"{clock}: function_ms={result.function_ms(clock):.0f} monolith_ms={result.monolith_ms(clock):.0f} "
        f"ratio={result.ratio(clock):.2f}"
        for clock in ("wall", "cpu")
    )
    return f"{result.function:36} {result.route:40} {figures}"


def floor_summary(results: list[Result], by_sdks: dict[frozenset[str], Result], clock: str) -> str:
    """The least the last line's ratios can be, whatever each entry point's own code does."""
    own_floor = {r.function: by_sdks[floor_key(r)].ratio(clock) for r in results}
    worst = max(own_floor, key=lambda name: own_floor[name])
    return (
        f"({clock} time, floors) median_ratio>={statistics.median(own_floor.values()):.2f} "
        f"worst_ratio>={own_floor[worst]:.2f} ({worst}) firestore_floor={by_sdks[FIRESTORE_FLOOR].ratio(clock):.2f}"
    )


def summary(results: list[Result], clock: str) -> str:
    worst = max(results, key=lambda r: r.ratio(clock))
    median_ratio = statistics.median(r.ratio(clock) for r in results)
    return (
        f"coldstart functions={len(results)} median_ratio={median_ratio:.2f} "
        f"worst_function={worst.function} worst_ms={worst.function_ms(clock):.0f} "
        f"monolith_ms={worst.monolith_ms(clock):.0f} worst_ratio={worst.ratio(clock):.2f}"
    )


def measure_all(targets: dict[str, list[Route]], runs: int) -> list[Result]:
    user = accounts.new_user("bench", "Bench User")
    # The emulators compile their hot paths on their first requests (the JVM's JIT on both
    # cores); one uncounted cold start of every entry point first keeps that out of every count.
    for routes in targets.values():
        with contextlib.suppress(ProbeFailed):
            cold_start(probe(representative_route(routes), user), monolith=False)
    results: list[Result] = []
    failed: list[str] = []
    for key, routes in sorted(targets.items()):
        try:
            result = measure(key, routes, user, runs)
        except ProbeFailed as exc:
            failed.append(key)
            print(f"{key}: not measured, {exc}", flush=True)
            continue
        results.append(result)
        print(report(result), flush=True)
    if failed:
        print(f"not measured (no successful response): {', '.join(failed)}")
    return results


def main(argv: Sequence[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="counted runs per entry point and variant")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="the figure on the last line")
    parser.add_argument("--floor-runs", type=int, default=10, help="counted runs per floor and its monolith")
    parser.add_argument("--only", default="", help="comma-separated entry points (function-entry_point)")
    parser.add_argument("--running-stack", action="store_true", help="use a stack already running on these ports")
    args = parser.parse_args(argv)
    targets = entry_points(args.only)
    config = settings()
    stack = Stack(config)
    try:
        if not args.running_stack:
            stack.start(emulator_services(config) + app_services(config))
        results = measure_all(targets, args.runs)
    finally:
        stack.stop()
    if not results:
        raise SystemExit("no entry point answered successfully")
    # The floors need no stack: they only import.
    by_sdks = {sdks: floor(name, sdks, args.floor_runs) for sdks, name in floor_sets(results).items()}
    for result in by_sdks.values():
        print(report(result), flush=True)
    other = "cpu" if args.clock == "wall" else "wall"
    print(floor_summary(results, by_sdks, other))
    print(floor_summary(results, by_sdks, args.clock))
    print(f"({other} time) {summary(results, other)}")
    print(summary(results, args.clock))
    return results


if __name__ == "__main__":
    main()
