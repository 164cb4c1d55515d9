"""`wellness-ops doctor`'s judgement: each row from the facts read, with no I/O, so the rules
are tested without a stack. A row is ok (✓) or not (✗) and says why in one line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# The scheduler ticks every 5 minutes: three missed ticks is an outage (the Terraform alert's rule).
TICK_LAG_LIMIT = timedelta(minutes=15)
# The Terraform default of reminder_failure_share_threshold.
FAILURE_SHARE_LIMIT = 0.2
# A task waiting longer than this is stuck (batches drain in seconds; retries back off to 5 minutes).
TASK_AGE_LIMIT = timedelta(minutes=30)
# The reconcile job runs hourly: an event unprocessed for longer was missed by it too.
BACKLOG_AGE_LIMIT = timedelta(minutes=90)


@dataclass(frozen=True)
class Row:
    check: str
    ok: bool
    reason: str


def age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def tick_row(last_tick_at: datetime | None, now: datetime) -> Row:
    if last_tick_at is None:
        return Row("last tick", False, "no tick recorded today or yesterday")
    lag = now - last_tick_at
    ok = lag <= TICK_LAG_LIMIT
    limit = "" if ok else f", over {age(TICK_LAG_LIMIT)}"
    return Row("last tick", ok, f"{age(lag)} ago ({last_tick_at.isoformat(timespec='seconds')}{limit})")


def sends_row(day: str, counts: Mapping[str, int]) -> Row:
    due, sent, failed, retried = (counts.get(k, 0) for k in ("due", "sent", "failed", "retried"))
    facts = f"{day}: due {due}, sent {sent}, failed {failed}, retried {retried}"
    if due and failed > FAILURE_SHARE_LIMIT * due:
        return Row("sends", False, f"{facts}: over {FAILURE_SHARE_LIMIT:.0%} of due users failed for good")
    if (retried or failed) and not sent:
        return Row("sends", False, f"{facts}: FCM accepted none")
    return Row("sends", True, facts)


def queue_row(create_times: Sequence[datetime], now: datetime) -> Row:
    if not create_times:
        return Row("queue", True, "empty")
    oldest = now - min(create_times)
    ok = oldest <= TASK_AGE_LIMIT
    stuck = "" if ok else f": over {age(TASK_AGE_LIMIT)}, tasks are stuck"
    return Row("queue", ok, f"{len(create_times)} tasks, oldest {age(oldest)}{stuck}")


def webhooks_row(undelivered: int, unprocessed: Sequence[datetime], now: datetime) -> Row:
    """`undelivered`: events Stripe reports with a failed or pending delivery; `unprocessed`: the
    creation times of events we hold no completed record of (the reconcile backlog)."""
    late = [created for created in unprocessed if now - created > BACKLOG_AGE_LIMIT]
    facts = f"Stripe reports {undelivered} undelivered, reconcile backlog {len(unprocessed)}"
    if late:
        late_text = f"{len(late)} older than {age(BACKLOG_AGE_LIMIT)}"
        return Row("webhooks", False, f"{facts}: {late_text}, run billing reconcile")
    return Row("webhooks", True, facts)


def rules_row(deployed: str | None, repository: str) -> Row:
    """`deployed` None: the environment has no way to read the rules in force."""
    if deployed is None:
        return Row("firestore rules", True, "not checkable locally: the emulator loads firestore.rules at start")
    if deployed.strip() == repository.strip():
        return Row("firestore rules", True, "the rules in force are the repository's firestore.rules")
    return Row("firestore rules", False, "the rules in force differ from firestore.rules: deploy them")


@dataclass(frozen=True)
class JobAttempt:
    name: str
    state: str
    last_attempt: datetime | None
    status_code: int  # google.rpc.Code of the last attempt; 0 is OK


def scheduler_row(jobs: Sequence[JobAttempt] | None) -> Row:
    if jobs is None:
        return Row("scheduler", True, "no scheduler jobs locally: the stack has no Cloud Scheduler")
    if not jobs:
        return Row("scheduler", False, "no scheduler jobs found")
    bad = [j for j in jobs if j.state != "ENABLED" or j.status_code != 0]
    if bad:
        detail = ", ".join(f"{j.name} {j.state} code {j.status_code}" for j in bad)
        return Row("scheduler", False, f"{len(bad)} of {len(jobs)} jobs not well: {detail}")
    return Row("scheduler", True, f"{len(jobs)} jobs enabled, last attempts ok")
