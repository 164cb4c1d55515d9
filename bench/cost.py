"""`python -m bench.cost [--users 40] [--port-base 14000] [--baseline-rev REV] [--streak-days 0]`: one day of N
users on the local stack, every billable operation counted where it happens, priced per month.

The usage profile (PROFILE below) says what a daily user does. The function processes run with
bench/cost_probe on their PYTHONPATH, which records each Firestore RPC (reads, writes, deletes as
Google bills them), Cloud Tasks call and call to Auth, FCM and Stripe, by route. The bench adds
what the processes show from outside: requests and their latency and log bytes (the functions' own
log files), CPU seconds (each process tree), and the bytes through the load balancer and the CDN
(at its own client). Phases, in the day's order: one tick that finds every reminder due and the
sends it enqueues, opens of the pushes, the app (opens, device refreshes, check-ins, the
catalogue, plays), subscription renewals through the webhook, and one run of each scheduled job
with nobody due. With --baseline-rev, the lever's route runs from that revision beside the
current code and the ratio of the Firestore operations it cuts (LEVER_UNIT) per call is printed. The `dollars per 1000
daily users a month` lines price what the day's users did once every free tier is used up, by
line and by route. The last line:
`cost users_1k=$… users_10k=$… users_100k=$… floor=$… per month (priced lines)`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bench.cost_model import (
    Floor,
    Usage,
    firestore_over_free,
    floor_cost,
    marginal_cost,
    monthly_total,
    usage_cost,
)
from bench.cost_prices import UNPRICED
from bench.stack_cpu import tree_cpu_s

PROBE = Path(__file__).resolve().parent / "cost_probe"


@dataclass(frozen=True)
class Profile:
    """What one daily user does in a day, and what a subscription does in a month."""

    opens_per_day: int = 2  # each open: GET /v1/me, /v1/streak, /v1/entitlement
    device_refreshes_per_day: int = 1  # PUT /v1/devices/{id} on the first open
    checkins_per_day: int = 1
    catalogue_views_per_day: int = 1  # GET /v1/content
    plays_per_day_premium: float = 1.0  # POST /v1/content/{id}/access, then the media
    plays_per_day_free: float = 0.3
    reminder_share: float = 0.7  # users with the daily reminder on: one push a day each
    opened_share: float = 0.2  # pushes the user opens (POST /v1/notifications/{id}/opened)
    premium_share: float = 0.05
    webhook_events_per_subscription_month: float = 2.0  # a renewal: invoice.paid + subscription.updated


PROFILE = Profile()
# Scheduled jobs per day (terraform/routes.tf scheduler_jobs): tick every 5 minutes, reconcile
# hourly, sweep daily. One tick a day finds the reminders due; the others find nobody.
RUNS_PER_DAY = {"reminders-tick": 288 - 1, "stripe_webhook-reconcile": 24, "reminders-sweep": 1}
VCPU, GIB = 1.0, 0.5
INTERNAL_ROUTES = frozenset(
    {"reminders_tick", "reminders_send", "tokens_sweep", "billing_reconcile"}
)  # terraform/routes.tf function_defaults: cpu "1", memory "512Mi"


def times(rate: float, index: int) -> int:
    """How often user `index` does something done `rate` times a day on average (spread evenly)."""
    return int((index + 1) * rate) - int(index * rate)


# --- what the stack shows ---------------------------------------------------------------------


@dataclass
class Snapshot:
    offsets: dict[Path, int]
    cpu_s: dict[str, float]


@dataclass
class Phase:
    name: str
    ops: Counter[tuple[str, str]] = field(default_factory=Counter)  # (route, unit) → count
    calls: Counter[str] = field(default_factory=Counter)  # route → requests
    latency_s: Counter[str] = field(default_factory=Counter)  # route → seconds handling them
    log_bytes: Counter[str] = field(default_factory=Counter)  # unit → bytes
    cpu_s: dict[str, float] = field(default_factory=dict)
    lb_bytes: int = 0
    cdn_bytes: int = 0
    cdn_lookups: int = 0

    def usage(self) -> Usage:
        ops = self.ops
        return Usage(
            firestore_reads=sum(v for (k, u), v in ops.items() if k == "firestore.reads"),
            firestore_writes=sum(v for (k, u), v in ops.items() if k == "firestore.writes"),
            firestore_deletes=sum(v for (k, u), v in ops.items() if k == "firestore.deletes"),
            run_requests=sum(self.calls.values()),
            run_vcpu_s=sum(self.latency_s.values()) * VCPU,
            run_gib_s=sum(self.latency_s.values()) * GIB,
            cpu_s=sum(self.cpu_s.values()),
            # A task is created once and delivered at least once: two billable operations.
            tasks_operations=2 * sum(v for (k, u), v in ops.items() if k == "tasks.operations"),
            auth_calls=sum(v for (k, u), v in ops.items() if k == "auth.calls"),
            log_bytes=sum(self.log_bytes.values()),
            lb_bytes=self.lb_bytes,
            # Scheduler and Cloud Tasks call run.app, not the load balancer: Armor sees the rest.
            armor_requests=sum(n for r, n in self.calls.items() if r not in INTERNAL_ROUTES),
            cdn_bytes=self.cdn_bytes,
            cdn_lookups=self.cdn_lookups,
        )


class Meter:
    """Reads the probe's count files, the functions' logs and their CPU between two moments."""

    def __init__(self, counts_dir: Path, log_dir: Path, unit_pids: Mapping[str, int]) -> None:
        self.counts_dir, self.log_dir, self.unit_pids = counts_dir, log_dir, unit_pids

    def _files(self) -> list[Path]:
        return [*self.counts_dir.glob("*.jsonl"), *(self.log_dir / f"{u}.log" for u in self.unit_pids)]

    def snapshot(self) -> Snapshot:
        offsets = {p: p.stat().st_size for p in self._files() if p.exists()}
        return Snapshot(offsets, tree_cpu_s(self.unit_pids))

    def since(self, before: Snapshot, phase: Phase) -> Phase:
        for path in self._files():
            start = before.offsets.get(path, 0)
            if not path.exists() or path.stat().st_size <= start:
                continue
            with path.open("rb") as handle:
                handle.seek(start)
                text = handle.read().decode(errors="replace")
            if path.suffix == ".jsonl":
                _add_counts(text, phase)
            else:
                phase.log_bytes[path.stem] += len(text.encode())
                _add_requests(text, phase)
        after = tree_cpu_s(self.unit_pids)
        phase.cpu_s = {u: after[u] - before.cpu_s.get(u, 0.0) for u in after}
        return phase


def _route_names() -> dict[str, str]:
    """`METHOD /path` (as the probe names a request's route) → the route's name."""
    from lib import routing

    return {f"{r.method} {r.path}": r.name for r in routing.routes()}


def _add_counts(text: str, phase: Phase) -> None:
    names = _route_names()
    for line in text.splitlines():
        record = json.loads(line)
        route = names.get(record["route"], record["route"])
        if record.get("variant") == "baseline":
            route = f"{route}@baseline"
        for unit in ("reads", "writes", "deletes", "operations", "calls"):
            if unit in record:
                phase.ops[(f"{record['service']}.{unit}", route)] += record[unit]


def _add_requests(text: str, phase: Phase) -> None:
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if "operation" in entry and "latency_ms" in entry:
            phase.calls[entry["operation"]] += 1
            phase.latency_s[entry["operation"]] += entry["latency_ms"] / 1000


# --- the day ----------------------------------------------------------------------------------


@dataclass
class AppUser:
    uid: str
    headers: dict[str, str]
    fid: str
    premium: bool
    subscription_id: str = ""


class Client:
    """The app, through the gateway; counts the bytes the load balancer and the CDN would carry."""

    def __init__(self, gateway_url: str) -> None:
        self.gateway_url = gateway_url
        self.lb_bytes = self.cdn_bytes = self.cdn_lookups = 0
        self.failures: Counter[str] = Counter()

    def call(self, user: AppUser, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, self.gateway_url + path, headers=user.headers, json=body, timeout=60)
        request_bytes = len(response.request.body or b"") + sum(len(k) + len(v) for k, v in user.headers.items())
        self.lb_bytes += request_bytes + len(response.content)
        if response.status_code >= 400:
            self.failures[f"{method} {path.split('/')[2]} {response.status_code}"] += 1
            return None
        return response.json() if response.content else None

    def play(self, user: AppUser, content_id: str) -> None:
        access = self.call(user, "POST", f"/v1/content/{content_id}/access")
        if not access or "url" not in access:
            return
        media = requests.get(access["url"], timeout=60)
        self.cdn_lookups += 1
        self.cdn_bytes += len(media.content)


def setup_users(client: Client, count: int) -> list[AppUser]:
    from devstack import accounts
    from lib.config import settings

    stripe = settings().stripe_api_base
    run_id = uuid.uuid4().hex[:6]

    def make(index: int) -> AppUser:
        signed = accounts.new_user(f"cost-{run_id}-{index}", "Cost User")
        user = AppUser(
            signed.uid, signed.headers, f"fid{uuid.uuid4().hex[:19]}", times(PROFILE.premium_share, index) > 0
        )
        client.call(user, "PUT", f"/v1/devices/{user.fid}", {"platform": "android"})
        if user.premium:
            session = client.call(user, "POST", "/v1/billing/checkout-session", {"trial": True})
            done = requests.post(f"{stripe}/_local/checkout_sessions/{session['id']}/complete", timeout=30).json()
            user.subscription_id = done["subscription"]["id"]
        return user

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(make, range(count)))


def seed_history(users: Sequence[AppUser], days: int, today: date) -> None:
    """Each user as a retained one: `days` daily check-ins ending yesterday (UTC, the users' zone),
    written straight into the emulator as the streak tests write an earlier streak."""
    from tests.support.streaks import seed_streak

    if not days:
        return
    for user in users:
        seed_streak(user.uid, current=days, longest=days, last_day=today - timedelta(days=1), judged_in="UTC")


def app_day(client: Client, users: Sequence[AppUser]) -> None:
    def day(pair: tuple[int, AppUser]) -> None:
        index, user = pair
        for _ in range(PROFILE.opens_per_day):
            for path in ("/v1/me", "/v1/streak", "/v1/entitlement"):
                client.call(user, "GET", path)
        for _ in range(PROFILE.device_refreshes_per_day):
            client.call(user, "PUT", f"/v1/devices/{user.fid}", {"platform": "android"})
        for _ in range(PROFILE.checkins_per_day):
            client.call(user, "POST", "/v1/checkins", {})
        for _ in range(PROFILE.catalogue_views_per_day):
            client.call(user, "GET", "/v1/content")
        rate = PROFILE.plays_per_day_premium if user.premium else PROFILE.plays_per_day_free
        for _ in range(times(rate, index)):
            client.play(user, "evening-wind-down" if user.premium else "morning-breath")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(day, enumerate(users)))


def set_reminders(client: Client, users: Sequence[AppUser]) -> datetime:
    """The share of users with reminders on get one due in a few minutes (their onboarding, not
    part of the day): the tick must run at the real time, since Cloud Tasks dispatches then."""
    due_at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=3)
    for index, user in enumerate(users):
        enabled = times(PROFILE.reminder_share, index) > 0
        body = {"enabled": enabled, "local_time": due_at.strftime("%H:%M"), "timezone": "UTC"}
        client.call(user, "PUT", "/v1/reminder", body)
    return due_at


def reminders_due(due_at: datetime, timeout_s: float) -> dict[str, int]:
    from bench import reminders_world as world
    from devstack.units import unit_url
    from lib.config import settings

    time.sleep(max(0.0, (due_at - datetime.now(UTC)).total_seconds() + 2))
    tick = f"{unit_url(settings(), 'reminders-tick')}/internal/reminders/tick"
    answer = requests.post(tick, json={"now": datetime.now(UTC).isoformat()}, timeout=600)
    answer.raise_for_status()
    due = int(answer.json().get("due", 0))
    return world.wait_settled(due_at.date(), due, timeout_s) if due else {}


def open_pushes(client: Client, users: Sequence[AppUser]) -> int:
    from lib.config import settings

    by_fid = {u.fid: u for u in users}
    messages = requests.get(f"{settings().fcm_endpoint}/_local/messages", timeout=60).json()["messages"]
    opened = 0
    for index, message in enumerate(m for m in messages if m["token"] in by_fid):
        message_id = (message.get("data") or {}).get("message_id")
        if message_id and times(PROFILE.opened_share, index):
            client.call(by_fid[message["token"]], "POST", f"/v1/notifications/{message_id}/opened")
            opened += 1
    return opened


def renewals(users: Sequence[AppUser], wait_for: Callable[[int], None]) -> int:
    """Each subscription's trial ends (a renewal's events); the local Stripe delivers them."""
    from lib.config import settings

    events = 0
    for user in users:
        if user.subscription_id:
            url = f"{settings().stripe_api_base}/_local/subscriptions/{user.subscription_id}/trial_end"
            events += len(requests.post(url, timeout=30).json()["events"])
    wait_for(events)
    return events


def scheduled_once(nobody_due_at: datetime) -> None:
    from devstack.units import unit_url
    from lib.config import settings

    for unit, path, body in (
        ("reminders-tick", "/internal/reminders/tick", {"now": nobody_due_at.isoformat()}),
        ("stripe_webhook-reconcile", "/internal/billing/reconcile", {}),
        ("reminders-sweep", "/internal/reminders/sweep", {}),
    ):
        requests.post(f"{unit_url(settings(), unit)}{path}", json=body, timeout=300).raise_for_status()


# --- the stack --------------------------------------------------------------------------------


@contextmanager
def probed_stack(counts_dir: Path) -> Iterator[tuple[Any, dict[str, int]]]:
    from devstack.stack import Stack, app_services, emulator_services
    from lib.config import settings

    config = settings()
    services = app_services(config)
    units = {}
    for service in services:
        if "PYTHONPATH" in service.env:  # a function process: the probe loads first
            service.env = {**service.env, "PYTHONPATH": f"{PROBE}:{service.env['PYTHONPATH']}"}
            service.env["COST_COUNTS_DIR"] = str(counts_dir)
            units[service.name] = service
    stack = Stack(config)
    try:
        stack.start(emulator_services(config) + services)
        from devstack import catalogue

        catalogue.write_items()
        yield stack, {r.service.name: r.process.pid for r in stack.running if r.service.name in units}
    finally:
        stack.stop()


def floor_from_terraform() -> Floor:
    from deploy.terraform_locals import evaluate_locals
    from lib import routing
    from tests.support import terraform as tf

    resources = tf.resources()
    with tempfile.TemporaryDirectory() as workdir:
        evaluated = evaluate_locals(routing.ROUTES_FILE, Path(workdir))
    armor = resources[("google_compute_security_policy", "api")]
    dynamic = sum(len(block["rule"]["for_each"]) for block in armor.get("dynamic", []) if "rule" in block)
    configs = list(evaluated["function_config"].values())
    return Floor(
        forwarding_rules=sum(1 for kind, _ in resources if kind == "google_compute_global_forwarding_rule"),
        scheduler_jobs=len(evaluated["scheduled"]),
        secret_versions=len(evaluated["secrets"]),
        min_instances=sum(int(c["min_instances"]) for c in configs),
        min_instance_vcpu=sum(int(c["min_instances"]) * float(c["cpu"]) for c in configs),
        min_instance_gib=sum(int(c["min_instances"]) * gib(c["memory"]) for c in configs),
        armor_rules=len(armor.get("rule", [])) + dynamic,
    )


def gib(memory: str) -> float:
    """A Cloud Run memory limit ("512Mi", "1Gi") in GiB."""
    for suffix, factor in (("Gi", 1.0), ("Mi", 1 / 1024)):
        if memory.endswith(suffix):
            return float(memory.removesuffix(suffix)) * factor
    raise ValueError(f"memory limit {memory!r}: expected Mi or Gi")


# --- a change, against the revision before it ------------------------------------------------

# The route the lever changed, and how the app calls it for a user (method, path, body).
LEVER_ROUTE = "streak_get"
LEVER_UNIT = "reads"  # the Firestore operations the lever cuts
LEVER_CALLS = 30


def lever_request(user: AppUser) -> tuple[str, str, dict[str, Any] | None]:
    return "GET", "/v1/streak", None


def start_baseline(stack: Any, revision: str, counts_dir: Path) -> str:
    """Starts the lever route's function from `revision` (its tree exported from git) beside the
    current one, probed alike; answers its URL."""
    import subprocess

    from devstack.stack import ROOT, Service, http_ok, unit_services
    from devstack.units import unit_key
    from lib import routing
    from lib.config import settings

    # One folder per port base, emptied each run, so runs leave one old tree behind at most.
    old_root = ROOT / ".devstack" / f"cost-baseline.{settings().gateway_port}"
    shutil.rmtree(old_root, ignore_errors=True)
    old_root.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(old_root)], input=archive, check=True)
    key = unit_key(next(r for r in routing.routes() if r.name == LEVER_ROUTE))
    current = next(s for s in unit_services(settings()) if s.name == key)
    port = settings().gateway_port + 50  # free in devstack/ports.py's layout
    # The same server and interpreter; the function's source and its imports from the old tree.
    argv = [a.replace(str(ROOT), str(old_root)) if a.startswith("--source=") else a for a in current.argv]
    argv = [a for a in argv if not a.startswith("--port=")]
    url = f"http://127.0.0.1:{port}"
    env = {**current.env, "PYTHONPATH": f"{PROBE}:{old_root}", "COST_COUNTS_DIR": str(counts_dir)}
    env["COST_VARIANT"] = "baseline"
    stack.start([Service(f"{key}-baseline", [*argv, f"--port={port}"], http_ok(f"{url}/"), url, env)])
    return url


def compare_lever(meter: Meter, users: Sequence[AppUser], baseline_url: str) -> Phase:
    """The lever route called LEVER_CALLS times on the baseline and on the current function, alternately."""
    from devstack.units import unit_key, unit_url
    from lib import routing
    from lib.config import settings

    key = unit_key(next(r for r in routing.routes() if r.name == LEVER_ROUTE))
    current_url = unit_url(settings(), key)
    time.sleep(1.0)
    before = meter.snapshot()
    for index in range(LEVER_CALLS):
        user = users[index % len(users)]
        method, path, body = lever_request(user)
        for base in (baseline_url, current_url):
            requests.request(method, base + path, headers=user.headers, json=body, timeout=60).raise_for_status()
    time.sleep(1.0)
    return meter.since(before, Phase("lever"))


def lever_lines(phase: Phase) -> list[str]:
    def per_call(route: str) -> dict[str, float]:
        kinds = {k: n / LEVER_CALLS for (k, r), n in phase.ops.items() if r == route and k.startswith("firestore.")}
        return {k.removeprefix("firestore."): kinds.get(k, 0.0) for k in ("firestore.reads", "firestore.writes")}

    before, after = per_call(f"{LEVER_ROUTE}@baseline"), per_call(LEVER_ROUTE)
    ratio = after[LEVER_UNIT] / before[LEVER_UNIT] if before[LEVER_UNIT] else float("nan")
    return [
        f"lever {LEVER_ROUTE}: baseline per call {before}; now per call {after}",
        f"lever {LEVER_ROUTE} firestore {LEVER_UNIT} per call ratio now/baseline={ratio:.2f}",
    ]


# --- the report -------------------------------------------------------------------------------


def per_route_lines(phases: Sequence[Phase], users: int) -> list[str]:
    calls: Counter[str] = Counter()
    latency: Counter[str] = Counter()
    ops: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for phase in phases:
        calls.update(phase.calls)
        latency.update(phase.latency_s)
        for (kind, route), n in phase.ops.items():
            ops[route][kind] += n
    lines = []
    for route, n in sorted(calls.items(), key=lambda kv: -kv[1]):
        lines.append(f"route {route}: calls={n} latency_ms_mean={1000 * latency[route] / n:.1f}")
    for route, kinds in sorted(ops.items()):
        shown = " ".join(f"{k}={v}" for k, v in sorted(kinds.items()) if v)
        if shown:
            lines.append(f"ops {route}: {shown}")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("BENCH_PORT_BASE", "14000")))
    parser.add_argument(
        "--streak-days", type=int, default=0, help="each user arrives with this many daily check-ins ending yesterday"
    )
    parser.add_argument(
        "--baseline-rev", default="", help=f"also run {LEVER_ROUTE} from this git revision and print the ratio"
    )
    args = parser.parse_args(argv)
    os.environ["TEST_PORT_BASE"] = str(args.port_base)
    from devstack.ports import test_environment

    os.environ.update(test_environment())
    from devstack.stack import STATE_DIR
    from lib.config import settings

    counts_dir = STATE_DIR / f"cost-counts.{args.port_base}"
    counts_dir.mkdir(parents=True, exist_ok=True)
    for old in counts_dir.glob("*.jsonl"):
        old.unlink()
    floor = floor_from_terraform()
    with probed_stack(counts_dir) as (stack, unit_pids):
        meter = Meter(counts_dir, stack.log_dir, unit_pids)
        client = Client(settings().gateway_url)
        users = setup_users(client, args.users)
        seed_history(users, args.streak_days, datetime.now(UTC).date())
        premium = [u for u in users if u.premium]
        print(
            f"users={len(users)} premium={len(premium)} streak_days={args.streak_days} "
            f"setup failures={dict(client.failures)}",
            flush=True,
        )
        client.failures.clear()
        client.lb_bytes = 0

        def measured(name: str, work: Callable[[], object]) -> tuple[Phase, object]:
            time.sleep(1.0)  # the previous phase's last log lines land first
            before = meter.snapshot()
            lb, cdn, lookups = client.lb_bytes, client.cdn_bytes, client.cdn_lookups
            result = work()
            time.sleep(1.0)
            phase = meter.since(before, Phase(name))
            phase.lb_bytes, phase.cdn_bytes = client.lb_bytes - lb, client.cdn_bytes - cdn
            phase.cdn_lookups = client.cdn_lookups - lookups
            print(f"phase {name}: {result} requests={sum(phase.calls.values())}", flush=True)
            return phase, result

        def webhooks_done(expected: int) -> None:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                lines = (stack.log_dir / "stripe_webhook-webhook.log").read_text(errors="replace")
                if lines.count('"operation": "stripe_webhook"') >= expected + baseline_webhooks:
                    return
                time.sleep(0.5)

        # The day in its order: the morning reminder and its opens come before the user checks in.
        due_at = set_reminders(client, users)
        reminders, settled = measured("reminders", lambda: reminders_due(due_at, 300))
        opened, _ = measured("opened", lambda: open_pushes(client, users))
        app, _ = measured("app", lambda: app_day(client, users))
        baseline_webhooks = (
            (stack.log_dir / "stripe_webhook-webhook.log").read_text().count('"operation": "stripe_webhook"')
        )
        renewal, events = measured("renewals", lambda: renewals(users, webhooks_done))
        scheduled, _ = measured("scheduled", lambda: scheduled_once(due_at + timedelta(hours=2)))
        lever = (
            compare_lever(meter, users, start_baseline(stack, args.baseline_rev, counts_dir))
            if args.baseline_rev
            else None
        )

    n = len(users)
    events_per_user_day = PROFILE.premium_share * PROFILE.webhook_events_per_subscription_month / 30
    # Each phase's share of one daily user's day.
    shares = [
        (app, 1 / n),
        (reminders, 1 / n),
        (opened, 1 / n),
        (renewal, events_per_user_day / max(1, int(str(events)))),
    ]
    per_user = sum((phase.usage().scaled(share) for phase, share in shares), Usage())
    fixed = Usage()
    for unit, runs in RUNS_PER_DAY.items():
        fixed = fixed + of_unit(scheduled, unit).usage().scaled(runs)

    print(f"client failures during the day: {dict(client.failures)}; reminders {settled}")
    print("\n".join(per_route_lines([app, reminders, opened, renewal, scheduled], n)))
    for name, phase in (("app", app), ("reminders", reminders), ("opened", opened), ("renewals", renewal)):
        cpu = " ".join(f"{u}={s:.2f}" for u, s in sorted(phase.cpu_s.items()) if s >= 0.01)
        logs = " ".join(f"{u}={b}" for u, b in sorted(phase.log_bytes.items()))
        print(f"cpu_s {name}: {cpu}; log_bytes {name}: {logs}")
    if lever is not None:
        print("\n".join(lever_lines(lever)))
    print("per daily user per day: " + _usage_line(per_user))
    print("\n".join(dollar_lines(per_user, shares)))
    print("fixed per day (scheduled jobs): " + _usage_line(fixed))
    print(f"floor from terraform: {floor}; priced floor lines {floor_cost(floor)}; not priced: {'; '.join(UNPRICED)}")
    totals = {}
    for label, count in (("1k", 1_000), ("10k", 10_000), ("100k", 100_000)):
        lines = usage_cost(per_user, fixed, count)
        over = firestore_over_free(per_user, fixed, count)
        print(
            f"users {label}: "
            + " ".join(f"{k}=${v:.2f}" for k, v in lines.items())
            + " firestore_over_free_per_month "
            + " ".join(f"{k}={v:.0f}" for k, v in over.items())
        )
        totals[label] = monthly_total(per_user, fixed, floor, count)
    zero = monthly_total(per_user, fixed, floor, 0)
    print(
        f"cost users_1k=${totals['1k']:.2f} users_10k=${totals['10k']:.2f} users_100k=${totals['100k']:.2f} "
        f"floor=${zero:.2f} per month (priced lines)"
    )


def dollar_lines(per_user: Usage, shares: Sequence[tuple[Phase, float]]) -> list[str]:
    """What 1,000 more daily users add a month once the free tiers are used up, by line and by route."""

    def shown(lines: Mapping[str, float]) -> str:
        return " ".join(f"{k}=${1000 * v:.3f}" for k, v in sorted(lines.items(), key=lambda kv: -kv[1]) if v >= 5e-7)

    lines = [
        f"dollars per 1000 daily users a month by line: total=${1000 * sum(marginal_cost(per_user).values()):.3f} "
        + shown(marginal_cost(per_user))
    ]
    routes = {r for phase, _ in shares for r in [*phase.calls, *(r for _, r in phase.ops)] if "@" not in r}
    by_route = {}
    for route in routes:
        usage = sum((of_routes(p, route.__eq__).usage().scaled(f) for p, f in shares), Usage())
        by_route[route] = marginal_cost(usage)
    for route, cost in sorted(by_route.items(), key=lambda kv: -sum(kv[1].values())):
        lines.append(
            f"dollars per 1000 daily users a month route {route}: total=${1000 * sum(cost.values()):.3f} {shown(cost)}"
        )
    return lines


def of_unit(phase: Phase, unit: str) -> Phase:
    """The part of `phase` one deployed function did."""
    mine = of_routes(phase, lambda route: _unit_of(route) == unit)
    mine.log_bytes = Counter({u: b for u, b in phase.log_bytes.items() if u == unit})
    mine.cpu_s = {u: s for u, s in phase.cpu_s.items() if u == unit}
    return mine


def of_routes(phase: Phase, keep: Callable[[str], bool]) -> Phase:
    """The requests and operations of `phase` on the routes `keep` accepts (logs, CPU and bytes
    are counted per function or per client, not per route, so they are left out)."""
    mine = Phase(phase.name)
    mine.calls = Counter({r: n for r, n in phase.calls.items() if keep(r)})
    mine.latency_s = Counter({r: s for r, s in phase.latency_s.items() if keep(r)})
    mine.ops = Counter({(k, r): n for (k, r), n in phase.ops.items() if keep(r)})
    return mine


def _unit_of(route_name: str) -> str:
    from devstack.units import unit_key
    from lib import routing

    found = [unit_key(r) for r in routing.routes() if r.name == route_name]
    return found[0] if found else route_name


def _usage_line(usage: Usage) -> str:
    from dataclasses import asdict

    return " ".join(f"{k}={v:.4g}" for k, v in asdict(usage).items())


if __name__ == "__main__":
    main()
