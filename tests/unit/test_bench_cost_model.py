"""The cost bench's pricing: free tiers come off before any price, and the floor is what the
deployment holds whatever the traffic."""

from __future__ import annotations

import pytest

from bench import cost
from bench.cost_model import Floor, Usage, firestore_over_free, floor_cost, monthly_total, usage_cost
from bench.cost_prices import PRICES

FLOOR = Floor(
    forwarding_rules=2,
    scheduler_jobs=3,
    secret_versions=3,
    min_instances=2,
    min_instance_vcpu=2.0,
    min_instance_gib=1.0,
    armor_rules=11,
)


def test_usage_inside_every_free_tier_costs_nothing() -> None:
    small = Usage(run_vcpu_s=1.0, tasks_operations=10, log_bytes=1000, firestore_reads=10)
    assert sum(usage_cost(small, Usage(), users=1000).values()) == 0.0


def test_cloud_run_cpu_is_billed_past_its_monthly_free_seconds() -> None:
    per_user = Usage(run_vcpu_s=1.0)  # 30 vCPU-seconds a month per user
    lines = usage_cost(per_user, Usage(), users=10_000)
    price = PRICES["run_vcpu_s"]
    assert lines["cloud run vcpu"] == pytest.approx((300_000 - price.free) * price.usd)


def test_identity_platform_charges_only_monthly_users_past_the_first_tier() -> None:
    assert usage_cost(Usage(), Usage(), users=49_999)["identity platform"] == 0.0
    assert usage_cost(Usage(), Usage(), users=60_000)["identity platform"] == pytest.approx(10_001 * 0.0055)


def test_the_floor_is_the_monthly_total_at_zero_users() -> None:
    fixed = Usage(run_vcpu_s=100.0)
    assert monthly_total(Usage(run_vcpu_s=5.0), fixed, FLOOR, 0) == pytest.approx(sum(floor_cost(FLOOR).values()))


def test_two_forwarding_rules_pay_the_first_five_rules_price_for_every_hour() -> None:
    assert floor_cost(FLOOR)["forwarding rules"] == pytest.approx(0.025 * 730)


def test_firestore_operations_past_the_daily_free_quota_are_counted_per_month() -> None:
    over = firestore_over_free(Usage(firestore_reads=60), Usage(), users=1000)
    assert over["reads"] == (60_000 - 50_000) * 30


@pytest.mark.parametrize(("rate", "expected"), [(1.0, 10), (0.3, 3), (0.05, 0)])
def test_a_rate_spreads_evenly_over_users(rate: float, expected: int) -> None:
    assert sum(cost.times(rate, i) for i in range(10)) == expected
