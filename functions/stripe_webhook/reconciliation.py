"""Heals lost webhooks: recent Stripe events never recorded as done go through the same handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def reconcile() -> ReconcileReport:
    since = datetime.now(UTC) - timedelta(hours=settings().stripe_reconcile_window_h)
    params = {"created": {"gte": int(since.timestamp())}, "types": sorted(events.HANDLED_TYPES), "limit": 100}
    listed = replayed = done = busy = 0
    try:
        for event in stripe_api.client().v1.events.list(params).auto_paging_iter():  # type: ignore[arg-type]
            listed += 1
            record = events.event_records().record(event.id)
            if record is not None and record.status is RecordStatus.COMPLETED:
                done += 1
                continue
            try:
                events.handle_event(event.to_dict())
                replayed += 1
            except errors.Conflict:
                busy += 1  # a live delivery holds it; the next run checks again
    except stripe.StripeError as exc:
        raise errors.Unavailable("the payment provider is unavailable; retry shortly") from exc
    report = ReconcileReport(listed=listed, replayed=replayed, already_done=done, busy=busy)
    _logger.info("reconciled", extra={"fields": report.model_dump()})
    return report
