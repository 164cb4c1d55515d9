"""What a customer's Stripe subscriptions grant: pure functions, no I/O.

A customer may hold several subscriptions over time (a cancelled one and a new one); the
entitlement follows the one that matters most now, whatever order events arrived in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from lib.entitlements import ACTIVE_STATUSES, FREE

# Lower ranks win: a live subscription beats one in trouble, which beats an ended one.
_STATUS_RANK = {
    "active": 0,
    "trialing": 0,
    "past_due": 1,
    "unpaid": 2,
    "incomplete": 3,
    "paused": 4,
    "canceled": 5,
    "incomplete_expired": 6,
}
NO_SUBSCRIPTION = "none"


class Entitlement(BaseModel):
    """The document entitlements/{uid}, as lib.entitlements reads it."""

    plan: str
    status: str
    current_period_end: datetime | None
    source: str = "stripe"
    customer_id: str
    subscription_id: str | None


def current_subscription(subscriptions: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The subscription that decides the entitlement: best status, then the newest."""
    if not subscriptions:
        return None
    return min(subscriptions, key=lambda s: (_STATUS_RANK.get(str(s.get("status")), 9), -int(s.get("created") or 0)))


def period_end(subscription: Mapping[str, Any]) -> datetime | None:
    """In current API versions the period lives on each item, not on the subscription."""
    ends = [
        int(item["current_period_end"])
        for item in (subscription.get("items") or {}).get("data") or []
        if item.get("current_period_end") is not None
    ]
    return datetime.fromtimestamp(max(ends), UTC) if ends else None


def entitlement_from(customer_id: str, subscriptions: Sequence[Mapping[str, Any]], plan: str) -> Entitlement:
    subscription = current_subscription(subscriptions)
    if subscription is None:
        return Entitlement(
            plan=FREE, status=NO_SUBSCRIPTION, current_period_end=None, customer_id=customer_id, subscription_id=None
        )
    status = str(subscription.get("status"))
    return Entitlement(
        plan=plan if status in ACTIVE_STATUSES else FREE,
        status=status,
        current_period_end=period_end(subscription),
        customer_id=customer_id,
        subscription_id=str(subscription["id"]),
    )
