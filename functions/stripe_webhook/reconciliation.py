"""Heals lost webhooks: recent Stripe events never recorded as done go through the same handler.
Also reports users holding more than one live subscription (one made outside the app, or one in
Stripe and one in an app store, or one in each store): the entitlement follows only the best of
them, so a duplicate never grants twice, but it still bills."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from pydantic import BaseModel

from functions.stripe_webhook import daily_counts, entitlement_store, events
from lib import errors, log, queries, stripe_api
from lib import firestore as db
from lib.config import settings
from lib.idempotency import RecordStatus

IAM_PERMISSIONS = db.WRITES

_logger = log.get_logger("reconcile")

DUPLICATE_SUBSCRIBERS = queries.QueryShape(entitlement_store.COLLECTION, filters=(("live_subscriptions", ">"),))


class ReconcileReport(BaseModel):
    listed: int
    replayed: int
    already_done: int
    busy: int
    duplicate_subscriptions: list[str] = []  # uids with more than one live subscription


class Step(enum.StrEnum):
    REPLAYED = "replayed"
    ALREADY_DONE = "already_done"
    BUSY = "busy"  # a live delivery holds it; the next run checks again


def recent_events(since: datetime) -> list[dict[str, Any]]:
    """The events of the types we handle created at or after `since`, as Stripe lists them."""
    params = {"created": {"gte": int(since.timestamp())}, "types": sorted(events.HANDLED_TYPES), "limit": 100}
    try:
        listed = stripe_api.client().v1.events.list(params)  # type: ignore[arg-type]
        return [event.to_dict() for event in listed.auto_paging_iter()]
    except stripe.StripeError as exc:
        raise errors.Unavailable("the payment provider is unavailable; retry shortly") from exc


def reconcile_event(event: Mapping[str, Any]) -> Step:
    record = events.event_records().record(str(event["id"]))
    if record is not None and record.status is RecordStatus.COMPLETED:
        return Step.ALREADY_DONE
    try:
        events.handle_event(event)
    except errors.Conflict:
        return Step.BUSY
    return Step.REPLAYED


def duplicate_subscribers() -> list[str]:
    """Users whose stored entitlement saw more than one live subscription, counted for the day."""
    uids = sorted(snapshot.id for snapshot in queries.stream(DUPLICATE_SUBSCRIBERS, db.client(), 1))
    for _ in uids:
        daily_counts.count_outcome("duplicate_subscription")
    return uids


def report_of(steps: Iterable[Step]) -> ReconcileReport:
    """The run's report; it reads the duplicates after the replays, which may have found them."""
    counted = Counter(steps)
    report = ReconcileReport(
        listed=counted.total(),
        replayed=counted[Step.REPLAYED],
        already_done=counted[Step.ALREADY_DONE],
        busy=counted[Step.BUSY],
        duplicate_subscriptions=duplicate_subscribers(),
    )
    _logger.info("reconciled", extra={"fields": report.model_dump()})
    return report


def reconcile(since: datetime | None = None) -> ReconcileReport:
    """Replays the events since `since` (default: the reconcile window) not yet done."""
    start = since or datetime.now(UTC) - timedelta(hours=settings().stripe_reconcile_window_h)
    return report_of(reconcile_event(event) for event in recent_events(start))
