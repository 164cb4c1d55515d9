"""What a customer's Stripe subscriptions grant: one pure function, no I/O.

`entitlement_from` is the state table of docs/payments.md ("Entitlement states"): each
subscription is classified on its own, then the one that grants the most decides, so a late
event about an old subscription, or an inactive duplicate, never takes access from a paying
user, and a second live subscription never adds to it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from lib.entitlements import FREE

NO_SUBSCRIPTION = "none"
# Statuses Stripe can still move back to billing; a subscription in one of them blocks a new checkout.
LIVE_STATUSES = frozenset({"trialing", "active", "past_due", "unpaid", "incomplete", "paused"})
# Dispute outcomes that leave us the money: a chargeback won, or an inquiry closed without one.
KEPT_DISPUTE_STATUSES = frozenset({"won", "warning_closed"})


class State(enum.StrEnum):
    """A row of the state table."""

    TRIALING = "trialing"
    ACTIVE = "active"
    CANCELING = "canceling"  # active with cancel_at_period_end: access until the period ends
    PAST_DUE = "past_due"  # access until grace_until
    GRACE_OVER = "past_due_grace_over"
    UNPAID = "unpaid"
    CANCELED = "canceled"
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    PAUSED = "paused"
    REFUNDED = "refunded"  # the current period's payment was fully refunded
    DISPUTED = "disputed"  # the current period's payment is disputed
    NONE = NO_SUBSCRIPTION


_NO_ACCESS = {
    "unpaid": State.UNPAID,
    "canceled": State.CANCELED,
    "incomplete": State.INCOMPLETE,
    "incomplete_expired": State.INCOMPLETE_EXPIRED,
    "paused": State.PAUSED,
}
# Lower ranks win when several subscriptions exist; granting states come first.
_RANK = {state: rank for rank, state in enumerate(State)}


class Entitlement(BaseModel):
    """The document entitlements/{uid}, as lib.entitlements reads it."""

    plan: str
    status: str  # the deciding subscription's Stripe status, or "none"
    state: State
    access_until: datetime | None  # access ends then (None: no access, or none foreseen)
    grace_until: datetime | None
    trial_end: datetime | None
    cancel_at_period_end: bool
    current_period_end: datetime | None
    source: str = "stripe"
    customer_id: str
    subscription_id: str | None
    live_subscriptions: int  # more than one: a duplicate that reconcile reports


class Verdict(BaseModel):
    """One subscription's row of the table at a moment."""

    state: State
    access: bool
    access_until: datetime | None = None
    grace_until: datetime | None = None


def _at(seconds: Any) -> datetime | None:
    return datetime.fromtimestamp(int(seconds), UTC) if seconds is not None else None


def _item_times(subscription: Mapping[str, Any], key: str) -> list[int]:
    """In current API versions the period lives on each item, not on the subscription."""
    items = (subscription.get("items") or {}).get("data") or []
    return [int(item[key]) for item in items if item.get(key) is not None]


def period_end(subscription: Mapping[str, Any]) -> datetime | None:
    ends = _item_times(subscription, "current_period_end")
    return _at(max(ends)) if ends else None


def period_start(subscription: Mapping[str, Any]) -> datetime | None:
    starts = _item_times(subscription, "current_period_start")
    return _at(max(starts)) if starts else None


