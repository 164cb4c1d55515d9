"""One batch task: decide who still needs a reminder, send, and settle each user-day.

Order per batch: read users and their send records, claim the user-days (conditional
writes), send in chunks of `reminders_send_concurrency` users, and settle each chunk's
records as soon as FCM has answered it. A crash after FCM accepted a chunk but before its
records were settled is the one window in which a retry can send a reminder twice; it holds
at most one chunk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions.reminders import counters, devices, send_records, wording
from functions.reminders.batch import Batch, DueUser
from functions.reminders.conditional_writes import Write, commit
from functions.reminders.notification_preferences import Category, wants
from functions.reminders.send_records import Claim, Owner, SendStatus
from functions.streaks.public import StreakToday, streak_today, use_freezes
from lib import firestore as db
from lib import log, push
from lib.config import settings
from lib.push import Delivery, Outcome

IAM_PERMISSIONS = db.WRITES


_logger = log.get_logger("reminders.delivery")

# firebase-admin's code for FCM's QUOTA_EXCEEDED (HTTP 429).
QUOTA_CODE = "RESOURCE_EXHAUSTED"


@dataclass
class BatchReport:
    day: str
    counts: Counter[str] = field(default_factory=Counter)
    retry_after_s: int | None = None
    quota_exceeded: bool = False


def line_fields(users: int, counts: Mapping[str, int]) -> dict[str, int | float]:
    """A batch's outcome as fields of its request line: `failed_share` is the share of its users
    that failed for good (final failures are counted on the last attempt only)."""
    failed = counts.get("failed", 0)
    return {
        "users": users,
        "sent": counts.get("sent", 0),
        "failed": failed,
        "retried": counts.get("retried", 0),
        "failed_share": round(failed / users, 3) if users else 0.0,
    }


def first_status(user: Mapping[str, Any], streak: StreakToday) -> SendStatus:
    """What a claimed user-day starts as: skipped when nothing is to be sent, else claimed."""
    if not (user.get("reminder") or {}).get("enabled") or not wants(user, Category.DAILY_REMINDER):
        return SendStatus.SKIPPED_OFF
    if streak.today_done:
        return SendStatus.SKIPPED_DONE
    return SendStatus.CLAIMED


def _use_due_freezes(users: Mapping[str, Mapping[str, Any]], now: datetime) -> None:
    """A missed day that has passed is covered now by a held freeze, not only at the next check-in."""
    for uid, user in users.items():
        if streak_today(user, now).freeze_due:
            use_freezes(uid, now)


def user_status(outcomes: Sequence[Outcome], last_attempt: bool) -> SendStatus:
    """A user's result from their devices' answers: reached if any device was reached."""
    deliveries = {o.delivery for o in outcomes}
    if Delivery.SENT in deliveries:
        return SendStatus.SENT
    if Delivery.RETRY in deliveries:
        return SendStatus.FAILED if last_attempt else SendStatus.RETRY
    if deliveries <= {Delivery.DEAD_ADDRESS}:
        return SendStatus.NO_DEVICE
    return SendStatus.FAILED


def backoff_s(outcomes: Sequence[Outcome], retry_count: int, base_s: int) -> int:
    """Exponential in the attempt, and never sooner than FCM's own Retry-After."""
    asked = [o.retry_after_s for o in outcomes if o.retry_after_s is not None]
    return max([int(base_s * 2**retry_count), *asked])


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def deliver(batch: Batch, retry_count: int, now: datetime) -> BatchReport:
    """Every count is committed in the same write batch as the records it counts, so a crash
    can neither lose nor double one."""
    config = settings()
    owner = Owner(batch.batch, retry_count)
    last_attempt = retry_count + 1 >= config.reminders_max_attempts
    day = batch.day.isoformat()
    report = BatchReport(day)
    due = {send_records.record_id(u.uid, u.local_date.isoformat()): u for u in batch.users}

    refs = [db.client().collection("users").document(u.uid) for u in due.values()]
    with ThreadPoolExecutor(max_workers=3) as reader:
        users_read = reader.submit(lambda: {s.id: s.to_dict() or {} for s in db.client().get_all(refs)})
        records_read = reader.submit(send_records.read, list(due))
        started = reader.submit(send_records.batch_started, batch.batch)
        users, existing, first = users_read.result(), records_read.result(), not started.result()
    by_decision: dict[Claim, list[str]] = {claim: [] for claim in Claim}
    for key in due:
        by_decision[send_records.claim_decision(existing[key].to_dict() if key in existing else None, owner)].append(
            key
        )

    # The batch's due users and those another batch already has are counted by its first
    # attempt only, in the commit that also holds its claims.
    claim_counts = Counter(docs_read=len(users) + len(existing) + 1)
    if first:
        claim_counts.update(due=len(due), skipped_duplicate=len(by_decision[Claim.DUPLICATE]))
    shared = counters.increment(day, claim_counts) + ([send_records.batch_marker(batch.batch, now)] if first else [])
    wanted = {key: SendStatus.CLAIMED for key in by_decision[Claim.TAKE]}
    held = send_records.claim(wanted, existing, owner, now, shared)
    report.counts.update(claim_counts)
    if lost := len(wanted) - len(held):
        # Taken by another batch between our read and our write (contention only).
        _count(report, Counter(skipped_duplicate=lost), [])

    _use_due_freezes(users, now)
    streaks = {key: streak_today(users.get(due[key].uid, {}), due[key].due_at or now) for key in due}
    skipped = {key: first_status(users.get(due[key].uid, {}), streaks[key]) for key in held}
    skipped = {key: status for key, status in skipped.items() if status is not SendStatus.CLAIMED}
    _count(report, Counter(s.value for s in skipped.values()), send_records.settled(skipped, owner, now, {}))
    to_send = [key for key in wanted if key in held and key not in skipped]

    by_uid = {due[key].uid: devices.devices_in(due[key].uid, users.get(due[key].uid, {})) for key in to_send}
    for chunk in _chunks(to_send, config.reminders_send_concurrency):
        _send_chunk(chunk, due, streaks, by_uid, owner, last_attempt, now, report)

    if report.counts["failed"]:
        _logger.error(
            "reminders failed for good on the batch's last attempt",
            extra={"fields": {"batch": batch.batch, "attempt": retry_count, "failed": report.counts["failed"]}},
        )
    return report


