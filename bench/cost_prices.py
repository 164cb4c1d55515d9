"""Google's list prices the cost bench uses, each read on a Google page on 2026-12-07 (USD;
docs/cost.md lists each with its page). A price not found on a Google page is left out: its
line is counted but not priced, and the bench says so."""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_MONTH = 730
DAYS_PER_MONTH = 30
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600


@dataclass(frozen=True)
class Price:
    usd: float  # per `per` units beyond `free`
    per: float
    free: float  # units free each month (a daily free quota is given times 30)
    source: str


# https://cloud.google.com/firestore/pricing — free quota per day, the (default)
# database only; the bench's days are all alike, so 30 days' quota off a month is the same.
FIRESTORE_FREE_READS_PER_DAY = 50_000
FIRESTORE_FREE_WRITES_PER_DAY = 20_000
FIRESTORE_FREE_DELETES_PER_DAY = 20_000

_FIRESTORE = "firebase.google.com/docs/firestore/pipelines/pricing?hl=ja (Standard edition, us-central1)"
_RUN = "cloud.google.com/run/pricing?hl=ja"

PRICES = {
    # Firestore Standard edition in us-central1, per 100,000 documents past the daily free quota;
    # the multi-regions (nam5, eur3) cost twice as much: firebase.google.com/docs/firestore/pricing?hl=it.
    "firestore_reads": Price(0.03, 100_000, FIRESTORE_FREE_READS_PER_DAY * DAYS_PER_MONTH, _FIRESTORE),
    "firestore_writes": Price(0.09, 100_000, FIRESTORE_FREE_WRITES_PER_DAY * DAYS_PER_MONTH, _FIRESTORE),
    "firestore_deletes": Price(0.01, 100_000, FIRESTORE_FREE_DELETES_PER_DAY * DAYS_PER_MONTH, _FIRESTORE),
    # https://cloud.google.com/run/pricing: request-based billing, Tier 1.
    "run_vcpu_s": Price(0.000024, 1, 180_000, "cloud.google.com/run/pricing"),
    "run_gib_s": Price(0.0000025, 1, 360_000, _RUN),
    "run_requests": Price(0.40, 1_000_000, 2_000_000, _RUN),
    # A minimum instance while it handles no request ("idle"), Tier 1; the free tier is not taken
    # off it here, as the page does not say that idle time draws on it.
    "run_idle_vcpu_s": Price(0.0000025, 1, 0, _RUN),
    "run_idle_gib_s": Price(0.0000025, 1, 0, _RUN),
    # https://cloud.google.com/load-balancing/pricing: the first 5 global forwarding rules, per hour.
    "forwarding_rules_first_5_h": Price(0.025, 1, 0, "cloud.google.com/load-balancing/pricing"),
    "lb_data_processed_gib": Price(0.008, 1, 0, "cloud.google.com/load-balancing/pricing"),
    # https://cloud.google.com/tasks/docs/pricing: billable operations (API calls and push attempts).
    "tasks_operations": Price(0.40, 1_000_000, 1_000_000, "cloud.google.com/tasks/docs/pricing"),
    # https://cloud.google.com/scheduler/pricing: per job per month, 3 free per billing account.
    "scheduler_jobs": Price(0.10, 1, 3, "cloud.google.com/scheduler/pricing"),
    # https://cloud.google.com/stackdriver/pricing: Cloud Logging storage, 50 GiB free per project.
    "logging_gib": Price(0.50, 1, 50, "cloud.google.com/stackdriver/pricing"),
    # https://cloud.google.com/secret-manager/pricing: active versions and access operations.
    "secret_versions": Price(0.06, 1, 6, "cloud.google.com/secret-manager/pricing"),
    "secret_accesses": Price(0.03, 10_000, 10_000, "cloud.google.com/secret-manager/pricing"),
    # https://cloud.google.com/cdn/pricing: cache data transfer out, Europe / North America, < 10 TiB.
    "cdn_egress_gib": Price(0.08, 1, 0, "cloud.google.com/cdn/pricing"),
    "cdn_lookups": Price(0.0075, 10_000, 0, "cloud.google.com/cdn/pricing"),
    # https://cloud.google.com/identity-platform/pricing?hl=ro: tier 1 (email) MAU 50,000-99,999.
    "identity_mau_50k": Price(0.0055, 1, 49_999, "cloud.google.com/identity-platform/pricing?hl=ro"),
    "identity_mau_100k": Price(0.0046, 1, 0, "cloud.google.com/identity-platform/pricing?hl=ro"),
}

# Lines counted but not priced: no Google page read gave their price.
UNPRICED = (
    "Cloud Armor policy, rules and requests",
    "uptime check executions",
)