def _kept(charge: Mapping[str, Any], disputes: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a disputed charge's dispute closed in our favour; Stripe leaves `disputed: true` on
    the charge whatever the outcome."""
    return any(d.get("charge") == charge.get("id") and d.get("status") in KEPT_DISPUTE_STATUSES for d in disputes)


def revoked_by(
    subscription: Mapping[str, Any], charges: Sequence[Mapping[str, Any]], disputes: Sequence[Mapping[str, Any]] = ()
) -> State | None:
    """REFUNDED or DISPUTED when a charge of the current period was fully refunded, or disputed
    by a dispute still open or lost."""
    start = period_start(subscription)
    if start is None:
        return None
    current = [
        c
        for c in charges
        if c.get("customer") == subscription.get("customer") and int(c.get("created") or 0) >= start.timestamp()
    ]
    if any(c.get("disputed") and not _kept(c, disputes) for c in current):
        return State.DISPUTED
    if any(c.get("refunded") for c in current):
        return State.REFUNDED
    return None


def _trial_access_until(subscription: Mapping[str, Any], grace: timedelta) -> datetime | None:
    """A trial with a card converts: Stripe charges its first invoice some time after `trial_end`
    and the subscription turns active (or past_due, whose grace runs from that same start) only
    with the event that follows, so access lasts through the grace a failed renewal gets. A trial
    without a card, or one set to cancel, ends at `trial_end`."""
    trial_end = _at(subscription.get("trial_end"))
    converts = bool(subscription.get("default_payment_method")) and not subscription.get("cancel_at_period_end")
    return trial_end + grace if trial_end is not None and converts else trial_end


def verdict_of(
    subscription: Mapping[str, Any],
    charges: Sequence[Mapping[str, Any]],
    now: datetime,
    grace: timedelta,
    disputes: Sequence[Mapping[str, Any]] = (),
) -> Verdict:
    """The state table for one subscription."""
    status = str(subscription.get("status"))
    revoked = revoked_by(subscription, charges, disputes) if status in {"trialing", "active", "past_due"} else None
    if revoked is not None:
        return Verdict(state=revoked, access=False)
    if status == "trialing":
        return Verdict(state=State.TRIALING, access=True, access_until=_trial_access_until(subscription, grace))
    if status == "active":
        if subscription.get("cancel_at_period_end"):
            until = _at(subscription.get("cancel_at")) or period_end(subscription)
            return Verdict(state=State.CANCELING, access=until is None or now < until, access_until=until)
        # No end foreseen: the period renews, and a late renewal event must not cut access.
        return Verdict(state=State.ACTIVE, access=True)
    if status == "past_due":
        start = period_start(subscription)
        grace_until = (start or now) + grace
        state = State.PAST_DUE if now < grace_until else State.GRACE_OVER
        return Verdict(state=state, access=now < grace_until, access_until=grace_until, grace_until=grace_until)
    return Verdict(state=_NO_ACCESS.get(status, State.CANCELED), access=False)


def _order(subscription: Mapping[str, Any], verdict: Verdict) -> tuple[int, int, int]:
    return (not verdict.access, _RANK[verdict.state], -int(subscription.get("created") or 0))


def entitlement_from(
    customer_id: str,
    subscriptions: Sequence[Mapping[str, Any]],
    plan: str,
    *,
    charges: Sequence[Mapping[str, Any]] = (),
    disputes: Sequence[Mapping[str, Any]] = (),
    now: datetime,
    grace: timedelta,
) -> Entitlement:
    """The entitlement all of a customer's subscriptions grant at `now`."""
    live = sum(1 for s in subscriptions if s.get("status") in LIVE_STATUSES)
    judged = [(s, verdict_of(s, charges, now, grace, disputes)) for s in subscriptions]
    if not judged:
        return Entitlement(
            plan=FREE,
            status=NO_SUBSCRIPTION,
            state=State.NONE,
            access_until=None,
            grace_until=None,
            trial_end=None,
            cancel_at_period_end=False,
            current_period_end=None,
            customer_id=customer_id,
            subscription_id=None,
            live_subscriptions=0,
        )
    subscription, verdict = min(judged, key=lambda pair: _order(*pair))
    return Entitlement(
        plan=plan if verdict.access else FREE,
        status=str(subscription.get("status")),
        state=verdict.state,
        access_until=verdict.access_until if verdict.access else None,
        grace_until=verdict.grace_until,
        trial_end=_at(subscription.get("trial_end")),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
        current_period_end=period_end(subscription),
        customer_id=customer_id,
        subscription_id=str(subscription["id"]),
        live_subscriptions=live,
    )


def trial_used(subscriptions: Sequence[Mapping[str, Any]]) -> bool:
    """A trial is offered once per user: any subscription that ever had one used it."""
    return any(s.get("trial_start") is not None for s in subscriptions)


def blocks_checkout(subscriptions: Sequence[Mapping[str, Any]]) -> bool:
    return any(s.get("status") in LIVE_STATUSES for s in subscriptions)
