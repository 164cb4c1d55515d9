"""The cost bench's pricing: free tiers come off before any price, and the floor is what the
deployment holds whatever the traffic."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from bench import cost
from bench.cost_model import Floor, Usage, firestore_over_free, floor_cost, marginal_cost, monthly_total, usage_cost
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


def test_firestore_writes_are_priced_per_100000_past_the_daily_free_quota() -> None:
    per_user = Usage(firestore_writes=30.0)  # 30,000 a day at 1,000 users: 10,000 past the quota
    lines = usage_cost(per_user, Usage(), users=1000)
    assert lines["firestore writes"] == pytest.approx(10_000 * 30 / 100_000 * PRICES["firestore_writes"].usd)
    assert lines["firestore reads"] == 0.0


def test_firestore_reads_and_deletes_each_have_their_own_price() -> None:
    lines = usage_cost(Usage(firestore_reads=60.0, firestore_deletes=30.0), Usage(), users=1000)
    assert lines["firestore reads"] == pytest.approx(10_000 * 30 / 100_000 * 0.03)
    assert lines["firestore deletes"] == pytest.approx(10_000 * 30 / 100_000 * 0.01)


def test_cloud_run_memory_and_requests_are_billed_past_their_monthly_free_tier() -> None:
    per_user = Usage(run_gib_s=2.0, run_requests=100.0)  # 600,000 GiB-s and 3 million requests a month
    lines = usage_cost(per_user, Usage(), users=10_000)
    assert lines["cloud run memory"] == pytest.approx((600_000 - 360_000) * 0.0000025)
    assert lines["cloud run requests"] == pytest.approx((30_000_000 - 2_000_000) / 1_000_000 * 0.40)


def test_minimum_instances_cost_their_idle_price_every_second_of_the_month() -> None:
    idle = floor_cost(FLOOR)["idle minimum instances"]
    assert idle == pytest.approx(730 * 3600 * (2.0 * 0.0000025 + 1.0 * 0.0000025))
    assert (
        floor_cost(replace(FLOOR, min_instances=0, min_instance_vcpu=0.0, min_instance_gib=0.0))[
            "idle minimum instances"
        ]
        == 0.0
    )


def test_the_marginal_cost_of_a_user_ignores_the_free_tiers() -> None:
    lines = marginal_cost(Usage(firestore_writes=1.0, run_vcpu_s=1.0))
    assert lines["firestore writes"] == pytest.approx(30 / 100_000 * 0.09)
    assert lines["cloud run vcpu"] == pytest.approx(30 * 0.000024)
    assert lines["firestore reads"] == 0.0


@pytest.mark.parametrize(("memory", "expected"), [("512Mi", 0.5), ("2Gi", 2.0), ("256Mi", 0.25)])
def test_a_memory_limit_is_read_in_gib(memory: str, expected: float) -> None:
    assert cost.gib(memory) == expected


def test_a_memory_limit_without_a_known_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="512M"):
        cost.gib("512M")


def test_dollars_by_route_put_the_costliest_route_first_and_leave_the_baseline_out() -> None:
    phase = cost.Phase("app")
    phase.calls = Counter({"me_get": 10, "checkin": 10})
    phase.ops = Counter(
        {
            ("firestore.writes", "checkin"): 20,
            ("firestore.reads", "me_get"): 10,
            ("firestore.writes", "device_put@baseline"): 9,
        }
    )
    lines = cost.dollar_lines(phase.usage().scaled(0.1), [(phase, 0.1)])
    routes = [line.split(" route ")[1].split(":")[0] for line in lines if " route " in line]
    assert routes == ["checkin", "me_get"]
