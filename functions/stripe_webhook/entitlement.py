"""What a user's subscriptions grant, in Stripe and in the app stores: pure functions, no I/O.

`entitlement_from` is the Stripe part of the state table of docs/payments.md ("Entitlement
states"): each subscription is classified on its own, then the one that grants the most decides,
so a late event about an old subscription, or an inactive duplicate, never takes access from a
paying user, and a second live subscription never adds to it. `entitlement_over` does the same
across sources: Stripe's stored view and each store purchase's row ("Store subscriptions").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from functions.stripe_webhook.store_subscription import Store, StoreState, StoreSubscription
from lib.entitlements import FREE, STORE_ACCESS_STATES

NO_SUBSCRIPTION = "none"
# Statuses Stripe can still move back to billing; a subscription in one of them blocks a new checkout.
LIVE_STATUSES = frozenset({"trialing", "active", "past_due", "unpaid", "incomplete", "paused"})
# Dispute outcomes that leave us the money: a chargeback won, or an inquiry closed without one.
KEPT_DISPUTE_STATUSES = frozenset({"won", "warning_closed"})
# Store states in which the store still bills or may bill again: two of them, or one beside a live
# Stripe subscription, are a duplicate. A canceled purchase bills no more.
STORE_LIVE_STATES = frozenset(
    {StoreState.ACTIVE, StoreState.GRACE, StoreState.ON_HOLD, StoreState.PAUSED, StoreState.PENDING}
)


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
    status: str  # the deciding subscription's status as its source names it, or "none"
    state: State | StoreState  # a row of the Stripe table, or of the store table when a store decides
    access_until: datetime | None  # access ends then (None: no access, or none foreseen)
    grace_until: datetime | None
    trial_end: datetime | None
    cancel_at_period_end: bool
    current_period_end: datetime | None
    source: Store = Store.STRIPE
    customer_id: str | None  # the user's Stripe customer; None for a user who only bought in a store
    subscription_id: str | None  # the deciding subscription: Stripe's id, or the store's purchase id
    live_subscriptions: int  # more than one: a duplicate that reconcile reports


class Verdict(BaseModel):
    """One subscription's row of the table at a moment."""

    state: State | StoreState
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


def no_entitlement(customer_id: str | None) -> Entitlement:
    """A user with no subscription anywhere (or only a Stripe customer without one)."""
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


def _order(subscription: Mapping[str, Any], verdict: Verdict) -> tuple[int, int, int]:
    return (not verdict.access, _RANK[State(verdict.state)], -int(subscription.get("created") or 0))


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
        return no_entitlement(customer_id)
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


def store_verdict_of(subscription: StoreSubscription, now: datetime) -> Verdict:
    """The store table for one purchase. Access always ends by the stored end (`grace_until` in
    GRACE, else `expires_at`): a view the store has not renewed since must not extend access,
    however late its notification arrives."""
    state = subscription.state
    until = (
        (subscription.grace_until or subscription.expires_at) if state is StoreState.GRACE else subscription.expires_at
    )
    access = state in STORE_ACCESS_STATES and (until is None or now < until)
    return Verdict(state=state, access=access, access_until=until, grace_until=subscription.grace_until)


def store_entitlement(subscription: StoreSubscription, plan: str, now: datetime) -> Entitlement:
    """What one store purchase grants at `now`, in the entitlement's shape."""
    verdict = store_verdict_of(subscription, now)
    return Entitlement(
        plan=plan if verdict.access else FREE,
        status=subscription.state.value,
        state=subscription.state,
        access_until=verdict.access_until if verdict.access else None,
        grace_until=verdict.grace_until,
        trial_end=None,
        cancel_at_period_end=subscription.state is StoreState.CANCELED,
        current_period_end=subscription.expires_at,
        source=subscription.store,
        customer_id=None,
        subscription_id=subscription.purchase_id,
        live_subscriptions=int(subscription.state in STORE_LIVE_STATES),
    )


def grants(entitlement: Entitlement, now: datetime) -> bool:
    return entitlement.plan != FREE and (entitlement.access_until is None or now < entitlement.access_until)


_SOURCE_ORDER = {store: rank for rank, store in enumerate(Store)}
_NEVER = datetime.max.replace(tzinfo=UTC)
_LONG_AGO = datetime.min.replace(tzinfo=UTC)


def _best_first(entitlement: Entitlement, now: datetime) -> tuple[bool, bool, float, int]:
    """Granting sources first, the one whose access lasts longest (no end foreseen: longest) ahead,
    so the chosen one ends last and the stored `access_until` holds for all of them; then, without
    access, a source that has a subscription, the one whose period ended last ahead."""
    granting = grants(entitlement, now)
    last = (entitlement.access_until or _NEVER) if granting else (entitlement.current_period_end or _LONG_AGO)
    has_none = entitlement.state is State.NONE
    return (not granting, has_none, -last.timestamp(), _SOURCE_ORDER[entitlement.source])


def entitlement_over(
    stripe: Entitlement | None, purchases: Sequence[StoreSubscription], plan: str, now: datetime
) -> Entitlement:
    """The one entitlement of a user at `now`, over Stripe's stored view and the user's store
    purchases: the source that grants the most decides, and every live subscription of any
    source is counted, so paying twice shows as a duplicate."""
    views = [stripe] if stripe is not None else []
    views += [store_entitlement(p, plan, now) for p in purchases]
    if not views:
        return no_entitlement(None)
    best = min(views, key=lambda view: _best_first(view, now))
    live = sum(view.live_subscriptions for view in views)
    customer_id = stripe.customer_id if stripe is not None else None
    return best.model_copy(update={"live_subscriptions": live, "customer_id": customer_id})
