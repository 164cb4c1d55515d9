"""A small run of bench.webhooks against the test stack: exactly once, entitlements equal Stripe's."""

from __future__ import annotations

import re

import pytest

from bench import webhooks

LAST_LINE = re.compile(
    r"^webhooks events=40 deliveries=\d+ applied_once=40 applied_twice=0 missing=0 "
    r"p50_ms=[\d.]+ p99_ms=[\d.]+ rps=[\d.]+$"
)


def test_small_benchmark_applies_every_event_once(stack: object, capsys: pytest.CaptureFixture[str]) -> None:
    result = webhooks.main(["--events", "40", "--dup-rate", "0.3", "--concurrency", "4", "--users", "3"])
    assert result.mismatched == 0
    assert {"invoice.payment_failed", "customer.subscription.paused", "charge.refunded"} <= set(result.types)
    assert result.deliveries >= 40 + round(39 * 0.3)
    assert LAST_LINE.match(capsys.readouterr().out.strip().splitlines()[-1])
