"""One batch task: decide who still needs a reminder, send, and settle each user-day.

Order per batch: read users and their send records, claim the user-days (conditional
writes), send in chunks of `reminders_send_concurrency` users, and settle each chunk's
records as soon as FCM has answered it. A crash after FCM accepted a chunk but before its
records were settled is the one window in which a retry can send a reminder twice; it holds
at most one chunk.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from functions.reminders import counters, devices, notices, send_records, wording
from functions.reminders.batch import Batch, DueUser
from functions.reminders.conditional_writes import Write, apply_each
from functions.reminders.kinds import AT_RISK_MIN_STREAK, CAP_PRIORITY, DAILY_CAP, Kind, message_id, variant_of
from functions.reminders.notification_preferences import wants
from functions.reminders.send_records import Claim, Owner, SendStatus
from functions.streaks.public import StreakToday, streak_today, use_freezes
from lib import firestore as db
from lib import log, push, tombstones
from lib.config import settings
from lib.errors import AccountDeleted
from lib.push import Delivery, Outcome
from lib.queries import Snapshot

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


def skipped(counts: Mapping[str, int]) -> int:
    """The batch's users that got no push because nothing was to be sent (every `skipped_*` count)."""
    return sum(n for status, n in counts.items() if status.startswith("skipped"))


def first_status(user: Mapping[str, Any], kind: Kind, streak: StreakToday, matter_open: bool) -> SendStatus:
    """What a claimed user-day-kind starts as: skipped when nothing is to be sent, else claimed.
    An account notice needs only its category and its matter still open (`matter_open`)."""
    if not wants(user, kind.category):
        return SendStatus.SKIPPED_OFF
    if kind.is_notice:
        return SendStatus.CLAIMED if matter_open else SendStatus.SKIPPED_RESOLVED
    if not (user.get("reminder") or {}).get("enabled"):
        return SendStatus.SKIPPED_OFF
    if streak.today_done:
        return SendStatus.SKIPPED_DONE
    if kind is Kind.STREAK_AT_RISK and streak.current < AT_RISK_MIN_STREAK:
        return SendStatus.SKIPPED_NOT_AT_RISK
    return SendStatus.CLAIMED


def over_cap(
    claimed: Sequence[DueUser], pushes_before: Mapping[tuple[str, date], int], cap: int = DAILY_CAP
) -> set[int]:
    """The positions in `claimed` (taken in `CAP_PRIORITY` order) whose push would exceed the cap of their user's
    local day, given the pushes other records of that day already made or hold. An account notice is never
    refused, since it is asked for once and its matter (Premium about to lapse) would otherwise go untold, but
    it still fills the day for the reminders after it."""
    pushes = Counter(pushes_before)
    over = set()
    for position, user in sorted(enumerate(claimed), key=lambda item: CAP_PRIORITY.index(item[1].kind)):
        day = (user.uid, user.local_date)
        if pushes[day] >= cap and not user.kind.is_notice:
            over.add(position)
        else:
            pushes[day] += 1
    return over


def _use_due_freezes(users: Mapping[str, Mapping[str, Any]], now: datetime) -> None:
    """A missed day that has passed is covered now by a held freeze, not only at the next check-in."""
    for uid, user in users.items():
        if streak_today(user, now).freeze_due:
            # An account deleted since the read has no streak left to keep.
            with contextlib.suppress(AccountDeleted):
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
    owner = Owner(batch.batch, retry_count, batch.day)
    last_attempt = retry_count + 1 >= config.reminders_max_attempts
    report = BatchReport(batch.day.isoformat())
    due = {send_records.record_id(u): u for u in batch.users}
    # The user-day's records of every kind: the daily cap counts those of other batches too.
    day_keys = sorted({key for u in due.values() for key in send_records.day_records(u)})

    refs = [db.client().collection("users").document(uid) for uid in sorted({u.uid for u in due.values()})]
    with ThreadPoolExecutor(max_workers=3) as reader:
        users_read = reader.submit(lambda: {s.id: s.to_dict() or {} for s in db.client().get_all(refs)})
        records_read = reader.submit(send_records.read, day_keys)
        started = reader.submit(send_records.batch_started, batch.batch)
        users, existing, first = users_read.result(), records_read.result(), not started.result()
    by_decision: dict[Claim, list[str]] = {claim: [] for claim in Claim}
    for key in due:
        by_decision[send_records.claim_decision(existing[key].to_dict() if key in existing else None, owner)].append(
            key
        )

    # The batch's due users and those another batch already has are counted by its first
    # attempt only, in the commit that also holds its claims.
    claim_counts = _tally({key: "due" for key in due} if first else {}, due)
    if first:
        _add(claim_counts, _tally({key: "skipped_duplicate" for key in by_decision[Claim.DUPLICATE]}, due))
    reads = Counter(docs_read=len(users) + len(existing) + 1)
    marker = [send_records.batch_marker(batch.batch, now)] if first else []
    wanted = {key: due[key] for key in by_decision[Claim.TAKE]}
    shared = counters.increment(report.day, reads, claim_counts) + marker
    held = send_records.claim(wanted, existing, owner, now, shared)
    _add_report(report, reads, claim_counts)
    if lost := [key for key in wanted if key not in held]:
        # Taken by another batch between our read and our write (contention only), or the
        # account was deleted since the batch was queued.
        gone = tombstones.deleted_among(due[key].uid for key in lost)
        lost_as = {key: "skipped_deleted" if due[key].uid in gone else "skipped_duplicate" for key in lost}
        _count(report, _tally(lost_as, due), [])

    _use_due_freezes(users, now)
    streaks = {key: streak_today(users.get(due[key].uid, {}), due[key].due_at or now) for key in due}
    open_matters = {key for key in held if due[key].kind.is_notice and notices.still_open(due[key].uid, due[key].kind)}
    first_statuses = {
        key: first_status(users.get(due[key].uid, {}), due[key].kind, streaks[key], key in open_matters) for key in held
    }
    claimed = [key for key, status in first_statuses.items() if status is SendStatus.CLAIMED]
    for position in over_cap([due[key] for key in claimed], _pushes_elsewhere(existing, held)):
        first_statuses[claimed[position]] = SendStatus.SKIPPED_CAP
    skipped = {key: status for key, status in first_statuses.items() if status is not SendStatus.CLAIMED}
    skip_writes = send_records.settled(skipped, due, owner, now, {})
    _count(report, _tally({key: status.value for key, status in skipped.items()}, due), skip_writes)
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


