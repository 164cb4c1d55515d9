"""Stripe events in: recorded once per event id, turned into entitlements.

Every event this function cares about names a customer; processing re-reads that
customer's subscriptions from Stripe and writes what they grant, so the order in which
events arrive (or whether one arrives at all before the next) does not matter.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from functions.reminders import public as reminders
from functions.stripe_webhook import customers, deliveries, entitlement_store, resumption
from functions.stripe_webhook.deliveries import Outcome
from functions.stripe_webhook.entitlement import Entitlement, State, entitlement_from, period_start
from lib import errors, log, stripe_api
from lib import firestore as db
from lib.config import settings
from lib.entitlements import FREE
from lib.idempotency import FirestoreIdempotency

IAM_PERMISSIONS = db.WRITES


EVENTS_COLLECTION = "stripe_events"
HANDLED_TYPES = frozenset(
    {
        "checkout.session.completed",
        "customer.updated",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "invoice.paid",
        "invoice.payment_failed",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.closed",
    }
)
# A customer's default card changed (the billing portal sends this when a card is added): a
# subscription paused at its trial's end may now be resumed.
CARD_TYPES = frozenset({"customer.updated"})

_logger = log.get_logger("stripe_events")


@functools.cache
def event_records() -> FirestoreIdempotency:
    config = settings()
    return deliveries.records(EVENTS_COLLECTION, config.stripe_event_lease_s, config.stripe_event_keep_days)


def customer_in(event: Mapping[str, Any]) -> str | None:
    """The customer an event concerns. A dispute names only its charge, so that charge is asked."""
    obj = (event.get("data") or {}).get("object") or {}
    if obj.get("object") == "customer":
        return str(obj["id"])
    if obj.get("object") == "dispute" and obj.get("charge"):
        try:
            return stripe_api.customer_of_charge(str(obj["charge"]))
        except stripe.StripeError as exc:
            raise errors.Unavailable("the payment provider is unavailable; retry shortly") from exc
    customer = obj.get("customer")
    if isinstance(customer, Mapping):
        customer = customer.get("id")
    return str(customer) if customer else None


def entitlement_now(customer_id: str, now: datetime) -> Entitlement:
    """What the customer's subscriptions grant, read from Stripe now. Charges are read only when
    a subscription grants access, since only a refund or dispute of its period can take it away,
    and a disputed charge's disputes only then, since their outcome decides."""
    config = settings()
    grace = timedelta(days=config.stripe_grace_days)
    try:
        subscriptions = stripe_api.subscriptions_of(customer_id)
        entitlement = entitlement_from(customer_id, subscriptions, config.stripe_plan, now=now, grace=grace)
        starts = [start for s in subscriptions if (start := period_start(s)) is not None]
        if entitlement.plan == FREE or not starts:
            return entitlement
        charges = stripe_api.charges_of(customer_id, int(min(starts).timestamp()))
        disputes = [d for c in charges if c.get("disputed") for d in stripe_api.disputes_of(str(c["id"]))]
    except stripe.StripeError as exc:
        raise errors.Unavailable("the payment provider is unavailable; retry shortly") from exc
    return entitlement_from(
        customer_id, subscriptions, config.stripe_plan, charges=charges, disputes=disputes, now=now, grace=grace
    )


def sync_customer(customer_id: str, *, resume_paused: bool = False) -> Outcome:
    """Writes what the customer's subscriptions grant now, as Stripe reports them; with
    `resume_paused`, first resumes a subscription paused at its trial's end that the customer's
    default card can now pay for."""
    uid = customers.last_owner_of(customer_id)
    if uid is None:
        return Outcome.ORPHANED
    log.bind(uid=uid)
    if resume_paused and (resumed := resumption.resume_paused_trials(customer_id)):
        _logger.info("resumed", extra={"fields": {"subscriptions": resumed}})
    synced_at = datetime.now(UTC)  # taken before the read: the state is at least this fresh
    entitlement = entitlement_now(customer_id, synced_at)
    written = entitlement_store.write_if_newer(uid, entitlement, synced_at)
    if not written.owned:
        return Outcome.ORPHANED
    try:
        _notify_payment_failed(uid, entitlement, synced_at)
    except errors.AccountDeleted:
        return Outcome.ORPHANED
    if not written.applied:
        return Outcome.STALE
    if written.claim_stale:
        entitlement_store.sync_plan_claim(uid)
    return Outcome.APPLIED


def _notify_payment_failed(uid: str, entitlement: Entitlement, now: datetime) -> None:
    """A renewal that failed asks reminders for one account notice per grace period. It is asked
    whenever Stripe shows the failure, not only on the change to it, so a delivery that crashed
    after writing the entitlement still asks on its retry; the notice's key makes that once."""
    if entitlement.state is State.PAST_DUE and entitlement.grace_until is not None:
        key = f"{entitlement.customer_id}/{entitlement.grace_until.isoformat()}"
        reminders.notify(uid, reminders.Kind.PAYMENT_FAILED, key, now)


def _process(event: Mapping[str, Any]) -> Outcome:
    # The type first: finding a dispute's customer asks Stripe, which an event this function
    # does not act on must not wait for (or fail with).
    if event["type"] not in HANDLED_TYPES:
        return Outcome.IGNORED
    customer_id = customer_in(event)
    if customer_id is None:
        return Outcome.IGNORED
    return sync_customer(customer_id, resume_paused=event["type"] in CARD_TYPES)


def handle_event(event: Mapping[str, Any]) -> Outcome:
    """Processes a verified event once: a duplicate is acknowledged, a delivery racing
    another one is told to come back later. Each outcome is counted for the day."""
    event_id = str(event["id"])
    log.bind(event_id=event_id, event_type=event.get("type"))
    outcome = deliveries.handle_once(event_records(), event_id, lambda: _process(event))
    _logger.info("stripe event", extra={"fields": {"outcome": outcome.value}})
    return outcome
