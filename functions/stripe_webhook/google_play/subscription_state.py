"""Google Play's subscription resource (purchases.subscriptionsv2.get) as a StoreSubscription.

Pure: the row of the state table comes from `subscriptionState`; the period's end from the line
item's `expiryTime` (in a grace period Google extends it to the grace period's end); the user
from `externalAccountIdentifiers.obfuscatedExternalAccountId`; a revocation or refund, which the
resource shows only as an expiry, from the notification that reported it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from functions.stripe_webhook.store_subscription import Store, StoreState, StoreSubscription

STATES = {
    "SUBSCRIPTION_STATE_ACTIVE": StoreState.ACTIVE,
    "SUBSCRIPTION_STATE_CANCELED": StoreState.CANCELED,
    "SUBSCRIPTION_STATE_IN_GRACE_PERIOD": StoreState.GRACE,
    "SUBSCRIPTION_STATE_ON_HOLD": StoreState.ON_HOLD,
    "SUBSCRIPTION_STATE_PAUSED": StoreState.PAUSED,
    "SUBSCRIPTION_STATE_PENDING": StoreState.PENDING,
    "SUBSCRIPTION_STATE_EXPIRED": StoreState.EXPIRED,
    # A pending purchase whose payment never came: nothing was ever granted.
    "SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED": StoreState.EXPIRED,
}
ACKNOWLEDGED = "ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED"


class UnexpectedSubscription(ValueError):
    """The resource lacks what every subscription purchase has (a known state, a line item)."""


def _time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as Google writes it ("2026-12-07T10:00:00.123Z")."""
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _line_item(purchase: Mapping[str, Any]) -> Mapping[str, Any]:
    """The subscription's base item: the one that ends last (add-ons end with it or before)."""
    items = purchase.get("lineItems") or []
    if not items:
        raise UnexpectedSubscription("the subscription has no line item")
    latest: Mapping[str, Any] = max(items, key=lambda item: str(item.get("expiryTime") or ""))
    return latest


def store_subscription(token: str, purchase: Mapping[str, Any], *, revoked: bool = False) -> StoreSubscription:
    """The purchase `token` as `purchase` (Google's JSON) shows it; `revoked` when Google reported
    it revoked or refunded (SUBSCRIPTION_REVOKED, a voided purchase)."""
    state = STATES.get(str(purchase.get("subscriptionState")))
    if state is None:
        raise UnexpectedSubscription(f"unknown subscriptionState {purchase.get('subscriptionState')!r}")
    item = _line_item(purchase)
    expires_at = _time(item.get("expiryTime"))
    linked = purchase.get("linkedPurchaseToken")
    return StoreSubscription(
        store=Store.GOOGLE_PLAY,
        purchase_id=token,
        account_token=(purchase.get("externalAccountIdentifiers") or {}).get("obfuscatedExternalAccountId") or None,
        product_id=str(item.get("productId") or ""),
        state=StoreState.REVOKED if revoked else state,
        expires_at=expires_at,
        grace_until=expires_at if state is StoreState.GRACE and not revoked else None,
        environment="Test" if "testPurchase" in purchase else "Production",
        replaces=(str(linked),) if linked else (),
    )


def needs_acknowledgement(purchase: Mapping[str, Any]) -> bool:
    """A purchase Google will refund unless acknowledged: paid (not pending) and not yet acknowledged."""
    return purchase.get("acknowledgementState") != ACKNOWLEDGED and purchase.get("subscriptionState") in (
        "SUBSCRIPTION_STATE_ACTIVE",
        "SUBSCRIPTION_STATE_IN_GRACE_PERIOD",
        "SUBSCRIPTION_STATE_CANCELED",
    )