def _count(report: BatchReport, step: Counter[str], writes: list[Write]) -> None:
    """Commits `writes` and their counts together."""
    commit(writes + counters.increment(report.day, step))
    report.counts.update(step)


def _send_chunk(
    keys: Sequence[str],
    due: Mapping[str, DueUser],
    streaks: Mapping[str, StreakToday],
    by_uid: Mapping[str, list[devices.Device]],
    owner: Owner,
    last_attempt: bool,
    now: datetime,
    report: BatchReport,
) -> None:
    """Sends one chunk, then settles its records, prunes its dead addresses and counts, all
    in one commit."""
    plan: list[tuple[str, devices.Device]] = []
    messages = []
    for key in keys:
        user = due[key]
        title, body = wording.reminder_text(streaks[key])
        data = {"kind": "daily_reminder", "local_date": user.local_date.isoformat()}
        for device in by_uid.get(user.uid, []):
            plan.append((key, device))
            messages.append(push.message(device.address, title, body, data))
    outcomes = push.send_each(messages)

    per_user: dict[str, list[Outcome]] = {key: [] for key in keys}
    dead = []
    for (key, device), outcome in zip(plan, outcomes, strict=True):
        per_user[key].append(outcome)
        if outcome.delivery is Delivery.DEAD_ADDRESS:
            dead.append(device)
    statuses = {key: user_status(found, last_attempt) for key, found in per_user.items()}
    errors = {key: code for key, found in per_user.items() for code in [o.error_code for o in found] if code}
    step = Counter("retried" if status is SendStatus.RETRY else status.value for status in statuses.values())
    step["tokens_pruned"] = len(dead)
    _count(report, step, send_records.settled(statuses, owner, now, errors) + devices.deletions(dead))

    retrying = [o for key, found in per_user.items() if statuses[key] is SendStatus.RETRY for o in found]
    if retrying:
        wait = backoff_s(retrying, owner.attempt, settings().reminders_retry_base_s)
        report.retry_after_s = max(wait, report.retry_after_s or 0)
        report.quota_exceeded |= any(o.error_code == QUOTA_CODE for o in retrying)
