"""Heals lost webhooks: recent Stripe events never recorded as done go through the same handler."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from pydantic import BaseModel

from functions.stripe_webhook import events
from lib import errors, log, stripe_api
from lib.config import settings
from lib.idempotency import RecordStatus

_logger = log.get_logger("reconcile")


class ReconcileReport(BaseModel):
    listed: int
    replayed: int
    already_done: int
    busy: int


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


def report_of(steps: Iterable[Step]) -> ReconcileReport:
    counted = Counter(steps)
    report = ReconcileReport(
        listed=counted.total(),
        replayed=counted[Step.REPLAYED],
        already_done=counted[Step.ALREADY_DONE],
        busy=counted[Step.BUSY],
    )
    _logger.info("reconciled", extra={"fields": report.model_dump()})
    return report


def reconcile(since: datetime | None = None) -> ReconcileReport:
    """Replays the events since `since` (default: the reconcile window) not yet done."""
    start = since or datetime.now(UTC) - timedelta(hours=settings().stripe_reconcile_window_h)
    return report_of(reconcile_event(event) for event in recent_events(start))
