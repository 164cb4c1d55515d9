"""`wellness-ops doctor`'s judgement of each row, without a stack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ops import health
from ops.health import JobAttempt

NOW = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)


def test_a_recent_tick_is_ok_and_says_its_lag() -> None:
    row = health.tick_row(NOW - timedelta(minutes=4), NOW)
    assert row.ok
    assert row.reason.startswith("4m ago")


def test_a_tick_older_than_three_periods_is_not_ok() -> None:
    assert not health.tick_row(NOW - timedelta(minutes=16), NOW).ok


def test_no_tick_recorded_is_not_ok() -> None:
    row = health.tick_row(None, NOW)
    assert not row.ok
    assert "no tick" in row.reason


def test_sends_with_a_few_failures_are_ok() -> None:
    row = health.sends_row("2026-11-30", {"due": 100, "sent": 90, "failed": 5, "retried": 3})
    assert row.ok
    assert row.reason == "2026-11-30: due 100, sent 90, failed 5, retried 3"


def test_sends_failing_for_over_a_share_of_due_users_are_not_ok() -> None:
    row = health.sends_row("2026-11-30", {"due": 10, "sent": 7, "failed": 3})
    assert not row.ok
    assert "failed for good" in row.reason


def test_retries_with_nothing_sent_are_not_ok() -> None:
    row = health.sends_row("2026-11-30", {"due": 3, "retried": 3})
    assert not row.ok
    assert "FCM accepted none" in row.reason


def test_a_day_with_nobody_due_is_ok() -> None:
    assert health.sends_row("2026-11-30", {}).ok


def test_an_empty_queue_is_ok_and_a_stuck_task_is_not() -> None:
    assert health.queue_row([], NOW).reason == "empty"
    assert (
        health.queue_row([NOW - timedelta(minutes=2), NOW - timedelta(seconds=5)], NOW).reason == "2 tasks, oldest 2m"
    )
    stuck = health.queue_row([NOW - timedelta(hours=1)], NOW)
    assert not stuck.ok
    assert "stuck" in stuck.reason


def test_undelivered_webhooks_healed_within_the_reconcile_period_are_ok() -> None:
    row = health.webhooks_row(2, [NOW - timedelta(minutes=10)], NOW)
    assert row.ok
    assert row.reason == "Stripe reports 2 undelivered, reconcile backlog 1"


def test_an_event_unprocessed_past_the_reconcile_period_is_not_ok() -> None:
    row = health.webhooks_row(1, [NOW - timedelta(hours=2)], NOW)
    assert not row.ok
    assert "billing reconcile" in row.reason


def test_rules_are_compared_when_readable_and_neutral_when_not() -> None:
    assert health.rules_row(None, "rules").ok
    assert "not checkable locally" in health.rules_row(None, "rules").reason
    assert health.rules_row("rules\n", "rules").ok
    assert not health.rules_row("other", "rules").ok


def test_scheduler_jobs_with_a_failed_last_attempt_are_not_ok() -> None:
    assert health.scheduler_row(None).ok
    assert not health.scheduler_row([]).ok
    good = JobAttempt("reminders-tick", "ENABLED", NOW, 0)
    assert health.scheduler_row([good]).ok
    refused = JobAttempt("billing-reconcile", "ENABLED", NOW, 7)
    row = health.scheduler_row([good, refused])
    assert not row.ok
    assert "billing-reconcile ENABLED code 7" in row.reason
