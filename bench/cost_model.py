"""What a month costs: measured usage per daily user and per day, priced with bench/cost_prices.py
after each service's free tier. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from bench.cost_prices import DAYS_PER_MONTH, HOURS_PER_MONTH, PRICES, SECONDS_PER_MONTH, Price

GIB = 2**30


@dataclass(frozen=True)
class Usage:
    """Billable units over one day (or per daily user per day)."""

    firestore_reads: float = 0.0
    firestore_writes: float = 0.0
    firestore_deletes: float = 0.0
    run_requests: float = 0.0
    run_vcpu_s: float = 0.0  # billable instance time, times the vCPU allocated
    run_gib_s: float = 0.0  # billable instance time, times the GiB allocated
    cpu_s: float = 0.0  # CPU the function processes used (not billed; the floor of run_vcpu_s)
    tasks_operations: float = 0.0
    auth_calls: float = 0.0
    log_bytes: float = 0.0
    lb_bytes: float = 0.0  # request and response bytes through the load balancer
    armor_requests: float = 0.0
    cdn_bytes: float = 0.0
    cdn_lookups: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def scaled(self, factor: float) -> Usage:
        return Usage(**{f.name: getattr(self, f.name) * factor for f in fields(self)})


@dataclass(frozen=True)
class Floor:
    """What the deployment holds whatever the traffic, counted from terraform/."""

    forwarding_rules: int
    scheduler_jobs: int
    secret_versions: int
    min_instances: int
    min_instance_vcpu: float  # the minimum instances' vCPUs, all functions together
    min_instance_gib: float  # and their memory
    armor_rules: int


# Each usage line: its price and the units of a day's usage it bills.
METERED: dict[str, tuple[str, Callable[[Usage], float]]] = {
    "firestore reads": ("firestore_reads", lambda u: u.firestore_reads),
    "firestore writes": ("firestore_writes", lambda u: u.firestore_writes),
    "firestore deletes": ("firestore_deletes", lambda u: u.firestore_deletes),
    "cloud run vcpu": ("run_vcpu_s", lambda u: u.run_vcpu_s),
    "cloud run memory": ("run_gib_s", lambda u: u.run_gib_s),
    "cloud run requests": ("run_requests", lambda u: u.run_requests),
    "cloud tasks": ("tasks_operations", lambda u: u.tasks_operations),
    "logging": ("logging_gib", lambda u: u.log_bytes / GIB),
    "load balancer data": ("lb_data_processed_gib", lambda u: u.lb_bytes / GIB),
    "cdn egress": ("cdn_egress_gib", lambda u: u.cdn_bytes / GIB),
    "cdn lookups": ("cdn_lookups", lambda u: u.cdn_lookups),
}


def _billed(price: Price, units: float) -> float:
    return max(0.0, units - price.free) / price.per * price.usd


def _identity_platform(monthly_users: float) -> float:
    """Tier 1 MAU pricing: 0-49,999 free, 50,000-99,999 at one price, 100,000 and more at the next."""
    first, second = PRICES["identity_mau_50k"], PRICES["identity_mau_100k"]
    in_first = min(max(0.0, monthly_users - first.free), 100_000 - 50_000)
    in_second = max(0.0, monthly_users - 99_999)
    return in_first * first.usd + in_second * second.usd


def floor_cost(floor: Floor) -> dict[str, float]:
    """Monthly cost of each priced floor line (USD)."""
    rules = PRICES["forwarding_rules_first_5_h"]
    if floor.forwarding_rules > 5:
        raise ValueError("more than 5 forwarding rules: the per-rule price past the fifth is not modelled")
    idle_per_s = (
        floor.min_instance_vcpu * PRICES["run_idle_vcpu_s"].usd + floor.min_instance_gib * PRICES["run_idle_gib_s"].usd
    )
    return {
        "forwarding rules": rules.usd * HOURS_PER_MONTH if floor.forwarding_rules else 0.0,
        "scheduler jobs": _billed(PRICES["scheduler_jobs"], floor.scheduler_jobs),
        "secret versions": _billed(PRICES["secret_versions"], floor.secret_versions),
        # Idle the whole month: an upper bound, since the time they serve is billed as usage.
        "idle minimum instances": idle_per_s * SECONDS_PER_MONTH,
    }


def usage_cost(per_user: Usage, fixed: Usage, users: float) -> dict[str, float]:
    """Monthly cost of each priced usage line (USD) for `users` daily users."""
    day = per_user.scaled(users) + fixed
    lines = {}
    for line, (key, units) in METERED.items():
        lines[line] = _billed(PRICES[key], units(day) * DAYS_PER_MONTH)
    lines["identity platform"] = _identity_platform(users)
    return lines


def marginal_cost(per_user: Usage) -> dict[str, float]:
    """What one more daily user doing `per_user` adds a month (USD) once every free tier is used
    up, by line; Identity Platform apart, as it bills the user, not the usage."""
    lines = {}
    for line, (key, units) in METERED.items():
        lines[line] = units(per_user) * DAYS_PER_MONTH / PRICES[key].per * PRICES[key].usd
    return lines


def firestore_over_free(per_user: Usage, fixed: Usage, users: float) -> dict[str, float]:
    """Monthly Firestore operations past the daily free quota."""
    day = per_user.scaled(users) + fixed
    return {
        key.removeprefix("firestore_"): max(0.0, units(day) * DAYS_PER_MONTH - PRICES[key].free)
        for key, units in METERED.values()
        if key.startswith("firestore_")
    }


def monthly_total(per_user: Usage, fixed: Usage, floor: Floor, users: float) -> float:
    return sum(floor_cost(floor).values()) + sum(usage_cost(per_user, fixed, users).values())
