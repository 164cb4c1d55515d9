"""What a month costs: measured usage per daily user and per day, priced with bench/cost_prices.py
after each service's free tier. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, fields

from bench.cost_prices import (
    DAYS_PER_MONTH,
    FIRESTORE_FREE_DELETES_PER_DAY,
    FIRESTORE_FREE_READS_PER_DAY,
    FIRESTORE_FREE_WRITES_PER_DAY,
    HOURS_PER_MONTH,
    PRICES,
    Price,
)

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
    armor_rules: int


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
    return {
        "forwarding rules": rules.usd * HOURS_PER_MONTH if floor.forwarding_rules else 0.0,
        "scheduler jobs": _billed(PRICES["scheduler_jobs"], floor.scheduler_jobs),
        "secret versions": _billed(PRICES["secret_versions"], floor.secret_versions),
    }


def usage_cost(per_user: Usage, fixed: Usage, users: float) -> dict[str, float]:
    """Monthly cost of each priced usage line (USD) for `users` daily users."""
    day = per_user.scaled(users) + fixed
    month = day.scaled(DAYS_PER_MONTH)
    return {
        "cloud run vcpu": _billed(PRICES["run_vcpu_s"], month.run_vcpu_s),
        "cloud tasks": _billed(PRICES["tasks_operations"], month.tasks_operations),
        "logging": _billed(PRICES["logging_gib"], month.log_bytes / GIB),
        "load balancer data": _billed(PRICES["lb_data_processed_gib"], month.lb_bytes / GIB),
        "cdn egress": _billed(PRICES["cdn_egress_gib"], month.cdn_bytes / GIB),
        "cdn lookups": _billed(PRICES["cdn_lookups"], month.cdn_lookups),
        "identity platform": _identity_platform(users),
    }


def firestore_over_free(per_user: Usage, fixed: Usage, users: float) -> dict[str, float]:
    """Monthly Firestore operations past the daily free quota (counted, not priced)."""
    day = per_user.scaled(users) + fixed
    return {
        "reads": max(0.0, day.firestore_reads - FIRESTORE_FREE_READS_PER_DAY) * DAYS_PER_MONTH,
        "writes": max(0.0, day.firestore_writes - FIRESTORE_FREE_WRITES_PER_DAY) * DAYS_PER_MONTH,
        "deletes": max(0.0, day.firestore_deletes - FIRESTORE_FREE_DELETES_PER_DAY) * DAYS_PER_MONTH,
    }


def monthly_total(per_user: Usage, fixed: Usage, floor: Floor, users: float) -> float:
    return sum(floor_cost(floor).values()) + sum(usage_cost(per_user, fixed, users).values())