def _pushes_elsewhere(existing: Mapping[str, Snapshot], held: set[str]) -> Counter[tuple[str, date]]:
    """Per user-day, the pushes made or held by records this batch does not hold."""
    pushes: Counter[tuple[str, date]] = Counter()
    for key, snapshot in existing.items():
        record = snapshot.to_dict() or {}
        if key not in held and SendStatus(record["status"]).pushes:
            pushes[(record["uid"], date.fromisoformat(record["local_date"]))] += 1
    return pushes


ByKind = dict[str, Counter[str]]


def _tally(outcomes: Mapping[str, str], due: Mapping[str, DueUser]) -> ByKind:
    """Counter names per record key, as counts per kind."""
    by_kind: ByKind = {}
    for key, name in outcomes.items():
        by_kind.setdefault(due[key].kind.value, Counter())[name] += 1
    return by_kind


def _add(into: ByKind, more: ByKind) -> None:
    for kind, counts in more.items():
        into.setdefault(kind, Counter()).update(counts)


def _add_report(report: BatchReport, deltas: Mapping[str, int], by_kind: ByKind) -> None:
    report.counts.update(deltas)
    for counts in by_kind.values():
        report.counts.update(counts)


def _count(
    report: BatchReport,
    by_kind: ByKind,
    writes: list[Write],
    deltas: Mapping[str, int] | None = None,
    variants: Mapping[tuple[str, str], Mapping[str, int]] | None = None,
) -> None:
    """Commits `writes` and their counts together; when a write is refused (its account was
    deleted meanwhile) the counts go first and each other write on its own."""
    apply_each(writes, shared=counters.increment(report.day, deltas, by_kind, variants))
    _add_report(report, deltas or {}, by_kind)


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
    variants = {key: variant_of(due[key].uid, due[key].kind) for key in keys}
    for key in keys:
        user = due[key]
        title, body = wording.text(user.kind, variants[key], streaks[key])
        data = {
            "kind": user.kind.value,
            "local_date": user.local_date.isoformat(),
            "message_id": message_id(key),
            "variant": variants[key],
        }
        for device in by_uid.get(user.uid, []):
            plan.append((key, device))
            messages.append(push.message(device.address, title, body, data))
    outcomes = push.send_each(messages)

    per_user: dict[str, list[Outcome]] = {key: [] for key in keys}
    dead: dict[devices.Device, None] = {}  # ordered and without repeats: a user's two kinds share devices
    for (key, device), outcome in zip(plan, outcomes, strict=True):
        per_user[key].append(outcome)
        if outcome.delivery is Delivery.DEAD_ADDRESS:
            dead[device] = None
    for uid in {device.uid for device in dead}:
        # Later chunks of the batch (the user's other kind) do not send to an address known dead.
        by_uid[uid][:] = [device for device in by_uid[uid] if device not in dead]
    statuses = {key: user_status(found, last_attempt) for key, found in per_user.items()}
    errors = {key: code for key, found in per_user.items() for code in [o.error_code for o in found] if code}
    outcome_names = {key: "retried" if status is SendStatus.RETRY else status.value for key, status in statuses.items()}
    sent = Counter((due[key].kind.value, variants[key]) for key, s in statuses.items() if s is SendStatus.SENT)
    _count(
        report,
        _tally(outcome_names, due),
        send_records.settled(statuses, due, owner, now, errors) + devices.deletions(list(dead)),
        deltas=Counter(tokens_pruned=len(dead)),
        variants={pair: {"sent": count} for pair, count in sent.items()},
    )

    retrying = [o for key, found in per_user.items() if statuses[key] is SendStatus.RETRY for o in found]
    if retrying:
        wait = backoff_s(retrying, owner.attempt, settings().reminders_retry_base_s)
        report.retry_after_s = max(wait, report.retry_after_s or 0)
        report.quota_exceeded |= any(o.error_code == QUOTA_CODE for o in retrying)
