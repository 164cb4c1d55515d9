"""Pushes Stripe events through the webhook's own idempotent handler and reports what the
entitlement looked like before and after."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from functions.stripe_webhook import customers, events, reconciliation
from functions.stripe_webhook.deliveries import Outcome
from lib import entitlements, errors, stripe_api

WATCHED = ("plan", "status", "state", "source", "current_period_end", "subscription_id")


@dataclass
class Replay:
    event_id: str
    event_type: str = ""
    uid: str | None = None
    outcome: str = ""
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def changes_between(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    """The watched entitlement fields that differ, as (before, after)."""
    old, new = before or {}, after or {}
    return {name: (old.get(name), new.get(name)) for name in WATCHED if old.get(name) != new.get(name)}


def fetch_event(event_id: str) -> dict[str, Any]:
    """The event as Stripe's API holds it now (local Stripe or the real one); a 404 propagates."""
    return stripe_api.client().v1.events.retrieve(event_id).to_dict()


def _owner(event: Mapping[str, Any]) -> str | None:
    customer_id = events.customer_in(event)
    return customers.uid_of(customer_id) if customer_id else None


def replay_event(event: Mapping[str, Any], *, force: bool) -> Replay:
    """Runs the event through the handler; an event already done is a duplicate and changes
    nothing, unless `force`, which re-reads the customer's subscriptions from Stripe and
    writes them (what processing does) without touching the event's record."""
    replay = Replay(event_id=str(event["id"]), event_type=str(event.get("type", "")), uid=_owner(event))
    before = entitlements.read(replay.uid) if replay.uid else None
    customer_id = events.customer_in(event)
    try:
        outcome = events.handle_event(event)
        if outcome is Outcome.DUPLICATE and force and customer_id:
            outcome = events.sync_customer(customer_id, resume_paused=replay.event_type in events.CARD_TYPES)
        replay.outcome = outcome.value
    except errors.ApiError as exc:
        replay.outcome, replay.error = exc.code, exc.message
    after = entitlements.read(replay.uid) if replay.uid else None
    replay.changes = changes_between(before, after)
    return replay


def reconcile_event(event: Mapping[str, Any]) -> tuple[reconciliation.Step, Replay]:
    """Reconcile's own step for the event, with the entitlement change it made."""
    replay = Replay(event_id=str(event["id"]), event_type=str(event.get("type", "")), uid=_owner(event))
    before = entitlements.read(replay.uid) if replay.uid else None
    step = reconciliation.reconcile_event(event)
    replay.outcome = step.value
    if step is reconciliation.Step.REPLAYED and replay.uid:
        replay.changes = changes_between(before, entitlements.read(replay.uid))
    return step, replay
