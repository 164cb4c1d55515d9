"""A subscription bought in an app store, as every store module reports it to `store_purchases`.

The App Store and Google Play describe a subscription in their own terms; each store's module
translates its answer into this one model, so the entitlement judges all stores by one table
(docs/payments.md, "Store subscriptions").
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class Store(enum.StrEnum):
    """Where a subscription was bought; the entitlement's `source` names the one that grants."""

    STRIPE = "stripe"
    APP_STORE = "app_store"
    GOOGLE_PLAY = "google_play"


class StoreState(enum.StrEnum):
    """A store subscription's row of the state table (docs/payments.md)."""

    ACTIVE = "active"  # paid, set to renew: access
    CANCELED = "canceled"  # paid, will not renew: access until expires_at
    GRACE = "grace"  # a renewal failed inside the store's grace period: access until grace_until
    ON_HOLD = "on_hold"  # a renewal failed, grace over or none, the store still retries: no access
    PAUSED = "paused"  # Google Play: paused by the user: no access
    PENDING = "pending"  # Google Play: bought, payment pending: no access
    EXPIRED = "expired"  # no access
    REVOKED = "revoked"  # refunded or revoked by the store: no access


class StoreSubscription(BaseModel):
    """One store purchase's current state, as its store answered it."""

    model_config = ConfigDict(frozen=True)

    store: Store  # APP_STORE or GOOGLE_PLAY
    purchase_id: str  # App Store: originalTransactionId; Google Play: the purchase token
    account_token: str | None  # the purchase's appAccountToken / obfuscatedExternalAccountId
    product_id: str
    state: StoreState
    expires_at: datetime | None  # the current period's end (UTC)
    grace_until: datetime | None  # set in GRACE
    environment: str  # as the store names it (e.g. "Production", "Sandbox", "LocalTesting")
    replaces: tuple[str, ...] = ()  # Google Play: linkedPurchaseToken of an upgrade/downgrade/resubscribe
